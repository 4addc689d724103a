/**
 * From events to bytes handed to the OS: records are encoded into one
 * buffer (all of a transaction or none of it, with their LSNs allocated),
 * written by a single call, and the active segment is rotated once it
 * reaches its target size.
 */
import type { Crc32Function } from "../../Crc32.js"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { EventCodec } from "../../EventCodec.js"
import { type Lsn, unsafeMake as unsafeLsn } from "../../Lsn.js"
import * as Segment from "../../Segment.js"
import * as WalMetrics from "../../WalMetrics.js"
import * as WalRecord from "../../WalRecord.js"
import { type BufferError, Encode, Io, Malformed, type WriteError } from "../../WalError.js"
import { withSpan } from "../tracing.js"
import { awaitInFlight, healthy, type LogState, poison, poisonOn, progressed, whenHealthy } from "./state.js"

const LSN_LIMIT = 0xffff_ffff_ffff_ffffn

/** @internal */
export const sinceMillis = (started: number): Duration.Duration => Duration.millis(performance.now() - started)

/** @internal */
export interface WritePath<A> {
  /** Hands buffered records to the OS (caller holds the lock); a failed write poisons the log. */
  readonly writePending: Effect.Effect<void, Io>
  /**
   * Buffers transactions (none of them empty) under the lock, three records
   * each, all or none, checking for rotation once before them; returns the
   * last TxCommit's LSN (each earlier one is 3 below the next).
   */
  readonly appendTransactions: (transactions: ReadonlyArray<ReadonlyArray<A>>) => Effect.Effect<Lsn, WriteError>
  /** Buffers one record under the lock. */
  readonly appendRecord: (build: (lsn: Lsn) => WalRecord.WalRecord<A>) => Effect.Effect<Lsn, BufferError>
  /** Buffers a TxBegin under the lock, rotating first if the segment is full. */
  readonly begin: Effect.Effect<Lsn, WriteError>
  /** Buffers a MutationBatch (an empty one is an `Encode` error). */
  readonly appendBatch: (txBeginLsn: Lsn, events: ReadonlyArray<A>) => Effect.Effect<Lsn, BufferError>
}

/** @internal */
export const make = <A>(
  state: LogState,
  options: {
    readonly codec: EventCodec<A>
    readonly crc32: Crc32Function
    readonly targetBytes: number
    readonly syncDir: Effect.Effect<void, Io>
  }
): WritePath<A> => {
  const { codec, crc32, targetBytes } = options
  const isHealthy = healthy(state)

  /** Encodes records into the buffer, all or none, allocating their LSNs. */
  const bufferRecords = (build: (first: bigint) => ReadonlyArray<WalRecord.WalRecord<A>>) =>
    Effect.suspend((): Effect.Effect<Lsn, Encode | Malformed> => {
      const first = state.nextLsn
      const records = build(first)
      if (first + BigInt(records.length) - 1n >= LSN_LIMIT) {
        return Effect.fail(new Malformed({ reason: "WAL LSN space is exhausted" }))
      }
      const mark = state.buffer.length
      for (const record of records) {
        const encoded = WalRecord.encode(codec, state.buffer, record, crc32)
        if (Either.isLeft(encoded)) {
          state.buffer.length = mark
          return Effect.fail(encoded.left)
        }
      }
      state.nextLsn = first + BigInt(records.length)
      state.bufferLastLsn = state.nextLsn - 1n
      WalMetrics.recordsWritten.unsafeUpdate(records.length, [])
      return Effect.succeed(unsafeLsn(state.nextLsn - 1n))
    })

  const writePending = Effect.suspend((): Effect.Effect<void, Io> => {
    if (state.buffer.length === 0) return Effect.void
    const bytes = state.buffer.written
    const upTo = state.bufferLastLsn
    const segment = state.segment.current
    return Effect.matchEffect(segment.file.writeAll(bytes), {
      onFailure: (e) => {
        const failure = Io.fromPlatform(e)
        poison(state, failure)
        return Effect.fail(failure)
      },
      onSuccess: () => {
        WalMetrics.bytesWritten.unsafeUpdate(bytes.length, [])
        segment.size += bytes.length
        state.writtenLsn = upTo
        state.buffer.reset()
        if (state.syncMode._tag === "None") state.durableLsn = upTo
        progressed(state)
        return Effect.void
      }
    })
  })

  /** Seals the active segment and starts the next one (caller holds the lock). */
  const rotate = Effect.gen(function*() {
    yield* writePending
    yield* awaitInFlight(state)
    // The fsync just awaited may have failed: sealing now would fsync again (which
    // succeeds without writing what the failure dropped) and call it durable.
    yield* isHealthy
    const old = state.segment.current
    yield* poisonOn(state, state.segment.seal)
    state.durableLsn = state.writtenLsn
    state.syncedLsn = state.writtenLsn
    progressed(state)
    yield* poisonOn(state, state.segment.create((old.id + 1n) as Segment.SegmentId, state.nextLsn))
    yield* poisonOn(state, options.syncDir)
    WalMetrics.segmentsRotated.unsafeUpdate(1, [])
  }).pipe(withSpan("lora-wal.rotate", { captureStackTrace: false }))

  /** Rotates once the segment reaches its target, unless it holds no record (its successor would share its base LSN). */
  const maybeRotate = Effect.suspend(() => {
    const size = state.segment.current.size + state.buffer.length
    return size >= targetBytes && size > Segment.HEADER_LEN ? rotate : Effect.void
  })

  const appendRecord = (build: (lsn: Lsn) => WalRecord.WalRecord<A>) =>
    state.locked(Effect.zipRight(isHealthy, bufferRecords((lsn) => [build(unsafeLsn(lsn))])))

  const transactionRecords = (begin: bigint, events: ReadonlyArray<A>): Array<WalRecord.WalRecord<A>> => [
    { _tag: "TxBegin", lsn: unsafeLsn(begin) },
    { _tag: "MutationBatch", lsn: unsafeLsn(begin + 1n), txBeginLsn: unsafeLsn(begin), events },
    { _tag: "TxCommit", lsn: unsafeLsn(begin + 2n), txBeginLsn: unsafeLsn(begin) }
  ]

  const appendTransactions = (transactions: ReadonlyArray<ReadonlyArray<A>>) =>
    state.locked(whenHealthy(state, (): Effect.Effect<Lsn, WriteError> => {
      const buffered = bufferRecords((begin) =>
        transactions.length === 1
          ? transactionRecords(begin, transactions[0]!)
          : transactions.flatMap((events, i) => transactionRecords(begin + 3n * BigInt(i), events))
      )
      // PerCommit writes as it leads the fsync; the other modes hand the bytes to the OS now.
      const written = state.syncMode._tag === "PerCommit" ? buffered : Effect.zipLeft(buffered, writePending)
      return Effect.zipRight(maybeRotate, written)
    }))

  const begin = state.locked(Effect.gen(function*() {
    yield* isHealthy
    yield* maybeRotate
    return yield* bufferRecords((lsn) => [{ _tag: "TxBegin", lsn: unsafeLsn(lsn) }])
  }))

  const appendBatch = (txBeginLsn: Lsn, events: ReadonlyArray<A>): Effect.Effect<Lsn, BufferError> =>
    events.length === 0
      ? Effect.zipRight(isHealthy, Effect.fail(new Encode({ reason: "mutation batch must contain at least one event" })))
      : appendRecord((lsn) => ({ _tag: "MutationBatch", lsn, txBeginLsn, events }))

  return { writePending, appendTransactions, appendRecord, begin, appendBatch }
}
