/**
 * The live log's mutable state and the two rules every operation obeys: it
 * runs under the state lock, and it runs only while the log is healthy
 * (open and not poisoned).
 */
import * as Effect from "effect/Effect"
import { Writer } from "../../Bytes.js"
import type { SyncMode } from "../../WalConfig.js"
import { Closed, type Io, Poisoned } from "../../WalError.js"
import * as Mutex from "../mutex.js"
import type { ActiveSegment } from "./activeSegment.js"

/** @internal */
export interface LogState {
  readonly dir: string
  readonly syncMode: SyncMode
  readonly segment: ActiveSegment
  /** The LSN the next record gets. */
  nextLsn: bigint
  /** Highest LSN a completed fsync covers (or, under None, that was written). */
  durableLsn: bigint
  /** Highest LSN a completed fsync covers, whatever the mode (under None, durableLsn runs ahead of it). */
  syncedLsn: bigint
  /** Highest LSN handed to the OS. */
  writtenLsn: bigint
  /** Highest LSN encoded into `buffer`. */
  bufferLastLsn: bigint
  readonly buffer: Writer
  oldestId: bigint
  /** The failure that poisoned the log: once set, nothing may claim durability. */
  failure: Io | undefined
  /** The fsync in progress; its waiters are woken when it completes. */
  inFlight: Mutex.Waiters | undefined
  closed: boolean
  /** Followers' wake-up calls, made whenever what is written or durable advances, and at close. */
  readonly watchers: Set<() => void>
  readonly locked: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

/** @internal */
export const make = (options: {
  readonly dir: string
  readonly syncMode: SyncMode
  readonly segment: ActiveSegment
  readonly maxLsn: bigint
  readonly nextLsn: bigint
  readonly oldestId: bigint
}): LogState => ({
  dir: options.dir,
  syncMode: options.syncMode,
  segment: options.segment,
  nextLsn: options.nextLsn,
  durableLsn: options.maxLsn,
  // Recovery leaves everything it kept fsynced (a rewritten active segment, sealed older ones).
  syncedLsn: options.maxLsn,
  writtenLsn: options.maxLsn,
  bufferLastLsn: options.maxLsn,
  buffer: new Writer(4096),
  oldestId: options.oldestId,
  failure: undefined,
  inFlight: undefined,
  closed: false,
  watchers: new Set(),
  locked: Mutex.make().withLock
})

/** Wakes the followers: what is written or durable advanced, or the log closed. @internal */
export const progressed = (state: LogState): void => {
  for (const wake of state.watchers) wake()
}

/** Latches the first durability failure. @internal */
export const poison = (state: LogState, failure: Io): void => {
  if (state.failure === undefined) state.failure = failure
}

/** Fails with the I/O error after latching it. @internal */
export const poisonOn = <A>(state: LogState, effect: Effect.Effect<A, Io>): Effect.Effect<A, Io> =>
  Effect.tapError(effect, (failure) => Effect.sync(() => poison(state, failure)))

/** Runs `effect()` unless the log is closed or poisoned, in one step (callers hold the lock). @internal */
export const whenHealthy = <A, E, R>(
  state: LogState,
  effect: () => Effect.Effect<A, E, R>
): Effect.Effect<A, E | Closed | Poisoned, R> =>
  Effect.suspend((): Effect.Effect<A, E | Closed | Poisoned, R> =>
    state.closed
      ? Effect.fail(new Closed({ dir: state.dir }))
      : state.failure !== undefined
      ? Effect.fail(new Poisoned({ cause: state.failure }))
      : effect()
  )

/** Fails unless the log is open and healthy. @internal */
export const healthy = (state: LogState): Effect.Effect<void, Closed | Poisoned> => whenHealthy(state, () => Effect.void)

/** Waits for the fsync in flight, if any. @internal */
export const awaitInFlight = (state: LogState): Effect.Effect<void> =>
  Effect.suspend(() => state.inFlight === undefined ? Effect.void : state.inFlight.wait)
