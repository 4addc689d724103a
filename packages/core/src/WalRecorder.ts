/**
 * LoraDB's query bracket over the log: `arm` before a query, `record` each
 * mutation as the store applies it, then `commit` (one `commitTx`, nothing
 * at all for a read-only query) or `abort` (nothing reaches disk). Any
 * failure poisons the recorder, and a poisoned recorder refuses every
 * further query until the process restarts from the last snapshot and the
 * log.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { Lsn } from "./Lsn.js"
import type { MutationEvent } from "./MutationEvent.js"
import { Wal, type WalShape, type WroteCommit } from "./Wal.js"
import { Poisoned, type WalError } from "./WalError.js"

/**
 * `commit` or `commitEvents` could not write the transaction.
 *
 * @since 0.1.0
 */
export class CommitFailed extends Schema.TaggedError<CommitFailed>("@lora-wal/core/WalRecorder/CommitFailed")(
  "CommitFailed",
  { cause: Schema.Defect }
) {
  get message(): string {
    return `WAL commit failed: ${messageOf(this.cause)}`
  }
}

/**
 * `flush` or `forceFsync` failed, in the log or in the mirror.
 *
 * @since 0.1.0
 */
export class FlushFailed extends Schema.TaggedError<FlushFailed>("@lora-wal/core/WalRecorder/FlushFailed")(
  "FlushFailed",
  { cause: Schema.Defect }
) {
  get message(): string {
    return `WAL flush failed: ${messageOf(this.cause)}`
  }
}

/**
 * The recorder (or the log under it) is poisoned; `reason` says why.
 *
 * @since 0.1.0
 */
export class RecorderPoisoned extends Schema.TaggedError<RecorderPoisoned>(
  "@lora-wal/core/WalRecorder/RecorderPoisoned"
)("RecorderPoisoned", { reason: Schema.String }) {
  get message(): string {
    return `WAL poisoned: ${this.reason}`
  }
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/**
 * Copies the durable log somewhere else after each successful flush (with
 * `force` after `forceFsync`); its failure poisons the recorder.
 *
 * @since 0.1.0
 */
export type Mirror = (dir: string, options: { readonly force: boolean }) => Effect.Effect<void, unknown>

/**
 * @since 0.1.0
 */
export interface WalRecorderShape<E> {
  readonly wal: WalShape<E>
  /** Starts a query. No I/O; fails if poisoned, and poisons on a double arm. */
  readonly arm: Effect.Effect<void, Poisoned>
  /** Buffers one mutation of the armed query (poisons if no query is armed). */
  readonly record: (event: E) => Effect.Effect<void>
  /** Ends the query: one `commitTx` of the buffered events, or `"No"` with no I/O when there are none. */
  readonly commit: Effect.Effect<WroteCommit, Poisoned | CommitFailed>
  /** Commits an externally buffered transaction (explicit transactions with savepoints). */
  readonly commitEvents: (events: Iterable<E>) => Effect.Effect<WroteCommit, RecorderPoisoned | CommitFailed>
  /** Drops the query's events; returns whether there were any. Abort without arm is allowed. */
  readonly abort: Effect.Effect<boolean, Poisoned>
  readonly flush: Effect.Effect<void, Poisoned | FlushFailed>
  readonly forceFsync: Effect.Effect<void, Poisoned | FlushFailed>
  readonly checkpointMarker: (snapshotLsn: Lsn) => Effect.Effect<Lsn, WalError>
  /** With a mirror, force-persists the mirror instead of deleting history. */
  readonly truncateUpTo: (fence: Lsn) => Effect.Effect<void, WalError | FlushFailed>
  /** Quarantines the recorder by hand (e.g. the live store diverged from the log). */
  readonly poison: (reason: string) => Effect.Effect<void>
  /** The recorder's reason, else the log's background failure. */
  readonly poisonedReason: Effect.Effect<Option.Option<string>>
}

/**
 * The recorder for the LoraDB log.
 *
 * @since 0.1.0
 */
export class WalRecorder extends Context.Tag("@lora-wal/core/WalRecorder")<
  WalRecorder,
  WalRecorderShape<MutationEvent>
>() {}

/**
 * A recorder over `wal`.
 *
 * @since 0.1.0
 */
export const make = <E>(wal: WalShape<E>, options?: { readonly mirror?: Mirror | undefined }): WalRecorderShape<E> => {
  const state = { armed: false, buffer: [] as Array<E>, poisoned: undefined as string | undefined }
  const mirror = options?.mirror

  const latch = (reason: string) =>
    Effect.sync(() => {
      if (state.poisoned === undefined) state.poisoned = reason
    })
  /** Runs `effect` unless poisoned; its failure poisons. */
  const guarded = <A, Err>(effect: Effect.Effect<A, Err>): Effect.Effect<A, Err | Poisoned> =>
    Effect.suspend((): Effect.Effect<A, Err | Poisoned> =>
      state.poisoned !== undefined
        ? Effect.fail(new Poisoned())
        : Effect.tapError(effect, (e) => latch(messageOf(e)))
    )
  const flushWith = (effect: Effect.Effect<void, WalError>, force: boolean) =>
    guarded(
      Effect.zipRight(
        effect,
        mirror === undefined ? Effect.void : Effect.suspend(() => mirror(wal.dir, { force }))
      ).pipe(Effect.mapError((cause) => new FlushFailed({ cause })))
    )

  const poisonedReason = Effect.flatMap(
    Effect.sync(() => Option.fromNullable(state.poisoned)),
    (own) => (Option.isSome(own) ? Effect.succeed(own) : Effect.map(wal.status, (s) => s.bgFailure))
  )

  return {
    wal,
    arm: Effect.suspend(() => {
      if (state.poisoned !== undefined) return Effect.fail(new Poisoned())
      if (state.armed) {
        state.poisoned = "WalRecorder::arm called while already armed"
        return Effect.fail(new Poisoned())
      }
      state.armed = true
      state.buffer = []
      return Effect.void
    }),
    record: (event) =>
      Effect.sync(() => {
        if (state.poisoned !== undefined) return
        if (!state.armed) {
          state.poisoned = "MutationRecorder::record fired outside an armed query"
          return
        }
        state.buffer.push(event)
      }),
    commit: Effect.suspend((): Effect.Effect<WroteCommit, Poisoned | CommitFailed> => {
      if (state.poisoned !== undefined) return Effect.fail(new Poisoned())
      if (!state.armed) {
        state.poisoned = "WalRecorder::commit called without an armed query"
        return Effect.fail(new Poisoned())
      }
      state.armed = false
      const events = state.buffer
      state.buffer = []
      if (events.length === 0) return Effect.succeed("No" as const)
      return wal.commitTx(events).pipe(
        Effect.tapError((e) => latch(e.message)),
        Effect.mapError((cause) => new CommitFailed({ cause }))
      )
    }),
    commitEvents: (iterable) =>
      Effect.gen(function*() {
        const reason = yield* poisonedReason
        if (Option.isSome(reason)) return yield* new RecorderPoisoned({ reason: reason.value })
        const events = Array.from(iterable)
        if (events.length === 0) return "No" as const
        return yield* wal.commitTx(events).pipe(
          Effect.tapError((e) => latch(e.message)),
          Effect.mapError((cause) => new CommitFailed({ cause }))
        )
      }),
    abort: Effect.suspend(() => {
      if (state.poisoned !== undefined) return Effect.fail(new Poisoned())
      state.armed = false
      const hadEvents = state.buffer.length > 0
      state.buffer = []
      return Effect.succeed(hadEvents)
    }),
    flush: flushWith(wal.flush, false),
    forceFsync: flushWith(wal.forceFsync, true),
    checkpointMarker: (snapshotLsn) => guarded(wal.checkpointMarker(snapshotLsn)),
    truncateUpTo: (fence) =>
      mirror === undefined
        ? wal.truncateUpTo(fence)
        : Effect.mapError(Effect.suspend(() => mirror(wal.dir, { force: true })), (cause) => new FlushFailed({ cause })),
    poison: (reason) =>
      Effect.sync(() => {
        if (state.poisoned === undefined) state.poisoned = reason
        state.armed = false
        state.buffer = []
      }),
    poisonedReason
  }
}

/**
 * The recorder over the `Wal` in context.
 *
 * @since 0.1.0
 */
export const layer = (options?: { readonly mirror?: Mirror | undefined }): Layer.Layer<WalRecorder, never, Wal> =>
  Layer.effect(WalRecorder, Effect.map(Wal, (wal) => make(wal, options)))
