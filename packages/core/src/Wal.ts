/**
 * The live, writable log: open with recovery, append, rotate, sync, truncate.
 *
 * A handle is a scoped resource. Opening takes the directory lock, replays
 * the log (handing back the committed events for the caller to apply before
 * any new append), repairs a torn tail in the active segment, and, in Group
 * mode, forks the background flusher into the handle's scope. Closing the
 * scope stops the flusher, does the final fsync (Group mode), closes the
 * files and only then releases the lock, so a close followed at once by a
 * reopen always succeeds.
 *
 * Everything goes through the platform `FileSystem`, the `DirLock` service
 * and the `Clock`: swap the layers to run the same log in memory, under a
 * crash simulator or with a test clock.
 *
 * @since 0.1.0
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import type { DirLock } from "./DirLock.js"
import type { EventCodec } from "./EventCodec.js"
import type * as Follow from "./Follow.js"
import * as handle from "./internal/wal/handle.js"
import * as lifecycle from "./internal/wal/lifecycle.js"
import * as internalNoop from "./internal/wal/noop.js"
import * as LoraCodec from "./LoraCodec.js"
import type { Lsn } from "./Lsn.js"
import type { MutationEvent } from "./MutationEvent.js"
import type * as Replay from "./Replay.js"
import type * as Segment from "./Segment.js"
import type { SyncMode, WalConfig } from "./WalConfig.js"
import type { BufferError, FollowError, Io, OpenError, SyncError, TruncateError, WriteError } from "./WalError.js"

/**
 * Marks a log handle, so `isWal` can recognise one among unknown values.
 *
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = handle.TypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * Where the log stands: what is durable, what comes next, which segments
 * hold it, and whether a failure has poisoned it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Status {
  /** Highest LSN known to be on stable storage (see the sync modes). */
  readonly durableLsn: Lsn
  /**
   * Highest LSN a completed fsync covers. The same as `durableLsn` except
   * under None, where `durableLsn` counts what was written (as lora-wal
   * does) and a power loss can still take it back: the archiver ships only
   * up to this.
   */
  readonly syncedLsn: Lsn
  /** The LSN the next record will get. */
  readonly nextLsn: Lsn
  readonly activeSegmentId: Segment.SegmentId
  readonly oldestSegmentId: Segment.SegmentId
  /** The failure that poisoned the log; once set, every write fails with `Poisoned` carrying it. */
  readonly bgFailure: Option.Option<Io>
}

/**
 * What opening found and did.
 *
 * @since 0.1.0
 * @category models
 */
export interface Recovery<A> {
  /** Committed events above the fence, in commit order (empty when `onTransaction` was given). */
  readonly committedEvents: ReadonlyArray<A>
  readonly summary: Replay.Summary
  /** The active segment was cut back to its last good record. */
  readonly tornTailTruncated: boolean
  /** A newest segment shorter than its header (interrupted rotation) was removed. */
  readonly removedInterruptedSegment: Option.Option<string>
  /** The newest segment was sealed (a crash between sealing and creating the next), so a new one was started. */
  readonly startedNewSegment: boolean
}

/**
 * The events of one transaction being built by {@link Wal.withTransaction}.
 * Nothing is written until the body succeeds.
 *
 * @since 0.1.0
 * @category models
 */
export interface PendingTransaction<A> {
  readonly append: (event: A) => Effect.Effect<void>
  readonly appendAll: (events: Iterable<A>) => Effect.Effect<void>
}

/**
 * A transaction body's value and the LSN of the TxCommit that made it
 * durable (none when the body appended nothing, so nothing was written).
 *
 * @since 0.1.0
 * @category models
 */
export interface Committed<X> {
  readonly value: X
  readonly commitLsn: Option.Option<Lsn>
}

/**
 * How `follow` on a live handle runs.
 *
 * @since 0.1.0
 * @category models
 */
export interface FollowOptions extends Follow.Options {
  /** `"durable"` (default): a transaction once an fsync covers it; `"written"`: once it is handed to the OS. */
  readonly emit?: "durable" | "written" | undefined
}

/**
 * A live log handle over events of type `A`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Wal<A = MutationEvent> {
  readonly [TypeId]: TypeId
  readonly dir: string
  readonly syncMode: SyncMode
  readonly recovery: Recovery<A>
  /**
   * Logs one transaction (TxBegin, one MutationBatch, TxCommit), applies the
   * sync mode and returns the TxCommit's LSN (none for an empty transaction,
   * which writes nothing). Under PerCommit it returns only after an fsync
   * that covers it; concurrent calls share fsyncs.
   */
  readonly commitTx: (events: ReadonlyArray<A>) => Effect.Effect<Option.Option<Lsn>, WriteError>
  /**
   * Logs independent transactions in order, as `commitTx` would one by one,
   * but with one write and, under PerCommit, one fsync for all of them:
   * for a caller that already holds many (an import, a queue drained at
   * once), the per-commit cost is paid once. Returns each transaction's
   * TxCommit LSN (none for an empty one). If one cannot be encoded, none
   * is written. On disk they stay independent transactions: a crash before
   * the fsync may keep any prefix of them, as of calls to `commitTx`. The
   * batch lands in one segment, as one transaction does (rotation is
   * checked before it).
   */
  readonly commitAll: (
    transactions: ReadonlyArray<ReadonlyArray<A>>
  ) => Effect.Effect<ReadonlyArray<Option.Option<Lsn>>, WriteError>
  /**
   * Runs `body`, committing what it appended as one transaction when it
   * succeeds. On failure, defect or interruption nothing is written. Once
   * the body has succeeded the commit runs to its end.
   */
  readonly withTransaction: <X, E, R>(
    body: (transaction: PendingTransaction<A>) => Effect.Effect<X, E, R>
  ) => Effect.Effect<Committed<X>, E | WriteError, Exclude<R, Scope.Scope>>
  /** Low-level: buffers a TxBegin (rotating first if needed). */
  readonly begin: Effect.Effect<Lsn, WriteError>
  /** Low-level: buffers one Mutation record. */
  readonly append: (txBeginLsn: Lsn, event: A) => Effect.Effect<Lsn, BufferError>
  /** Low-level: buffers one MutationBatch record (an empty batch is an Encode error). */
  readonly appendBatch: (txBeginLsn: Lsn, events: ReadonlyArray<A>) => Effect.Effect<Lsn, BufferError>
  /** Low-level: buffers a TxCommit (made durable by the next flush). */
  readonly commit: (txBeginLsn: Lsn) => Effect.Effect<Lsn, BufferError>
  /** Low-level: buffers a TxAbort. */
  readonly abort: (txBeginLsn: Lsn) => Effect.Effect<Lsn, BufferError>
  /** Buffers a Checkpoint marker for a snapshot taken at `snapshotLsn`. */
  readonly checkpointMarker: (snapshotLsn: Lsn) => Effect.Effect<Lsn, BufferError>
  /** Writes buffered records and applies the sync mode. */
  readonly flush: Effect.Effect<void, SyncError>
  /** Writes buffered records, fsyncs and advances the durable LSN, whatever the mode. */
  readonly forceFsync: Effect.Effect<void, SyncError>
  /** Deletes sealed segments wholly at or below `fence` (keeping the active one and its predecessor). */
  readonly truncateUpTo: (fence: Lsn) => Effect.Effect<void, TruncateError>
  /**
   * Committed transactions from `fromLsn` on, each once it is durable (or,
   * with `emit: "written"`, once it is written): the segments on disk
   * first, then live, woken by each commit. The stream ends when the log
   * closes. See `Follow` for the guarantees (no gap, no duplicate, `Gone`
   * below what truncation kept, a slow consumer never holds up a commit).
   */
  readonly follow: (options?: FollowOptions) => Stream.Stream<Replay.Transaction<A>, FollowError>
  readonly status: Effect.Effect<Status>
  readonly durableLsn: Effect.Effect<Lsn>
  readonly nextLsn: Effect.Effect<Lsn>
}

/**
 * The log of LoraDB mutation events. A log of other events gets a tag of
 * its own: `class BankLog extends Context.Tag("BankLog")<BankLog, Wal.Wal<BankEvent>>() {}`
 * with {@link layerAs}.
 *
 * @since 0.1.0
 * @category tags
 */
export const Wal: Context.Tag<Wal, Wal> = Context.GenericTag<Wal>("@lora-wal/core/Wal")

/**
 * Whether `u` is a live (or no-op) log handle.
 *
 * @since 0.1.0
 * @category guards
 */
export const isWal = (u: unknown): u is Wal<unknown> => Predicate.hasProperty(u, TypeId)

/**
 * What every log takes, whatever its events.
 *
 * @since 0.1.0
 * @category options
 */
export interface BaseOptions<A, E, R> {
  readonly dir: string
  readonly syncMode?: SyncMode | undefined
  /** Rotate before a TxBegin once the active segment reaches this size. Default 8 MiB. */
  readonly segmentTargetBytes?: number | undefined
  /** The loaded snapshot's LSN: records at or below it are not replayed. Default 0. */
  readonly fence?: Lsn | bigint | undefined
  /** Truncate at mid-log corruption instead of refusing to open (loses the records after it). */
  readonly repair?: boolean | undefined
  /** Receive recovered transactions one at a time (to apply them) instead of collecting them. */
  readonly onTransaction?: ((transaction: Replay.Transaction<A>) => Effect.Effect<void, E, R>) | undefined
}

/**
 * A log of LoraDB events (the default codec).
 *
 * @since 0.1.0
 * @category options
 */
export interface LoraOptions<E = never, R = never> extends BaseOptions<MutationEvent, E, R> {
  readonly codec?: undefined
}

/**
 * A log of the events `codec` writes.
 *
 * @since 0.1.0
 * @category options
 */
export interface CodecOptions<A, E = never, R = never> extends BaseOptions<A, E, R> {
  readonly codec: EventCodec<A>
}

/**
 * Opens (or creates) the log in `options.dir`, recovering it first. The
 * handle lives until the surrounding scope closes: then the Group flusher
 * stops, the final fsync runs, the file closes and the lock is released,
 * in that order.
 *
 * @example
 * ```ts
 * import { Wal } from "@lora-wal/core"
 * import { Effect } from "effect"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const wal = yield* Wal.make({ dir: "/var/lib/app/wal" })
 *   const { commitLsn } = yield* wal.withTransaction((tx) =>
 *     tx.append({ _tag: "DeleteNode", nodeId: 1n })
 *   )
 *   return commitLsn
 * }))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export function make<E = never, R = never>(
  options: LoraOptions<E, R>
): Effect.Effect<Wal<MutationEvent>, OpenError | E, FileSystem.FileSystem | Path.Path | DirLock | Scope.Scope | R>
export function make<A, E = never, R = never>(
  options: CodecOptions<A, E, R>
): Effect.Effect<Wal<A>, OpenError | E, FileSystem.FileSystem | Path.Path | DirLock | Scope.Scope | R>
export function make<A, E, R>(
  options: LoraOptions<E, R> | CodecOptions<A, E, R>
): Effect.Effect<
  Wal<MutationEvent> | Wal<A>,
  OpenError | E,
  FileSystem.FileSystem | Path.Path | DirLock | Scope.Scope | R
> {
  return options.codec === undefined ? lifecycle.open(LoraCodec.codec, options) : lifecycle.open(options.codec, options)
}

/**
 * The LoraDB log as a layer; the handle closes with the layer's scope.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = <E = never, R = never>(
  options: LoraOptions<E, R>
): Layer.Layer<Wal, OpenError | E, FileSystem.FileSystem | Path.Path | DirLock | R> => Layer.scoped(Wal, make(options))

/**
 * A log of your own events under your own tag.
 *
 * @example
 * ```ts
 * import { EventCodec, Wal } from "@lora-wal/core"
 * import { Context, Schema } from "effect"
 *
 * const Deposit = Schema.Struct({ account: Schema.String, cents: Schema.Number })
 * class BankLog extends Context.Tag("BankLog")<BankLog, Wal.Wal<typeof Deposit.Type>>() {}
 *
 * const BankLogLive = Wal.layerAs(BankLog, { dir: "bank-wal", codec: EventCodec.fromSchema(Deposit) })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerAs = <I, A, E = never, R = never>(
  tag: Context.Tag<I, Wal<A>>,
  options: CodecOptions<A, E, R>
): Layer.Layer<I, OpenError | E, FileSystem.FileSystem | Path.Path | DirLock | R> => Layer.scoped(tag, make(options))

/**
 * A log that is switched off: commits write nothing (no LSN), flushes do
 * nothing, LSNs stay 0. What `WalConfig.Disabled` provides, at no cost.
 *
 * @since 0.1.0
 * @category constructors
 */
export const noop: Wal<MutationEvent> = internalNoop.noop

/**
 * The switched-off log as a layer, for programs that run with the log
 * disabled (or tests that do not care about durability).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerNoop: Layer.Layer<Wal> = Layer.succeed(Wal, noop)

/**
 * The log a configuration describes: disabled opens nothing.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: WalConfig
): Layer.Layer<Wal, OpenError, FileSystem.FileSystem | Path.Path | DirLock> =>
  config._tag === "Disabled"
    ? layerNoop
    : layer({ dir: config.dir, syncMode: config.syncMode, segmentTargetBytes: config.segmentTargetBytes })
