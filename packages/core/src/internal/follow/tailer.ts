/**
 * Reads a log directory while a writer appends to it: each `poll` reads what
 * reached the files since the last one and returns the transactions it
 * completed. It never returns a transaction before its TxCommit is read
 * whole with a good CRC, and it waits at a record that ends at the end of
 * the file (it may be half-written) instead of calling it torn; a bad
 * record with bytes after it is damage, and stops it.
 *
 * A segment is left for the next one only once the next one exists and a
 * last read of the old one finds nothing more: the writer writes everything
 * of a segment before it creates the next. A segment deleted by truncation
 * while it is being read stays readable through the open handle; a
 * successor missing when its turn comes is `Gone`.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import type { Crc32Function } from "../../Crc32.js"
import type { EventCodec } from "../../EventCodec.js"
import * as Segment from "../../Segment.js"
import { BadSegmentHeader, type FollowError, Gone, Io, Malformed } from "../../WalError.js"
import * as WalRecord from "../../WalRecord.js"
import { readAt } from "../fileReads.js"
import { listSegmentNames } from "../segments.js"
import { type Transaction, TransactionAssembler } from "../transactionAssembler.js"

const READ_BYTES = 256 * 1024

/** Transactions per poll: a long catch-up is handed over in pieces. */
const BATCH_TRANSACTIONS = 64

interface OpenSegment {
  readonly id: bigint
  readonly path: string
  readonly file: FileSystem.File
  readonly scope: Scope.CloseableScope
  /** Whether its header has been read. */
  entered: boolean
}

/** Why decoding stopped: at the end of what is on disk, with a full batch, or at a failure. */
type Stop = "AtEnd" | "BatchFull" | FollowError

/** @internal */
export class Tailer<E> {
  private segment: OpenSegment | undefined = undefined
  /** Set once a newer segment was seen: the current one is then complete on disk. */
  private newerExists = false
  private buffer = new Uint8Array(READ_BYTES)
  /** File offset of `buffer[0]`; unconsumed bytes are `buffer[start..end]`. */
  private bufferOffset = 0
  private start = 0
  private end = 0
  private readonly assembler = new TransactionAssembler<E>(0n)
  /** Base LSN of the first segment read: transactions begun below it are not in the files any more. */
  private firstBase: bigint | undefined = undefined

  constructor(
    private readonly fs: FileSystem.FileSystem,
    private readonly path: Path.Path,
    private readonly dir: string,
    private readonly codec: EventCodec<E>,
    private readonly crc32: Crc32Function,
    /** Transactions committed below it are read but not returned; undefined: from the oldest one kept whole. */
    private readonly fromLsn: bigint | undefined
  ) {}

  /** Committed transactions found since the last poll, oldest first; empty when nothing new is on disk. */
  readonly poll: Effect.Effect<Array<Transaction<E>>, FollowError> = Effect.suspend(() => this.pollInto([]))

  /** Closes the open segment. */
  readonly close: Effect.Effect<void> = Effect.suspend(() =>
    this.segment === undefined ? Effect.void : Scope.close(this.segment.scope, Exit.void)
  )

  private pollInto(out: Array<Transaction<E>>): Effect.Effect<Array<Transaction<E>>, FollowError> {
    return Effect.gen(this, function*() {
      for (;;) {
        if (this.segment === undefined) {
          // A directory that does not exist yet is a log that has not started yet.
          const segments = yield* listSegmentNames(this.fs, this.dir).pipe(
            Effect.catchIf((e) => e.reason === "NotFound", () => Effect.succeed([]))
          )
          if (segments.length === 0) return out
          yield* this.open(segments[0]!.id)
        }
        const read = yield* this.fill
        const stop = this.decode(out)
        if (stop === "BatchFull") return out
        if (stop !== "AtEnd") return yield* stop
        if (read > 0 || (yield* this.reopenIfReplaced)) continue
        // Nothing more on disk. The writer finishes a segment before it creates the next, so
        // once a newer one exists, a read that finds nothing more means this one is complete.
        if (this.newerExists) yield* this.next
        else if (!(this.newerExists = yield* this.newerSegmentExists)) return out
      }
    })
  }

  /**
   * Reopens the current segment's path when it no longer names the file the
   * handle reads: a writer that starts over rewrites its newest segment to
   * a fresh file (recovery's copy of the records it keeps) and renames it
   * into place, then appends to that. The follower goes on from the last
   * record it consumed, dropping what it had read past it (a torn tail the
   * copy left out). Files are told apart by inode (the old one cannot be
   * reused while the handle holds it); where the filesystem has none, by
   * size. Whether it reopened.
   */
  private readonly reopenIfReplaced = Effect.gen(this, function*() {
    const current = this.segment!
    const info = yield* Effect.option(this.fs.stat(current.path))
    // Gone (truncation): the handle still reads the file; the successor decides what comes next.
    if (info._tag === "None") return false
    const held = yield* Effect.option(current.file.stat)
    const sameFile = held._tag === "Some" && Option.isSome(held.value.ino) && Option.isSome(info.value.ino)
      ? held.value.ino.value === info.value.ino.value && held.value.dev === info.value.dev
      : Number(info.value.size) === this.bufferOffset + this.end
    if (sameFile) return false
    const consumed = this.bufferOffset + this.start
    if (Number(info.value.size) < consumed) {
      return yield* new Malformed({
        reason: `${current.path} was rewritten shorter (${info.value.size} bytes) than the records already read from it (${consumed} bytes)`
      })
    }
    yield* Scope.close(current.scope, Exit.void)
    yield* this.open(current.id)
    this.segment!.entered = current.entered
    this.bufferOffset = current.entered ? consumed : 0
    return true
  })

  private readonly newerSegmentExists = Effect.suspend(() =>
    Effect.map(listSegmentNames(this.fs, this.dir), (segments) => segments.some((s) => s.id > this.segment!.id))
  )

  private open(id: bigint) {
    return Effect.gen(this, function*() {
      const path = this.path.join(this.dir, Segment.fileName(id as Segment.SegmentId))
      const scope = yield* Scope.make()
      const file = yield* this.fs.open(path, { flag: "r" }).pipe(
        Scope.extend(scope),
        Effect.mapError(Io.fromPlatform),
        Effect.tapError(() => Scope.close(scope, Exit.void))
      )
      this.segment = { id, path, file, scope, entered: false }
      this.newerExists = false
      this.bufferOffset = 0
      this.start = 0
      this.end = 0
    })
  }

  /** Leaves the complete current segment for its successor; `Gone` if truncation deleted that. */
  private readonly next = Effect.gen(this, function*() {
    const current = this.segment!
    if (!current.entered || this.start !== this.end) {
      return yield* new Malformed({
        reason: `${current.path} ends in an incomplete or damaged record at offset ${this.bufferOffset + this.start}, though a newer segment follows it`
      })
    }
    yield* Scope.close(current.scope, Exit.void)
    const segments = yield* listSegmentNames(this.fs, this.dir)
    if (!segments.some((s) => s.id === current.id + 1n)) {
      return yield* new Gone({ lsn: this.assembler.maxLsn + 1n, oldestLsn: yield* this.baseOf(segments[0]?.name) })
    }
    yield* this.open(current.id + 1n)
  })

  /** The base LSN in a segment's header, its header only read (0 when there is no segment, or no valid header). */
  private baseOf(name: string | undefined) {
    if (name === undefined) return Effect.succeed(0n)
    const path = this.path.join(this.dir, name)
    return Effect.scoped(Effect.flatMap(this.fs.open(path, { flag: "r" }), (file) => readAt(file, 0, Segment.HEADER_LEN))).pipe(
      Effect.catchTag("BadArgument", "SystemError", (e) => Effect.fail(Io.fromPlatform(e))),
      Effect.map((bytes) => {
        const header = Segment.decodeHeader(bytes)
        return header._tag === "Right" ? header.right.baseLsn as bigint : 0n
      })
    )
  }

  /** Reads the current segment's next bytes after those buffered; how many it read. */
  private readonly fill = Effect.suspend(() => {
    if (this.start > 0) {
      this.buffer.copyWithin(0, this.start, this.end)
      this.bufferOffset += this.start
      this.end -= this.start
      this.start = 0
    }
    if (this.end === this.buffer.length) {
      const grown = new Uint8Array(this.buffer.length * 2)
      grown.set(this.buffer)
      this.buffer = grown
    }
    const { file } = this.segment!
    return Effect.zipRight(
      file.seek(this.bufferOffset + this.end, "start"),
      Effect.map(file.read(this.buffer.subarray(this.end)), (n) => {
        this.end += Number(n)
        return Number(n)
      })
    ).pipe(Effect.mapError(Io.fromPlatform))
  })

  /** Decodes whole records from the buffer into transactions. */
  private decode(out: Array<Transaction<E>>): Stop {
    const segment = this.segment!
    if (!segment.entered) {
      const failed = this.enter(segment)
      if (failed !== undefined) return failed
      if (!segment.entered) return "AtEnd"
    }
    while (out.length < BATCH_TRANSACTIONS) {
      const decoded = WalRecord.decode(this.codec, this.buffer, this.start, this.end, this.crc32)
      if (decoded._tag === "End") return "AtEnd"
      if (decoded._tag === "Failure") return this.atFailure(segment)
      const failed = this.apply(decoded.record, out)
      if (failed !== undefined) return failed
      this.start += decoded.length
    }
    return "BatchFull"
  }

  /** Reads the segment header once all of it is there. */
  private enter(segment: OpenSegment): FollowError | undefined {
    if (this.end < Segment.HEADER_LEN) return undefined
    const header = Segment.decodeHeader(this.buffer.subarray(0, Segment.HEADER_LEN))
    if (header._tag === "Left") {
      // Only the header is there: it may still be being written.
      if (this.end === Segment.HEADER_LEN) return undefined
      const reason = header.left._tag === "Truncated" ? "truncated header" : header.left.reason
      return new BadSegmentHeader({ reason, segmentPath: segment.path })
    }
    const base = header.right.baseLsn
    if (this.firstBase === undefined) {
      this.firstBase = base
      // Asked for records that truncation deleted (LSN 0 and 1 both mean "from the start").
      if (this.fromLsn !== undefined && this.fromLsn > 1n && this.fromLsn < base) {
        return new Gone({ lsn: this.fromLsn, oldestLsn: base })
      }
    }
    const malformed = this.assembler.enterSegment(base, segment.path)
    if (malformed !== undefined) return malformed
    segment.entered = true
    this.start = Segment.HEADER_LEN
    return undefined
  }

  /** A record that did not decode: still being written if it reaches the end of the file, damage if bytes follow it. */
  private atFailure(segment: OpenSegment): Stop {
    const frame = WalRecord.frameAt(this.buffer, this.start, this.end, this.crc32)
    const reachesEnd = frame._tag === "Short" ||
      (frame._tag === "Frame" && this.start + frame.frame.length === this.end) ||
      (frame._tag === "TooSmall" && this.end - this.start < WalRecord.MIN_LEN)
    if (reachesEnd) return "AtEnd"
    return new Malformed({
      reason: `${segment.path} is damaged at offset ${this.bufferOffset + this.start} with records after it`
    })
  }

  /**
   * Applies a record. Records of a transaction begun before the first
   * segment read are set aside: its beginning was truncated away, so it is
   * skipped, unless the caller asked for it (`Gone`).
   */
  private apply(record: WalRecord.WalRecord<E>, out: Array<Transaction<E>>): FollowError | undefined {
    if (record._tag !== "TxBegin" && record._tag !== "Checkpoint" && record.txBeginLsn < this.firstBase!) {
      const wanted = record._tag === "TxCommit" && this.fromLsn !== undefined && record.lsn >= this.fromLsn
      return wanted ? new Gone({ lsn: record.txBeginLsn, oldestLsn: this.firstBase! }) : undefined
    }
    const before = out.length
    const malformed = this.assembler.apply(record, out)
    if (malformed !== undefined) return malformed
    if (out.length > before && this.fromLsn !== undefined && out[out.length - 1]!.commitLsn < this.fromLsn) out.pop()
    return undefined
  }
}
