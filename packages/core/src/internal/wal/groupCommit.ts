/**
 * Group commit: one caller at a time leads (writes the buffer under the
 * lock, then fsyncs outside it so others keep appending); the others wait
 * for that fsync and return if it covered them. Concurrent commits thus
 * share fsyncs, and each still returns only after an fsync covering it.
 * Under `Group` mode a background flusher does the same on a schedule.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as WalMetrics from "../../WalMetrics.js"
import { Io, type SyncError } from "../../WalError.js"
import * as Mutex from "../mutex.js"
import { withSpan } from "../tracing.js"
import { type LogState, poison, progressed, whenHealthy } from "./state.js"
import { sinceMillis } from "./writePath.js"

type SyncStep =
  | { readonly _tag: "Done" }
  | { readonly _tag: "Wait"; readonly waiters: Mutex.Waiters }
  | { readonly _tag: "Lead"; readonly waiters: Mutex.Waiters; readonly file: FileSystem.File; readonly upTo: bigint }

const syncDone: SyncStep = { _tag: "Done" }

const timedFsync = (file: FileSystem.File): Effect.Effect<void, Io> =>
  Effect.suspend(() => {
    const started = performance.now()
    return Effect.map(file.sync, () => WalMetrics.fsyncDuration.unsafeUpdate(sinceMillis(started), []))
  }).pipe(Effect.mapError(Io.fromPlatform), withSpan("lora-wal.fsync", { captureStackTrace: false }))

/**
 * Returns `syncUpTo(target, force)`: makes everything allocated up to
 * `target` durable. `force` leads an fsync even when `durableLsn` already
 * covers the target (under None, `durableLsn` advances on write).
 *
 * @internal
 */
export const make = (
  state: LogState,
  writePending: Effect.Effect<void, Io>
): (target: bigint, force: boolean) => Effect.Effect<void, SyncError> => {
  /** Under the lock: nothing to do, wait for the fsync in flight, or write and lead the next one. */
  const nextStep = (target: bigint, mustLead: boolean) =>
    state.locked(whenHealthy(state, (): Effect.Effect<SyncStep, Io> => {
      if (!mustLead && state.durableLsn >= target) return Effect.succeed(syncDone)
      if (state.inFlight !== undefined) return Effect.succeed({ _tag: "Wait", waiters: state.inFlight })
      return Effect.map(writePending, () => {
        const waiters = new Mutex.Waiters()
        state.inFlight = waiters
        return { _tag: "Lead", waiters, file: state.segment.current.file, upTo: state.writtenLsn }
      })
    }))

  /** The leader's fsync, outside the lock. */
  const lead = (step: Extract<SyncStep, { _tag: "Lead" }>) =>
    Effect.flatMap(Effect.exit(timedFsync(step.file)), (synced) => {
      // Latch a failure before waking the waiters, so none of them can
      // mistake the failed fsync for a durable one.
      if (Exit.isFailure(synced)) {
        poison(state, Option.getOrElse(Cause.failureOption(synced.cause), () => fsyncDefect(synced.cause)))
      } else {
        if (step.upTo > state.syncedLsn) state.syncedLsn = step.upTo
        if (step.upTo > state.durableLsn) state.durableLsn = step.upTo
        progressed(state)
      }
      state.inFlight = undefined
      step.waiters.wakeAll()
      return synced
    })

  return (target, force) => {
    const attempt = (mustLead: boolean): Effect.Effect<void, SyncError> =>
      Effect.flatMap(nextStep(target, mustLead), (step) => {
        switch (step._tag) {
          case "Done":
            return Effect.void
          case "Wait":
            // A forced sync still leads one of its own: the fsync in flight may not cover it.
            return Effect.zipRight(step.waiters.wait, attempt(mustLead))
          case "Lead":
            return Effect.zipRight(lead(step), step.upTo >= target ? Effect.void : attempt(false))
        }
      })
    // Give committers that are ready to run a turn to append first, so that
    // one fsync covers them all. Counting the ones under way is not enough:
    // with synchronous I/O, a committer that has not started yet is not
    // counted, and without this turn it never starts before the fsync.
    return Effect.uninterruptible(Effect.zipRight(Effect.yieldNow(), attempt(force)))
  }
}

const fsyncDefect = (cause: Cause.Cause<unknown>): Io =>
  new Io({ reason: "Unknown", description: `fsync failed: ${Cause.pretty(cause)}`, cause: Cause.squash(cause) })

/**
 * The Group-mode flusher: every `intervalMs`, makes everything written so far
 * durable. It stops at the first failure, which has poisoned the log.
 *
 * @internal
 */
export const flusher = (
  state: LogState,
  syncUpTo: (target: bigint, force: boolean) => Effect.Effect<void, SyncError>,
  intervalMs: number
): Effect.Effect<void> => {
  const flushOnce = Effect.suspend(() =>
    state.buffer.length > 0 || state.writtenLsn > state.durableLsn
      ? syncUpTo(state.nextLsn - 1n, true)
      : Effect.void
  )
  const interval = Duration.millis(Math.max(1, intervalMs))
  return Effect.ignore(Effect.schedule(flushOnce, Schedule.spaced(interval)))
}
