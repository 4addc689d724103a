/**
 * The archiver next to a live log: a fiber in the log's scope that runs a
 * pass every `interval` with the handle's durable LSN, retries a pass that
 * failed for a reason worth retrying on the caller's schedule, records
 * metrics, and runs a last pass when its scope closes. A failing store
 * never touches the log: commits go on, and the lag metrics grow.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type { Archiver, ArchiverStatus, Pass } from "../../Archive.js"
import type { ArchiveError, ArchiveStoreError } from "../../ArchiveError.js"
import type { ArchiveStore } from "../../ArchiveStore.js"
import type { Io } from "../../WalError.js"
import type { Wal } from "../../Wal.js"
import * as WalMetrics from "../../WalMetrics.js"
import { archiveOnce } from "./archiveOnce.js"

/** A pass that failed because the store or the disk did not answer: worth retrying soon. */
const retryable = (error: ArchiveError | ArchiveStoreError | Io) =>
  error._tag === "Io" || (error._tag === "ArchiveStoreError" && error.reason === "Unavailable")

/** Exponential from 200 ms, jittered, each wait capped at 30 s. @internal */
export const defaultRetry: Schedule.Schedule<unknown, unknown> = Schedule.exponential("200 millis").pipe(
  Schedule.jittered,
  Schedule.union(Schedule.spaced("30 seconds"))
)

/** @internal */
export const start = <A>(
  wal: Wal<A>,
  options: { readonly prefix: string; readonly interval: Duration.Duration; readonly retry: Schedule.Schedule<unknown, unknown> }
): Effect.Effect<Archiver, never, ArchiveStore | FileSystem.FileSystem | Path.Path | Scope.Scope> =>
  Effect.gen(function*() {
    let status: ArchiverStatus = { passes: 0, lastPass: undefined, sealedThroughLsn: 0n, failures: 0, lastFailure: undefined }
    /** When the archive last held everything fsynced: the start of the last pass that found nothing left behind. */
    let caughtUpAt = yield* Clock.currentTimeMillis
    /** How far behind the log's fsynced records the archive is, now: after every pass, and every failed one too. */
    const recordLag = Effect.gen(function*() {
      const syncedLsn = (yield* wal.status).syncedLsn
      const archivedLsn = status.lastPass?.archivedLsn ?? 0n
      yield* Metric.set(WalMetrics.archiveLagLsns, syncedLsn > archivedLsn ? syncedLsn - archivedLsn : 0n)
      yield* Metric.set(WalMetrics.archiveLagSeconds, ((yield* Clock.currentTimeMillis) - caughtUpAt) / 1000)
    })
    const attempt = Effect.gen(function*() {
      const started = yield* Clock.currentTimeMillis
      // What an fsync covers: under None, durableLsn counts records a power loss can still take.
      const durableLsn = (yield* wal.status).syncedLsn
      const result: Pass = yield* archiveOnce({ dir: wal.dir, prefix: options.prefix, durableLsn })
      if ((result.archivedLsn ?? 0n) >= durableLsn) caughtUpAt = started
      status = {
        ...status,
        passes: status.passes + 1,
        lastPass: result,
        sealedThroughLsn: result.sealedThroughLsn ?? status.sealedThroughLsn
      }
      yield* Metric.set(WalMetrics.archiveLagBytes, result.unarchivedBytes)
      yield* Metric.incrementBy(WalMetrics.archiveUploads, result.uploaded.length)
      yield* recordLag
      return result
    }).pipe(
      Effect.tapError((error) =>
        Effect.zipRight(
          Effect.sync(() => void (status = { ...status, failures: status.failures + 1, lastFailure: error })),
          Effect.zipRight(
            Effect.zipRight(Metric.increment(WalMetrics.archiveFailures), recordLag),
            Effect.logWarning(`lora-wal archive: ${error.message}`)
          )
        )
      )
    )
    // Serialized: the loop's passes, `archiveNow` and the last pass at close never overlap.
    const lock = yield* Effect.makeSemaphore(1)
    const context = yield* Effect.context<ArchiveStore | FileSystem.FileSystem | Path.Path>()
    const serialized = <A, E>(effect: Effect.Effect<A, E, ArchiveStore | FileSystem.FileSystem | Path.Path>) =>
      Effect.provide(lock.withPermits(1)(effect), context)
    // The lock is taken per attempt: the last attempt at close never waits behind a retry's wait.
    const archiveNow = Effect.retry(serialized(attempt), { schedule: options.retry, while: retryable })
    // Finalizers run last first: the loop stops (even in the middle of retrying a store that does not
    // answer), then one last attempt ships what the log's close is about to leave, without retries,
    // so that closing never waits on the store for more than one pass.
    yield* Effect.addFinalizer(() => Effect.ignore(serialized(attempt)))
    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Effect.ignore(archiveNow), Effect.sleep(options.interval))))
    return { archiveNow, status: Effect.sync(() => status) }
  })
