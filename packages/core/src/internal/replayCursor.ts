import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import type { EventCodec } from "../EventCodec.js"
import { type Lsn, unsafeMake as unsafeLsn } from "../Lsn.js"
import * as WalRecord from "../WalRecord.js"
import * as Segment from "../Segment.js"
import { replayBytes } from "../WalMetrics.js"
import { Io, Malformed, type RecordError, type WalError } from "../WalError.js"
import type { SegmentFile } from "./segments.js"

/** One committed transaction, as replay releases it. */
export interface Transaction<E> {
  readonly beginLsn: Lsn
  readonly commitLsn: Lsn
  readonly events: ReadonlyArray<E>
}

/** Where replay stopped early, and whether valid records lie beyond. */
export interface TornTail {
  readonly segmentId: Segment.SegmentId
  readonly segmentFile: string
  readonly segmentPath: string
  readonly lastGoodOffset: number
  readonly cause: RecordError
  readonly classification: "torn-tail" | "corruption"
  readonly followedBy: Option.Option<{
    readonly segmentPath: string
    readonly offset: number
    readonly lsn: Option.Option<Lsn>
  }>
}

/** A segment replay read, with its header. */
export interface SegmentSummary {
  readonly id: Segment.SegmentId
  readonly file: string
  readonly path: string
  readonly size: number
  readonly baseLsn: Lsn
  readonly sealed: boolean
}

/** Everything replay learns besides the events. */
export interface Summary {
  readonly maxLsn: Lsn
  readonly tornTail: Option.Option<TornTail>
  readonly checkpointLsnObserved: Option.Option<Lsn>
  readonly segments: ReadonlyArray<SegmentSummary>
  readonly interruptedSegment: Option.Option<string>
}

export interface Progress {
  readonly bytesRead: number
  readonly totalBytes: number
}

/** Default read size: large reads keep replay near disk bandwidth. */
export const DEFAULT_CHUNK_BYTES = 1 << 20
const NEED = 0
const SEGMENT_END = 1
const STOP = 2
const BATCH_FULL = 3
/**
 * Transactions per pull: small batches hand events over soon after they are
 * decoded, so that they die young instead of a whole chunk's worth (~16k
 * events) waiting for the consumer.
 */
const BATCH_TRANSACTIONS = 64

/**
 * A pull-based replay over a list of segments: each `pull` reads about one
 * chunk and returns the transactions it completed, so memory stays bounded
 * by the chunk plus the largest open transaction. The collected, streaming
 * and callback forms of replay are all loops over this one cursor.
 */
export class ReplayCursor<E> {
  /** The most recently begun open transaction: the only one, unless transactions interleave. */
  private open: { readonly begin: bigint; readonly events: Array<E> } | undefined = undefined
  /** Other open transactions (interleaved ones), by TxBegin LSN. */
  private readonly pending = new Map<bigint, Array<E>>()
  private maxLsn = 0n
  private lastLsn = 0n
  private lastBase: bigint | undefined = undefined
  private checkpoint: bigint | undefined = undefined
  private tornTail: TornTail | undefined = undefined
  private readonly seen: Array<SegmentSummary> = []
  private index = 0
  private done = false
  private file: FileSystem.File | undefined = undefined
  private fileScope: Scope.CloseableScope | undefined = undefined
  private base = 0n
  private buf: Uint8Array
  private bufLen = 0
  private pos = 0
  private fileBase = 0
  private eof = false
  private bytesRead = 0
  private readonly totalBytes: number

  constructor(
    private readonly fs: FileSystem.FileSystem,
    private readonly scope: Scope.Scope,
    private readonly files: ReadonlyArray<SegmentFile>,
    private readonly interrupted: SegmentFile | undefined,
    private readonly fence: bigint,
    private readonly codec: EventCodec<E>,
    private readonly onProgress: ((progress: Progress) => Effect.Effect<void>) | undefined,
    chunkBytes: number
  ) {
    this.totalBytes = files.reduce((n, f) => n + f.size, 0)
    // Small logs get a small buffer; it grows when a record is larger.
    const largest = files.reduce((n, f) => Math.max(n, f.size), 0)
    this.buf = new Uint8Array(Math.max(Segment.HEADER_LEN, Math.min(chunkBytes, largest)))
  }

  /** The next transactions, or `undefined` once the log is exhausted. */
  readonly pull: Effect.Effect<Array<Transaction<E>> | undefined, WalError> = Effect.suspend(() => this.pullInto([]))

  /** Decodes into `out` until it holds a batch, running I/O between steps as needed. */
  private pullInto(out: Array<Transaction<E>>): Effect.Effect<Array<Transaction<E>> | undefined, WalError> {
    const again = () => this.pullInto(out)
    while (!this.done && out.length === 0) {
      if (this.file === undefined) {
        if (this.index >= this.files.length) {
          this.done = true
          break
        }
        return Effect.flatMap(this.openSegment(), again)
      }
      const status = this.step(out)
      if (typeof status !== "number") return Effect.fail(status)
      if (status === BATCH_FULL) break
      if (status === NEED) return Effect.flatMap(this.fill(), again)
      if (status === SEGMENT_END) {
        this.index++
        return Effect.flatMap(this.closeSegment(), again)
      }
      return this.classify().pipe(
        Effect.zipRight(Effect.suspend(() => this.closeSegment())),
        Effect.flatMap(() => {
          this.done = true
          return again()
        })
      )
    }
    return Effect.succeed(out.length > 0 ? out : undefined)
  }

  /** Valid once `pull` has returned `undefined`. */
  summary(): Summary {
    return {
      maxLsn: unsafeLsn(this.maxLsn),
      tornTail: Option.fromNullable(this.tornTail),
      checkpointLsnObserved: this.checkpoint === undefined ? Option.none() : Option.some(unsafeLsn(this.checkpoint)),
      segments: this.seen,
      interruptedSegment: Option.map(Option.fromNullable(this.interrupted), (s) => s.path)
    }
  }

  private get current(): SegmentFile {
    return this.files[this.index]!
  }

  private openSegment(): Effect.Effect<void, WalError> {
    const self = this
    return Effect.gen(function*() {
      const segment = self.current
      self.fileScope = yield* Scope.fork(self.scope, ExecutionStrategy.sequential)
      self.file = yield* self.fs.open(segment.path, { flag: "r" }).pipe(
        Scope.extend(self.fileScope),
        Effect.mapError(Io.fromPlatform)
      )
      self.bufLen = 0
      self.pos = 0
      self.fileBase = 0
      self.eof = false
      yield* self.fill()
      if (self.bufLen < Segment.HEADER_LEN) {
        return yield* new Io({ reason: "UnexpectedEof", description: `failed to fill whole buffer (${segment.path})` })
      }
      const header = Segment.decodeHeader(self.buf.subarray(0, Segment.HEADER_LEN))
      if (header._tag === "Left") return yield* header.left
      const base = header.right.baseLsn
      if (self.lastBase !== undefined && base <= self.lastBase) {
        return yield* new Malformed({
          reason:
            `segment base_lsn ${base} is not greater than previous base_lsn ${self.lastBase} (${segment.path})`
        })
      }
      if (self.lastLsn !== 0n && base <= self.lastLsn) {
        return yield* new Malformed({
          reason:
            `segment base_lsn ${base} is not greater than previous record lsn ${self.lastLsn} (${segment.path})`
        })
      }
      self.lastBase = base
      self.base = base
      self.pos = Segment.HEADER_LEN
      self.seen.push({
        id: segment.id,
        file: segment.name,
        path: segment.path,
        size: segment.size,
        baseLsn: base,
        sealed: Segment.isSealed(header.right)
      })
    })
  }

  private closeSegment(): Effect.Effect<void> {
    const scope = this.fileScope
    this.file = undefined
    this.fileScope = undefined
    return scope === undefined ? Effect.void : Scope.close(scope, Exit.void)
  }

  /** Compacts the buffer and reads until it is full or the file ends. */
  private fill(): Effect.Effect<void, Io> {
    const self = this
    return Effect.gen(function*() {
      const file = self.file!
      if (self.pos > 0) {
        self.buf.copyWithin(0, self.pos, self.bufLen)
        self.fileBase += self.pos
        self.bufLen -= self.pos
        self.pos = 0
      }
      const needed = self.needed()
      if (needed > self.buf.length) {
        // A record larger than the chunk; step() has checked it fits in the file.
        const grown = new Uint8Array(needed)
        grown.set(self.buf.subarray(0, self.bufLen))
        self.buf = grown
      }
      let read = 0
      while (self.bufLen < self.buf.length && self.fileBase + self.bufLen < self.current.size) {
        const n = Number(yield* file.read(self.buf.subarray(self.bufLen)).pipe(Effect.mapError(Io.fromPlatform)))
        if (n === 0) break
        self.bufLen += n
        read += n
      }
      self.eof = self.bufLen < self.buf.length || self.fileBase + self.bufLen >= self.current.size
      self.bytesRead += read
      yield* Metric.incrementBy(replayBytes, read)
      if (self.onProgress !== undefined && read > 0) {
        yield* self.onProgress({ bytesRead: self.bytesRead, totalBytes: self.totalBytes })
      }
    })
  }

  /** Bytes the record at `pos` needs in the buffer. */
  private needed(): number {
    const avail = this.bufLen - this.pos
    if (avail < 4) return 4
    const length = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getUint32(0, true)
    return Math.max(length, 4)
  }

  /**
   * Decodes and applies records from the buffer until it needs more bytes,
   * the segment ends, or a record fails (the torn tail).
   */
  private step(out: Array<Transaction<E>>): number | Malformed {
    const buf = this.buf
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
    for (;;) {
      if (out.length >= BATCH_TRANSACTIONS) return BATCH_FULL
      const avail = this.bufLen - this.pos
      if (!this.eof) {
        if (avail < 4) return NEED
        const length = view.getUint32(this.pos, true)
        if (length >= WalRecord.MIN_LEN && length > avail && length <= this.current.size - (this.fileBase + this.pos)) {
          return NEED
        }
      }
      const decoded = WalRecord.decode(this.codec, buf, this.pos, this.bufLen)
      if (decoded._tag === "End") return SEGMENT_END
      if (decoded._tag === "Failure") {
        const segment = this.current
        this.tornTail = {
          segmentId: segment.id,
          segmentFile: segment.name,
          segmentPath: segment.path,
          lastGoodOffset: this.fileBase + this.pos,
          cause: decoded.error,
          classification: "torn-tail",
          followedBy: Option.none()
        }
        return STOP
      }
      const error = this.apply(decoded.record, out)
      if (error !== undefined) return error
      this.pos += decoded.length
    }
  }

  private bucket(begin: bigint): Array<E> | undefined {
    return this.open?.begin === begin ? this.open.events : this.pending.get(begin)
  }

  /** Ends an open transaction, returning its events (undefined if it was not open). */
  private close(begin: bigint): Array<E> | undefined {
    if (this.open?.begin === begin) {
      const events = this.open.events
      this.open = undefined
      return events
    }
    const events = this.pending.get(begin)
    this.pending.delete(begin)
    return events
  }

  private malformed(reason: string): Malformed {
    return new Malformed({ reason })
  }

  private apply(record: WalRecord.WalRecord<E>, out: Array<Transaction<E>>): Malformed | undefined {
    const lsn = record.lsn
    const path = this.current.path
    if (lsn < this.base) {
      return this.malformed(`record lsn ${lsn} is below segment base_lsn ${this.base} (${path})`)
    }
    if (this.lastLsn !== 0n && lsn <= this.lastLsn) {
      return this.malformed(`record lsn ${lsn} is not greater than previous lsn ${this.lastLsn} (${path})`)
    }
    this.lastLsn = lsn
    if (lsn > this.maxLsn) this.maxLsn = lsn
    if (lsn <= this.fence) {
      if (record._tag === "TxCommit" || record._tag === "TxAbort") this.close(record.txBeginLsn)
      return undefined
    }
    switch (record._tag) {
      case "Mutation": {
        const bucket = this.bucket(record.txBeginLsn)
        if (bucket === undefined) {
          return this.malformed(`mutation at lsn ${lsn} references missing tx begin ${record.txBeginLsn}`)
        }
        bucket.push(record.event)
        return undefined
      }
      case "MutationBatch": {
        const bucket = this.bucket(record.txBeginLsn)
        if (bucket === undefined) {
          return this.malformed(`mutation batch at lsn ${lsn} references missing tx begin ${record.txBeginLsn}`)
        }
        for (const event of record.events) bucket.push(event)
        return undefined
      }
      case "TxBegin":
        if (this.bucket(lsn) !== undefined) return this.malformed(`duplicate tx begin at lsn ${lsn}`)
        if (this.open !== undefined) this.pending.set(this.open.begin, this.open.events)
        this.open = { begin: lsn, events: [] }
        return undefined
      case "TxCommit": {
        const bucket = this.close(record.txBeginLsn)
        if (bucket === undefined) {
          return this.malformed(`commit at lsn ${lsn} references missing tx begin ${record.txBeginLsn}`)
        }
        out.push({ beginLsn: record.txBeginLsn, commitLsn: lsn, events: bucket })
        return undefined
      }
      case "TxAbort":
        if (this.close(record.txBeginLsn) === undefined) {
          return this.malformed(`abort at lsn ${lsn} references missing tx begin ${record.txBeginLsn}`)
        }
        return undefined
      case "Checkpoint":
        if (record.snapshotLsn > lsn) {
          return this.malformed(`checkpoint at lsn ${lsn} points to future snapshot lsn ${record.snapshotLsn}`)
        }
        if (this.checkpoint !== undefined && record.snapshotLsn < this.checkpoint) {
          return this.malformed(
            `checkpoint snapshot lsn ${record.snapshotLsn} regressed below previous checkpoint ${this.checkpoint}`
          )
        }
        this.checkpoint = record.snapshotLsn
        return undefined
    }
  }

  /**
   * Decides whether the stop is a torn tail or damage in the middle of the
   * log: later segments, or a well-formed record with a higher LSN after the
   * bad bytes, mean committed data lies beyond it.
   */
  private classify(): Effect.Effect<void, Io> {
    const self = this
    return Effect.gen(function*() {
      const torn = self.tornTail!
      const later = self.files[self.index + 1]
      if (later !== undefined) {
        self.tornTail = {
          ...torn,
          classification: "corruption",
          followedBy: Option.some({ segmentPath: later.path, offset: 0, lsn: Option.none() })
        }
        return
      }
      const start = torn.lastGoodOffset
      const rest = new Uint8Array(Math.max(0, self.current.size - start))
      const file = self.file!
      yield* file.seek(start, "start")
      let filled = 0
      while (filled < rest.length) {
        const n = Number(yield* file.read(rest.subarray(filled)).pipe(Effect.mapError(Io.fromPlatform)))
        if (n === 0) break
        filled += n
      }
      const found = WalRecord.findWellFormed(rest.subarray(0, filled), self.maxLsn)
      if (found !== undefined) {
        self.tornTail = {
          ...torn,
          classification: "corruption",
          followedBy: Option.some({
            segmentPath: torn.segmentPath,
            offset: start + found.offset,
            lsn: Option.some(found.lsn)
          })
        }
      }
    })
  }
}
