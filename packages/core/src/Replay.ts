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
import type * as FileSystem from "@effect/platform/FileSystem"
import { FileSystem as FileSystemTag } from "@effect/platform/FileSystem"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { EventCodec } from "./EventCodec.js"
import * as Cursor from "./internal/replayCursor.js"
import { listReplayable } from "./internal/segments.js"
import { withSpan } from "./internal/tracing.js"
import * as LoraCodec from "./LoraCodec.js"
import type { Lsn } from "./Lsn.js"
import type { MutationEvent } from "./MutationEvent.js"
import type { WalError } from "./WalError.js"

/**
 * A committed transaction: its TxBegin and TxCommit LSNs and its events in
 * the order they were logged.
 *
 * @since 0.1.0
 */
export type Transaction<E> = Cursor.Transaction<E>

/**
 * Where replay stopped before the natural end of the log. `classification`
 * is this library's addition: `"torn-tail"` when nothing valid follows (a
 * crash mid-write, safe to truncate), `"corruption"` when a later segment or
 * a well-formed record with a higher LSN follows the damage (`followedBy`
 * says where), so truncating would discard committed data.
 *
 * @since 0.1.0
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
 */
export type Summary = Cursor.Summary

/**
 * Collected replay: the {@link Summary} plus every committed event.
 *
 * @since 0.1.0
 */
export interface Outcome<E> extends Summary {
  readonly committedEvents: ReadonlyArray<E>
}

/**
 * Bytes read so far out of the total size of the segments.
 *
 * @since 0.1.0
 */
export type Progress = Cursor.Progress

/**
 * @since 0.1.0
 */
export interface Options<E> {
  /** Records at or below this LSN are already in the caller's snapshot. Default 0. */
  readonly fence?: Lsn | bigint | undefined
  /** Payload codec; the LoraDB codec by default. */
  readonly codec?: EventCodec<E> | undefined
  /** Bytes per read (default 1 MiB); a record larger than this is read whole. */
  readonly chunkBytes?: number | undefined
  /** Called after each chunk read, for progress reporting on large logs. */
  readonly onProgress?: ((progress: Progress) => Effect.Effect<void>) | undefined
}

type Listed = Exclude<Effect.Effect.Success<ReturnType<typeof listReplayable>>, WalError>

const open = <E>(
  listed: Listed,
  options: Options<E> | undefined
): Effect.Effect<Cursor.ReplayCursor<E>, never, FileSystem.FileSystem | Scope.Scope> =>
  Effect.gen(function*() {
    const fs = yield* FileSystemTag
    const scope = yield* Effect.scope
    return new Cursor.ReplayCursor<E>(
      fs,
      scope,
      listed.segments,
      listed.interrupted,
      BigInt(options?.fence ?? 0n),
      options?.codec ?? (LoraCodec.codec as unknown as EventCodec<E>),
      options?.onProgress,
      options?.chunkBytes ?? Cursor.DEFAULT_CHUNK_BYTES
    )
  })

const list = (dir: string) =>
  Effect.flatMap(listReplayable(dir), (listed) => ("segments" in listed ? Effect.succeed(listed) : Effect.fail(listed)))

/**
 * {@link run} over segments already listed (the live log lists them once
 * for its own recovery decisions).
 *
 * @internal
 */
export const runListed = <E, E2, R2>(
  dir: string,
  listed: Listed,
  options: Options<E> & {
    readonly onTransaction: (transaction: Transaction<E>) => Effect.Effect<void, E2, R2>
  }
): Effect.Effect<Summary, WalError | E2, FileSystem.FileSystem | R2> =>
  Effect.scoped(
    Effect.flatMap(open(listed, options), (cursor) => {
      // A loop of plain Effects, not a generator: a suspended generator kept
      // each batch reachable long enough to be promoted, and replay spent
      // most of its time in the garbage collector.
      const next: Effect.Effect<Summary, WalError | E2, R2> = Effect.flatMap(
        cursor.pull,
        (batch) =>
          batch === undefined
            ? Effect.sync(() => cursor.summary())
            : Effect.zipRight(Effect.forEach(batch, options.onTransaction, { discard: true }), next)
      )
      return next
    })
  ).pipe(withSpan("lora-wal.replay", { attributes: { dir } }))

/**
 * Replays `dir`, handing each committed transaction to `onTransaction` as it
 * is read, and returns the summary. Memory stays bounded by the largest
 * transaction, so this is the form to recover a multi-GB log with.
 *
 * @since 0.1.0
 */
export const run = <E = MutationEvent, E2 = never, R2 = never>(
  dir: string,
  options: Options<E> & {
    readonly onTransaction: (transaction: Transaction<E>) => Effect.Effect<void, E2, R2>
  }
): Effect.Effect<Summary, WalError | E2, FileSystem.FileSystem | R2> =>
  Effect.flatMap(list(dir), (listed) => runListed(dir, listed, options))

/**
 * Replays `dir` and collects every committed event: lora-wal's `replay_dir`.
 *
 * @since 0.1.0
 */
export const replayDir = <E = MutationEvent>(
  dir: string,
  options?: Options<E>
): Effect.Effect<Outcome<E>, WalError, FileSystem.FileSystem> => {
  const committedEvents: Array<E> = []
  return run<E>(dir, {
    ...options,
    onTransaction: (transaction) =>
      Effect.sync(() => {
        for (const event of transaction.events) committedEvents.push(event)
      })
  }).pipe(Effect.map((summary) => ({ ...summary, committedEvents })))
}

/**
 * The committed transactions of `dir` as a `Stream`. The summary (torn tail,
 * checkpoint) is not part of the stream; use {@link run} where it matters.
 *
 * @since 0.1.0
 */
export const stream = <E = MutationEvent>(
  dir: string,
  options?: Options<E>
): Stream.Stream<Transaction<E>, WalError, FileSystem.FileSystem> =>
  Stream.unwrapScoped(
    Effect.map(Effect.flatMap(list(dir), (listed) => open(listed, options)), (cursor) =>
      Stream.repeatEffectChunkOption(
        cursor.pull.pipe(
          Effect.mapError(Option.some),
          Effect.flatMap((batch) =>
            batch === undefined ? Effect.fail(Option.none()) : Effect.succeed(Chunk.unsafeFromArray(batch))
          )
        )
      ))
  )
