/**
 * LoraDB's query bracket over the log: `arm` before a query, `record` each
 * mutation as the store applies it, then `commit` (one `commitTx`, nothing
 * at all for a read-only query) or `abort` (nothing reaches disk). Any
 * failure poisons the recorder, and a poisoned recorder refuses every
 * further query until the process restarts from the last snapshot and the
 * log. {@link WalRecorder.withQuery} is the bracket to use: it arms, runs
 * the query, and commits on success or aborts on failure or interruption,
 * so an interrupted query can never leave the recorder armed.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import type { Lsn } from "./Lsn.js"
import type { MutationEvent } from "./MutationEvent.js"
import { Wal } from "./Wal.js"
import type { Committed } from "./Wal.js"
import {
  type BufferError,
  Closed,
  Encode,
  Io,
  Malformed,
  Poisoned,
  type SyncError,
  type TruncateError,
  WalError
} from "./WalError.js"

/**
 * Brands every {@link WalRecorder}.
 *
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("@lora-wal/core/WalRecorder")

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * The log refused the query's transaction; `cause` is the log's typed error.
 *
 * @since 0.1.0
 * @category errors
 */
export class CommitFailed extends Schema.TaggedError<CommitFailed>("@lora-wal/core/WalRecorder/CommitFailed")(
  "CommitFailed",
  { cause: Schema.Union(Io, Encode, Malformed, Poisoned, Closed) }
) {
  get message(): string {
    return `WAL commit failed: ${this.cause.message}`
  }
}

/**
 * The mirror hook failed after a flush.
 *
 * @since 0.1.0
 * @category errors
 */
export class MirrorFailed extends Schema.TaggedError<MirrorFailed>("@lora-wal/core/WalRecorder/MirrorFailed")(
  "MirrorFailed",
  { cause: Schema.Defect }
) {
  get message(): string {
    return `WAL mirror failed: ${Predicate.isError(this.cause) ? this.cause.message : String(this.cause)}`
  }
}

/**
 * `flush` or `forceFsync` failed, in the log (`cause` is its typed error) or
 * in the mirror.
 *
 * @since 0.1.0
 * @category errors
 */
export class FlushFailed extends Schema.TaggedError<FlushFailed>("@lora-wal/core/WalRecorder/FlushFailed")(
  "FlushFailed",
  { cause: Schema.Union(Io, Poisoned, Closed, MirrorFailed) }
) {
  get message(): string {
    return `WAL flush failed: ${this.cause.message}`
  }
}

/**
 * The recorder is poisoned: `reason` says why, and `cause` is the log's error
 * when a log failure poisoned it.
 *
 * @since 0.1.0
 * @category errors
 */
export class RecorderPoisoned extends Schema.TaggedError<RecorderPoisoned>(
  "@lora-wal/core/WalRecorder/RecorderPoisoned"
)("RecorderPoisoned", { reason: Schema.String, cause: Schema.optional(WalError) }) {
  get message(): string {
    return `WAL poisoned: ${this.reason}`
  }
}

/**
 * Copies the durable log somewhere else after each successful flush (with
 * `force` after `forceFsync`); its failure poisons the recorder.
 *
 * @since 0.1.0
 * @category models
 */
export type Mirror = (dir: string, options: { readonly force: boolean }) => Effect.Effect<void, unknown>

/**
 * A query bracket over one log, for a store that applies each mutation as it
 * goes and logs the query's mutations as one transaction at its end. Run each
 * query through `withQuery`; the other members are the low-level steps it
 * combines and the log operations, guarded by the poisoning.
 *
 * @since 0.1.0
 * @category models
 */
export interface WalRecorder<A = MutationEvent> {
  readonly [TypeId]: TypeId
  readonly wal: Wal<A>
  /**
   * Runs one query: arms, runs `query` (whose mutations call `record`), then
   * commits what it recorded, or aborts if it fails, dies or is interrupted.
   */
  readonly withQuery: <X, E, R>(
    query: Effect.Effect<X, E, R>
  ) => Effect.Effect<Committed<X>, E | RecorderPoisoned | CommitFailed, R>
  /** Starts a query. No I/O; fails if poisoned, and poisons on a double arm. */
  readonly arm: Effect.Effect<void, RecorderPoisoned>
  /** Buffers one mutation of the armed query (poisons if no query is armed). */
  readonly record: (event: A) => Effect.Effect<void>
  /** Ends the query: one `commitTx` of the buffered events (none, with no I/O, when there are none). */
  readonly commit: Effect.Effect<Option.Option<Lsn>, RecorderPoisoned | CommitFailed>
  /** Commits an externally buffered transaction (explicit transactions with savepoints). */
  readonly commitEvents: (events: Iterable<A>) => Effect.Effect<Option.Option<Lsn>, RecorderPoisoned | CommitFailed>
  /** Drops the query's events; returns whether there were any. Abort without arm is allowed. */
  readonly abort: Effect.Effect<boolean, RecorderPoisoned>
  readonly flush: Effect.Effect<void, RecorderPoisoned | FlushFailed>
  readonly forceFsync: Effect.Effect<void, RecorderPoisoned | FlushFailed>
  readonly checkpointMarker: (snapshotLsn: Lsn) => Effect.Effect<Lsn, RecorderPoisoned | BufferError>
  /** With a mirror, force-persists the mirror instead of deleting history. */
  readonly truncateUpTo: (fence: Lsn) => Effect.Effect<void, TruncateError | FlushFailed>
  /** Quarantines the recorder by hand (e.g. the live store diverged from the log). */
  readonly poison: (reason: string) => Effect.Effect<void>
  /** The recorder's reason, else the log's background failure. */
  readonly poisonedReason: Effect.Effect<Option.Option<string>>
}

/**
 * The recorder for the LoraDB log.
 *
 * @since 0.1.0
 * @category tags
 */
export const WalRecorder: Context.Tag<WalRecorder, WalRecorder> = Context.GenericTag<WalRecorder>(
  "@lora-wal/core/WalRecorder"
)

interface Poisoning {
  readonly reason: string
  readonly cause?: WalError
}

/**
 * A recorder over `wal`. With a `mirror`, each flush also copies the durable
 * log elsewhere, and truncation force-persists the mirror instead of deleting
 * history.
 *
 * @example
 * ```ts
 * import { PropertyValue, Wal, WalRecorder } from "@lora-wal/core"
 * import { Effect } from "effect"
 *
 * declare const applyToStore: (id: bigint) => Effect.Effect<void> // yours
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const wal = yield* Wal.make({ dir: "/var/lib/app/wal" })
 *   const recorder = WalRecorder.make(wal)
 *   // Commits what the query recorded when it succeeds; aborts on failure or interruption.
 *   const { commitLsn } = yield* recorder.withQuery(Effect.gen(function*() {
 *     yield* applyToStore(1n)
 *     yield* recorder.record({
 *       _tag: "CreateNode",
 *       id: 1n,
 *       labels: ["Person"],
 *       properties: PropertyValue.properties({ name: PropertyValue.string("Ada") })
 *     })
 *   }))
 *   return commitLsn
 * }))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <A>(wal: Wal<A>, options?: { readonly mirror?: Mirror | undefined }): WalRecorder<A> => {
  const state = { armed: false, buffer: [] as Array<A>, poisoned: undefined as Poisoning | undefined }
  const mirror = options?.mirror

  const latch = (poisoning: Poisoning) => {
    if (state.poisoned === undefined) state.poisoned = poisoning
  }
  const latchFailure = (e: WalError | MirrorFailed) =>
    Effect.sync(() => latch(e._tag === "MirrorFailed" ? { reason: e.message } : { reason: e.message, cause: e }))
  const refuse = () => Effect.fail(new RecorderPoisoned(state.poisoned!))
  /** Poisons with `reason` and fails. */
  const poisonWith = (reason: string) => Effect.suspend(() => (latch({ reason }), refuse()))
  /** Runs `effect` unless poisoned; its failure poisons. */
  const guarded = <X, E extends WalError | FlushFailed>(effect: Effect.Effect<X, E>) =>
    Effect.suspend((): Effect.Effect<X, E | RecorderPoisoned> =>
      state.poisoned !== undefined
        ? refuse()
        : Effect.tapError(effect, (e) => latchFailure(e._tag === "FlushFailed" ? e.cause : e))
    )
  const commitTx = (events: ReadonlyArray<A>) =>
    events.length === 0
      ? Effect.succeed(Option.none<Lsn>())
      : guarded(wal.commitTx(events)).pipe(
        Effect.mapError((e) => (e._tag === "RecorderPoisoned" ? e : new CommitFailed({ cause: e })))
      )
  const flushWith = (effect: Effect.Effect<void, SyncError>, force: boolean) =>
    guarded(
      Effect.zipRight(
        Effect.mapError(effect, (cause) => new FlushFailed({ cause })),
        mirror === undefined ? Effect.void : Effect.suspend(() =>
          Effect.mapError(mirror(wal.dir, { force }), (e) => new FlushFailed({ cause: new MirrorFailed({ cause: e }) }))
        )
      )
    )

  const arm = Effect.suspend(() => {
    if (state.poisoned !== undefined) return refuse()
    if (state.armed) return poisonWith("WalRecorder::arm called while already armed")
    state.armed = true
    state.buffer = []
    return Effect.void
  })
  const commit = Effect.suspend((): Effect.Effect<Option.Option<Lsn>, RecorderPoisoned | CommitFailed> => {
    if (state.poisoned !== undefined) return refuse()
    if (!state.armed) return poisonWith("WalRecorder::commit called without an armed query")
    state.armed = false
    const events = state.buffer
    state.buffer = []
    return commitTx(events)
  })
  const abort = Effect.suspend(() => {
    if (state.poisoned !== undefined) return refuse()
    state.armed = false
    const hadEvents = state.buffer.length > 0
    state.buffer = []
    return Effect.succeed(hadEvents)
  })

  return {
    [TypeId]: TypeId,
    wal,
    withQuery: (query) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.zipRight(
          arm,
          Effect.matchCauseEffect(restore(query), {
            onFailure: (cause) => Effect.zipRight(Effect.ignore(abort), Effect.failCause(cause)),
            onSuccess: (value) => Effect.map(commit, (commitLsn) => ({ value, commitLsn }))
          })
        )
      ),
    arm,
    record: (event) =>
      Effect.sync(() => {
        if (state.poisoned !== undefined) return
        if (!state.armed) {
          latch({ reason: "MutationRecorder::record fired outside an armed query" })
          return
        }
        state.buffer.push(event)
      }),
    commit,
    commitEvents: (iterable) =>
      Effect.flatMap(wal.status, (status) => {
        if (state.poisoned !== undefined) return refuse()
        if (Option.isSome(status.bgFailure)) {
          const cause = new Poisoned({ cause: status.bgFailure.value })
          return Effect.fail(new RecorderPoisoned({ reason: status.bgFailure.value.message, cause }))
        }
        return commitTx(Array.from(iterable))
      }),
    abort,
    flush: flushWith(wal.flush, false),
    forceFsync: flushWith(wal.forceFsync, true),
    checkpointMarker: (snapshotLsn) => guarded(wal.checkpointMarker(snapshotLsn)),
    truncateUpTo: (fence) =>
      mirror === undefined
        ? wal.truncateUpTo(fence)
        : Effect.mapError(
          Effect.suspend(() => mirror(wal.dir, { force: true })),
          (e) => new FlushFailed({ cause: new MirrorFailed({ cause: e }) })
        ),
    poison: (reason) =>
      Effect.sync(() => {
        latch({ reason })
        state.armed = false
        state.buffer = []
      }),
    poisonedReason: Effect.flatMap(
      Effect.sync(() => Option.map(Option.fromNullable(state.poisoned), (p) => p.reason)),
      (own) => (Option.isSome(own) ? Effect.succeed(own) : Effect.map(wal.status, (s) => Option.map(s.bgFailure, (e) => e.message)))
    )
  }
}

/**
 * The recorder over the `Wal` in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: { readonly mirror?: Mirror | undefined }): Layer.Layer<WalRecorder, never, Wal> =>
  Layer.effect(WalRecorder, Effect.map(Wal, (wal) => make(wal, options)))
