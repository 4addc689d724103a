/**
 * Read-only replay of a log directory: the committed transactions, in commit
 * order, above a fence LSN.
 *
 * Three forms over one engine: {@link replayDir} collects every event (what
 * lora-wal's `replay_dir` returns), {@link run} hands each transaction to a
 * callback and returns the {@link Summary}, and {@link stream} is an Effect
 * `Stream` of transactions. `run` and `stream` hold at most one read chunk
 * and the largest open transaction in memory, however large the log.
 *
 * Replay never takes the directory lock and never changes a file: it is a
 * diagnostic that can run beside a live writer.
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { EventCodec } from "./EventCodec.js"
import { Crc32 } from "./Crc32.js"
import * as Cursor from "./internal/replayCursor.js"
import { listReplayable, type Replayable } from "./internal/segments.js"
import { withSpan } from "./internal/tracing.js"
import { damageOf, holeBelow } from "./internal/wal/recoveryPlan.js"
import * as LoraCodec from "./LoraCodec.js"
import type { Lsn } from "./Lsn.js"
import type { MutationEvent } from "./MutationEvent.js"
import type { Corruption, Malformed, ReplayError } from "./WalError.js"

/**
 * A committed transaction: its TxBegin and TxCommit LSNs and its events in
 * the order they were logged.
 *
 * @since 0.1.0
 * @category models
 */
export type Transaction<A> = Cursor.Transaction<A>

/**
 * Where replay stopped before the natural end of the log. `classification`
 * is this library's addition: `"torn-tail"` when nothing valid follows (a
 * crash mid-write, safe to truncate), `"corruption"` when a later segment or
 * a well-formed record with a higher LSN follows the damage (`followedBy`
 * says where), so truncating would discard committed data.
 *
 * @since 0.1.0
 * @category models
 */
export type TornTail = Cursor.TornTail

/**
 * What replay learned besides the events: the highest LSN seen (committed
 * or not, so new appends never reuse one), the torn tail if any, the newest
 * checkpoint marker (informational: the caller's fence stays
 * authoritative), the segments read, and a newest segment set aside as an
 * interrupted rotation.
 *
 * @since 0.1.0
 * @category models
 */
export type Summary = Cursor.Summary

/**
 * Collected replay: the {@link Summary} plus every committed event.
 *
 * @since 0.1.0
 * @category models
 */
export interface Outcome<A> extends Summary {
  readonly committedEvents: ReadonlyArray<A>
}

/**
 * Bytes read so far out of the total size of the segments.
 *
 * @since 0.1.0
 * @category models
 */
export type Progress = Cursor.Progress

/**
 * How to read a directory, whatever the event type. Without `codec` the
 * events are LoraDB's `MutationEvent`s; with one, they are its events.
 *
 * @since 0.1.0
 * @category options
 */
export interface ReadOptions {
  /** Records at or below this LSN are already in the caller's snapshot. Default 0. */
  readonly fence?: Lsn | bigint | undefined
  /** Bytes per read (default 1 MiB); a record larger than this is read whole. */
  readonly chunkBytes?: number | undefined
  /** Called after each chunk read, for progress reporting on large logs. */
  readonly onProgress?: ((progress: Progress) => Effect.Effect<void>) | undefined
}

/**
 * Replay of LoraDB events (the default codec).
 *
 * @since 0.1.0
 * @category options
 */
export interface LoraOptions extends ReadOptions {
  readonly codec?: undefined
}

/**
 * Replay of the events a codec reads.
 *
 * @since 0.1.0
 * @category options
 */
export interface CodecOptions<A> extends ReadOptions {
  readonly codec: EventCodec<A>
}

/**
 * A callback for each committed transaction, which may fail or need services.
 *
 * @since 0.1.0
 * @category options
 */
export interface Handler<A, E, R> {
  readonly onTransaction: (transaction: Transaction<A>) => Effect.Effect<void, E, R>
}

/**
 * The empty log's summary.
 *
 * @internal
 */
export const emptySummary: Summary = {
  maxLsn: 0n as Lsn,
  tornTail: Option.none(),
  checkpointLsnObserved: Option.none(),
  segments: [],
  interruptedSegment: Option.none()
}

const cursor = <A>(
  fs: FileSystem.FileSystem,
  listing: Replayable,
  codec: EventCodec<A>,
  options: ReadOptions
): Effect.Effect<Cursor.ReplayCursor<A>, never, Scope.Scope> =>
  Effect.zipWith(Effect.scope, Crc32, (scope, crc32) =>
    new Cursor.ReplayCursor<A>(
      fs,
      scope,
      listing.segments,
      listing.interrupted,
      BigInt(options.fence ?? 0n),
      codec,
      crc32,
      options.onProgress,
      options.chunkBytes ?? Cursor.DEFAULT_CHUNK_BYTES
    ))

/**
 * Replays segments already listed (the live log lists them once for its own
 * recovery decisions), handing each transaction to `onTransaction`.
 *
 * @internal
 */
export const runListing = <A, E, R>(
  fs: FileSystem.FileSystem,
  dir: string,
  listing: Replayable,
  codec: EventCodec<A>,
  options: ReadOptions & Handler<A, E, R>
): Effect.Effect<Summary, ReplayError | E, R> =>
  Effect.scoped(
    Effect.flatMap(cursor(fs, listing, codec, options), (cursor) => {
      // A loop of plain Effects, not a generator: a suspended generator kept
      // each batch reachable long enough to be promoted, and replay spent
      // most of its time in the garbage collector.
      const next: Effect.Effect<Summary, ReplayError | E, R> = Effect.flatMap(
        cursor.pull,
        (batch) =>
          batch === undefined
            ? Effect.sync(() => cursor.summary())
            : Effect.zipRight(Effect.forEach(batch, options.onTransaction, { discard: true }), next)
      )
      return next
    })
  ).pipe(withSpan("lora-wal.replay", { attributes: { dir } }))

const listed = (dir: string) =>
  Effect.flatMap(
    Effect.all([FileSystem.FileSystem, Path.Path]),
    ([fs, path]) => Effect.map(listReplayable(fs, path, dir), (listing) => ({ fs, listing }))
  )

const runWith = <A, E, R>(dir: string, codec: EventCodec<A>, options: ReadOptions & Handler<A, E, R>) =>
  Effect.flatMap(listed(dir), ({ fs, listing }) => runListing(fs, dir, listing, codec, options))

/**
 * Replays `dir`, handing each committed transaction to `onTransaction` as it
 * is read, and returns the summary. Memory stays bounded by the largest
 * transaction, so this is the form to recover a multi-GB log with.
 *
 * @example
 * ```ts
 * import { Replay } from "@lora-wal/core"
 * import { Effect } from "effect"
 *
 * const count = (dir: string) => {
 *   let events = 0
 *   return Replay.run(dir, {
 *     onTransaction: (tx) => Effect.sync(() => void (events += tx.events.length))
 *   }).pipe(Effect.map((summary) => ({ events, maxLsn: summary.maxLsn })))
 * }
 * ```
 *
 * @since 0.1.0
 * @category replay
 */
export function run<E = never, R = never>(
  dir: string,
  options: LoraOptions & Handler<MutationEvent, E, R>
): Effect.Effect<Summary, ReplayError | E, FileSystem.FileSystem | Path.Path | R>
export function run<A, E = never, R = never>(
  dir: string,
  options: CodecOptions<A> & Handler<A, E, R>
): Effect.Effect<Summary, ReplayError | E, FileSystem.FileSystem | Path.Path | R>
export function run<A, E, R>(
  dir: string,
  options: (LoraOptions & Handler<MutationEvent, E, R>) | (CodecOptions<A> & Handler<A, E, R>)
): Effect.Effect<Summary, ReplayError | E, FileSystem.FileSystem | Path.Path | R> {
  return options.codec === undefined ? runWith(dir, LoraCodec.codec, options) : runWith(dir, options.codec, options)
}

const collect = <A>(dir: string, codec: EventCodec<A>, options: ReadOptions) => {
  const committedEvents: Array<A> = []
  return runWith(dir, codec, {
    ...options,
    onTransaction: (transaction) =>
      Effect.sync(() => {
        for (const event of transaction.events) committedEvents.push(event)
      })
  }).pipe(Effect.map((summary): Outcome<A> => ({ ...summary, committedEvents })))
}

/**
 * Replays `dir` and collects every committed event: lora-wal's `replay_dir`.
 * Simplest for small logs and diagnostics; the events are all held in
 * memory, so recover a large log with {@link run} or {@link stream}.
 *
 * @example
 * ```ts
 * import { NodeContext, NodeRuntime } from "@effect/platform-node"
 * import { Replay } from "@lora-wal/core"
 * import { Console, Effect, Option } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const outcome = yield* Replay.replayDir("/var/lib/app/wal")
 *   yield* Console.log(`${outcome.committedEvents.length} events, highest lsn ${outcome.maxLsn}`)
 *   if (Option.isSome(outcome.tornTail)) {
 *     yield* Console.log(`stopped early: ${outcome.tornTail.value.classification}`)
 *   }
 * })
 *
 * program.pipe(Effect.provide(NodeContext.layer), NodeRuntime.runMain)
 * ```
 *
 * @since 0.1.0
 * @category replay
 */
export function replayDir(
  dir: string,
  options?: LoraOptions
): Effect.Effect<Outcome<MutationEvent>, ReplayError, FileSystem.FileSystem | Path.Path>
export function replayDir<A>(
  dir: string,
  options: CodecOptions<A>
): Effect.Effect<Outcome<A>, ReplayError, FileSystem.FileSystem | Path.Path>
export function replayDir<A>(
  dir: string,
  options?: LoraOptions | CodecOptions<A>
): Effect.Effect<Outcome<MutationEvent> | Outcome<A>, ReplayError, FileSystem.FileSystem | Path.Path> {
  return options?.codec === undefined ? collect(dir, LoraCodec.codec, options ?? {}) : collect(dir, options.codec, options)
}

/**
 * A replay cursor over `dir` whose `pull` refuses what opening the log
 * refuses: nothing comes from a log with a hole above the fence, and damage
 * no crash leaves behind fails it once everything before it has been
 * pulled. The stream and `LoraJson.replayLines` are loops over it.
 *
 * @internal
 */
export const refusingCursor = <A>(
  dir: string,
  codec: EventCodec<A>,
  options: ReadOptions
): Effect.Effect<
  {
    readonly cursor: Cursor.ReplayCursor<A>
    readonly pull: Effect.Effect<Array<Transaction<A>> | undefined, ReplayError | Corruption>
  },
  ReplayError,
  FileSystem.FileSystem | Path.Path | Scope.Scope
> =>
  Effect.flatMap(listed(dir), ({ fs, listing }) =>
    Effect.map(cursor(fs, listing, codec, options), (cursor) => {
      const fence = BigInt(options.fence ?? 0n)
      const newestId = listing.segments[listing.segments.length - 1]?.id
      let fenceChecked = false
      // The summary is read only after the first pull (the oldest segment's base is known
      // then) and at the end, not for every batch.
      const refusal = (batch: Array<Transaction<A>> | undefined): Malformed | Corruption | undefined => {
        if (!fenceChecked) {
          fenceChecked = true
          const oldest = cursor.summary().segments[0]
          const hole = oldest === undefined ? undefined : holeBelow(oldest.baseLsn, fence)
          if (hole !== undefined) return hole
        }
        return batch === undefined && newestId !== undefined ? damageOf(cursor.summary(), newestId, false) : undefined
      }
      const pull = Effect.flatMap(cursor.pull, (batch) => {
        const refused = refusal(batch)
        return refused === undefined ? Effect.succeed(batch) : Effect.fail(refused)
      })
      return { cursor, pull }
    }))

const streamWith = <A>(
  dir: string,
  codec: EventCodec<A>,
  options: ReadOptions
): Stream.Stream<Transaction<A>, ReplayError | Corruption, FileSystem.FileSystem | Path.Path> =>
  Stream.unwrapScoped(
    Effect.map(refusingCursor(dir, codec, options), ({ pull }) =>
      Stream.repeatEffectChunkOption(
        pull.pipe(
          Effect.mapError(Option.some<ReplayError | Corruption>),
          Effect.flatMap((batch) =>
            batch === undefined ? Effect.fail(Option.none()) : Effect.succeed(Chunk.unsafeFromArray(batch))
          )
        )
      ))
  )

/**
 * The committed transactions of `dir` as a `Stream`, for a recovery that
 * applies them as they come: it refuses what opening the log refuses. A
 * crash's torn tail ends the stream as it ends the log; damage with
 * committed records after it fails the stream with `Corruption`, and damage
 * at the end of a sealed segment with `Malformed`, once everything before it
 * has been emitted; a log that no longer reaches back to `fence` fails with
 * `Malformed` before emitting anything. ({@link run} and {@link replayDir}
 * report all of these in their summary instead, as lora-wal's `replay_dir`
 * does.)
 *
 * @example
 * ```ts
 * import { type MutationEvent, Replay } from "@lora-wal/core"
 * import { Effect, Stream } from "effect"
 *
 * declare const snapshotLsn: bigint // yours: the LSN of the snapshot you loaded
 * declare const apply: (event: MutationEvent.MutationEvent) => Effect.Effect<void> // yours
 *
 * const program = Replay.stream("/var/lib/app/wal", { fence: snapshotLsn }).pipe(
 *   Stream.mapConcat((tx) => tx.events),
 *   Stream.runForEach(apply)
 * )
 * ```
 *
 * @since 0.1.0
 * @category replay
 */
export function stream(
  dir: string,
  options?: LoraOptions
): Stream.Stream<Transaction<MutationEvent>, ReplayError | Corruption, FileSystem.FileSystem | Path.Path>
export function stream<A>(
  dir: string,
  options: CodecOptions<A>
): Stream.Stream<Transaction<A>, ReplayError | Corruption, FileSystem.FileSystem | Path.Path>
export function stream<A>(
  dir: string,
  options?: LoraOptions | CodecOptions<A>
): Stream.Stream<Transaction<MutationEvent> | Transaction<A>, ReplayError | Corruption, FileSystem.FileSystem | Path.Path> {
  return options?.codec === undefined ? streamWith(dir, LoraCodec.codec, options ?? {}) : streamWith(dir, options.codec, options)
}
