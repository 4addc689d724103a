/**
 * The handle a caller holds: each operation of the `Wal` interface, built
 * from the write path, group commit and truncation over one state.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { Crc32Function } from "../../Crc32.js"
import type { EventCodec } from "../../EventCodec.js"
import { type Lsn, unsafeMake as unsafeLsn } from "../../Lsn.js"
import type * as Segment from "../../Segment.js"
import type { Io, SyncError, WriteError } from "../../WalError.js"
import type { Committed, FollowOptions, PendingTransaction, Status, TypeId as WalTypeId, Wal } from "../../Wal.js"
import * as WalMetrics from "../../WalMetrics.js"
import { follow as followLog } from "../follow/stream.js"
import { Tailer } from "../follow/tailer.js"
import { withSpan } from "../tracing.js"
import type { Recovered } from "./recovery.js"
import { healthy, type LogState } from "./state.js"
import * as Truncation from "./truncation.js"
import { sinceMillis, type WritePath } from "./writePath.js"

/** @internal */
export const TypeId: WalTypeId = Symbol.for("@lora-wal/core/Wal") as WalTypeId

/** @internal */
export const makeHandle = <A>(options: {
  readonly state: LogState
  readonly writes: WritePath<A>
  readonly syncUpTo: (target: bigint, force: boolean) => Effect.Effect<void, SyncError>
  readonly fs: FileSystem.FileSystem
  readonly path: Path.Path
  readonly syncDir: Effect.Effect<void, Io>
  readonly recovered: Recovered
  readonly committedEvents: ReadonlyArray<A>
  readonly codec: EventCodec<A>
  readonly crc32: Crc32Function
}): Wal<A> => {
  const { recovered, state, syncUpTo, writes } = options
  const isHealthy = healthy(state)
  const noCommit = Effect.as(isHealthy, Option.none<Lsn>())

  /** Logs non-empty transactions in one write (one fsync under PerCommit); returns the last TxCommit's LSN. */
  const commitLogged = (transactions: ReadonlyArray<ReadonlyArray<A>>, span: string): Effect.Effect<Lsn, WriteError> => {
    const logged = state.syncMode._tag === "PerCommit"
      ? Effect.flatMap(writes.appendTransactions(transactions), (lsn) => Effect.as(syncUpTo(lsn, false), lsn))
      : writes.appendTransactions(transactions)
    return Effect.suspend(() => {
      const started = performance.now()
      return Effect.map(logged, (lsn) => {
        WalMetrics.commitLatency.unsafeUpdate(sinceMillis(started), [])
        return lsn
      })
    }).pipe(withSpan(span, { captureStackTrace: false }))
  }

  const commitTx = (events: ReadonlyArray<A>): Effect.Effect<Option.Option<Lsn>, WriteError> =>
    events.length === 0 ? noCommit : Effect.map(commitLogged([events], "lora-wal.commit"), Option.some)

  const commitAll = (
    transactions: ReadonlyArray<ReadonlyArray<A>>
  ): Effect.Effect<ReadonlyArray<Option.Option<Lsn>>, WriteError> =>
    Effect.suspend(() => {
      const logged = transactions.filter((events) => events.length > 0)
      if (logged.length === 0) return Effect.as(isHealthy, transactions.map(() => Option.none()))
      return Effect.map(commitLogged(logged, "lora-wal.commit-all"), (last) => {
        let next = last - 3n * BigInt(logged.length - 1)
        return transactions.map((events) => {
          if (events.length === 0) return Option.none()
          const lsn = unsafeLsn(next)
          next += 3n
          return Option.some(lsn)
        })
      })
    })

  const withTransaction = <X, E, R>(body: (transaction: PendingTransaction<A>) => Effect.Effect<X, E, R>) =>
    Effect.suspend(() => {
      const events: Array<A> = []
      const pending: PendingTransaction<A> = {
        append: (event) => Effect.sync(() => void events.push(event)),
        appendAll: (more) => Effect.sync(() => void events.push(...more))
      }
      // The body may be interrupted; once it has succeeded, the commit is not.
      return Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(restore(Effect.scoped(body(pending))), (value) =>
          Effect.map(commitTx(events), (commitLsn): Committed<X> => ({ value, commitLsn })))
      )
    })

  const follow = (followOptions?: FollowOptions) =>
    followLog({
      tailer: () => new Tailer(options.fs, options.path, state.dir, options.codec, options.crc32, followOptions?.fromLsn),
      // Woken by every write, fsync and the close; the interval only as a safety net.
      pollInterval: followOptions?.pollInterval ?? "1 second",
      subscribe: (wake) =>
        Effect.acquireRelease(
          Effect.sync(() => void state.watchers.add(wake)),
          () => Effect.sync(() => void state.watchers.delete(wake))
        ),
      limit: followOptions?.emit === "written" ? undefined : Effect.sync(() => state.durableLsn),
      ended: Effect.sync(() => state.closed)
    })

  const status = Effect.sync((): Status => ({
    durableLsn: unsafeLsn(state.durableLsn),
    syncedLsn: unsafeLsn(state.syncedLsn),
    nextLsn: unsafeLsn(state.nextLsn),
    activeSegmentId: state.segment.current.id,
    oldestSegmentId: state.oldestId as Segment.SegmentId,
    bgFailure: Option.fromNullable(state.failure)
  }))

  const plan = recovered.plan
  return {
    [TypeId]: TypeId,
    dir: state.dir,
    syncMode: state.syncMode,
    recovery: {
      committedEvents: options.committedEvents,
      summary: recovered.summary,
      tornTailTruncated: plan._tag === "Resume" && plan.tornTailTruncated,
      removedInterruptedSegment: plan.removeInterrupted,
      startedNewSegment: plan._tag === "StartNext"
    },
    commitTx,
    commitAll,
    withTransaction,
    begin: writes.begin,
    append: (txBeginLsn, event) => writes.appendRecord((lsn) => ({ _tag: "Mutation", lsn, txBeginLsn, event })),
    appendBatch: writes.appendBatch,
    commit: (txBeginLsn) => writes.appendRecord((lsn) => ({ _tag: "TxCommit", lsn, txBeginLsn })),
    abort: (txBeginLsn) => writes.appendRecord((lsn) => ({ _tag: "TxAbort", lsn, txBeginLsn })),
    checkpointMarker: (snapshotLsn) => writes.appendRecord((lsn) => ({ _tag: "Checkpoint", lsn, snapshotLsn })),
    flush: Effect.suspend(() =>
      state.syncMode._tag === "PerCommit"
        ? syncUpTo(state.nextLsn - 1n, false)
        : state.locked(Effect.zipRight(isHealthy, writes.writePending))
    ),
    forceFsync: Effect.suspend(() => syncUpTo(state.nextLsn - 1n, true)),
    truncateUpTo: Truncation.make(state, options.fs, options.path, options.syncDir),
    follow,
    status,
    durableLsn: Effect.map(status, (s) => s.durableLsn),
    nextLsn: Effect.map(status, (s) => s.nextLsn)
  }
}
