import type { Crc32Function } from "../Crc32.js"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type { EventCodec } from "../EventCodec.js"
import { type Lsn, unsafeMake as unsafeLsn } from "../Lsn.js"
import * as Segment from "../Segment.js"
import { BadSegmentHeader, type Malformed, type ReplayError } from "../WalError.js"
import { ChunkReader, type Progress } from "./chunkReader.js"
import type { SegmentFile } from "./segments.js"
import { classify, type TornTail, tornTailAt } from "./tailClassifier.js"
import { type Transaction, TransactionAssembler } from "./transactionAssembler.js"

export { DEFAULT_CHUNK_BYTES, type Progress } from "./chunkReader.js"
export type { TornTail } from "./tailClassifier.js"
export type { Transaction } from "./transactionAssembler.js"

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

/**
 * Transactions per pull: small batches hand events over soon after they are
 * decoded, so that they die young instead of a whole chunk's worth (~16k
 * events) waiting for the consumer.
 */
const BATCH_TRANSACTIONS = 64

/** Why decoding from the buffer paused. */
type Pause = "NeedBytes" | "SegmentEnd" | "RecordFailed" | "BatchFull"

/**
 * A pull-based replay over a list of segments: each `pull` reads about one
 * chunk and returns the transactions it completed, so memory stays bounded
 * by the chunk plus the largest open transaction. The collected, streaming
 * and callback forms of replay are all loops over this one cursor.
 *
 * It coordinates three parts: the {@link ChunkReader} (segment files through
 * one buffer), the {@link TransactionAssembler} (records into committed
 * transactions) and the tail {@link classify classification} (where replay
 * stopped early).
 */
export class ReplayCursor<E> {
  private readonly reader: ChunkReader<E>
  private readonly assembler: TransactionAssembler<E>
  private tornTail: TornTail | undefined = undefined
  private readonly seen: Array<SegmentSummary> = []
  private index = 0
  private done = false

  constructor(
    fs: FileSystem.FileSystem,
    scope: Scope.Scope,
    private readonly files: ReadonlyArray<SegmentFile>,
    private readonly interrupted: SegmentFile | undefined,
    fence: bigint,
    codec: EventCodec<E>,
    crc32: Crc32Function,
    onProgress: ((progress: Progress) => Effect.Effect<void>) | undefined,
    chunkBytes: number
  ) {
    this.reader = new ChunkReader(fs, scope, codec, crc32, files, chunkBytes, onProgress)
    this.assembler = new TransactionAssembler(fence)
  }

  /**
   * The next transactions, or `undefined` once the log is exhausted. A pull
   * reads at most one chunk (a fill, or a segment's first), so it may return
   * none (a stretch of fenced or aborted records): a caller whose events
   * point into storage it releases between pulls gets to release it at least
   * once a chunk.
   */
  readonly pull: Effect.Effect<Array<Transaction<E>> | undefined, ReplayError> = Effect.suspend(() => this.pullInto([]))

  /** The events of the transactions still open (see `TransactionAssembler.openEvents`). */
  openEvents(): IterableIterator<Array<E>> {
    return this.assembler.openEvents()
  }

  /** Valid once `pull` has returned `undefined`. */
  summary(): Summary {
    const checkpoint = this.assembler.checkpointLsn
    return {
      maxLsn: unsafeLsn(this.assembler.maxLsn),
      tornTail: Option.fromNullable(this.tornTail),
      checkpointLsnObserved: checkpoint === undefined ? Option.none() : Option.some(unsafeLsn(checkpoint)),
      segments: this.seen,
      interruptedSegment: Option.map(Option.fromNullable(this.interrupted), (s) => s.path)
    }
  }

  /**
   * Decodes into `out` until it holds a batch, or until what one read
   * brought in (`hasRead`) is decoded.
   */
  private pullInto(
    out: Array<Transaction<E>>,
    hasRead = false
  ): Effect.Effect<Array<Transaction<E>> | undefined, ReplayError> {
    if (!this.reader.isOpen && this.index >= this.files.length) this.done = true
    if (this.done) return Effect.succeed(out.length > 0 ? out : undefined)
    if (!this.reader.isOpen) {
      if (out.length > 0 || hasRead) return Effect.succeed(out)
      return Effect.flatMap(this.openSegment(this.files[this.index]!), () => this.pullInto(out, true))
    }
    const pause = this.decode(out)
    if (typeof pause !== "string") return Effect.fail(pause)
    switch (pause) {
      case "BatchFull":
        return Effect.succeed(out)
      case "NeedBytes":
        if (out.length > 0 || hasRead) return Effect.succeed(out)
        return Effect.flatMap(this.reader.fill(), () => this.pullInto(out, true))
      case "SegmentEnd":
        this.index++
        return Effect.flatMap(this.reader.close(), () => this.pullInto(out, hasRead))
      case "RecordFailed":
        return Effect.flatMap(this.stop(), () => this.pullInto(out, hasRead))
    }
  }

  /** Opens a segment and checks its header and base LSN. */
  private openSegment(segment: SegmentFile): Effect.Effect<void, ReplayError> {
    return Effect.flatMap(this.reader.open(segment), (bytes): Effect.Effect<void, ReplayError> => {
      const header = Segment.decodeHeader(bytes)
      if (header._tag === "Left") {
        // The reader hands over a whole header or fails, so a short one is only reported as malformed.
        const reason = header.left._tag === "Truncated" ? "truncated header" : header.left.reason
        return Effect.fail(new BadSegmentHeader({ reason, segmentPath: segment.path }))
      }
      const base = header.right.baseLsn
      const malformed = this.assembler.enterSegment(base, segment.path)
      if (malformed !== undefined) return Effect.fail(malformed)
      this.reader.advance(Segment.HEADER_LEN)
      this.seen.push({
        id: segment.id,
        file: segment.name,
        path: segment.path,
        size: segment.size,
        baseLsn: base,
        sealed: Segment.isSealed(header.right)
      })
      return Effect.void
    })
  }

  /**
   * Decodes and applies records from the buffer until it needs more bytes,
   * the segment ends, a record fails (the torn tail) or the batch is full.
   */
  private decode(out: Array<Transaction<E>>): Pause | Malformed {
    const reader = this.reader
    while (out.length < BATCH_TRANSACTIONS) {
      const decoded = reader.next()
      switch (decoded._tag) {
        case "NeedBytes":
          return "NeedBytes"
        case "End":
          return "SegmentEnd"
        case "Failure":
          this.tornTail = tornTailAt(reader.segment, reader.offset, decoded.error)
          return "RecordFailed"
      }
      const malformed = this.assembler.apply(decoded.record, out)
      if (malformed !== undefined) return malformed
      reader.advance(decoded.length)
    }
    return "BatchFull"
  }

  /** Replay ends at the torn tail: classify it, then release the segment. */
  private stop(): Effect.Effect<void, ReplayError> {
    const torn = this.tornTail!
    return classify(torn, this.files[this.index + 1], this.reader.readFrom(torn.lastGoodOffset), this.assembler.maxLsn)
      .pipe(
        Effect.flatMap((classified) => {
          this.tornTail = classified
          this.done = true
          return this.reader.close()
        })
      )
  }
}
