/**
 * The log that `WalConfig.Disabled` provides: commits write nothing and
 * return no LSN, flushes do nothing, LSNs stay 0.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { unsafeMake as unsafeLsn } from "../../Lsn.js"
import type { MutationEvent } from "../../MutationEvent.js"
import * as Replay from "../../Replay.js"
import type * as Segment from "../../Segment.js"
import type { Status, Wal } from "../../Wal.js"
import { SyncMode } from "../../WalConfig.js"
import { TypeId } from "./handle.js"

const zero = unsafeLsn(0n)
const none = Effect.succeed(zero)
const status: Status = {
  durableLsn: zero,
  syncedLsn: zero,
  nextLsn: zero,
  activeSegmentId: 1n as Segment.SegmentId,
  oldestSegmentId: 1n as Segment.SegmentId,
  bgFailure: Option.none()
}

/** @internal */
export const noop: Wal<MutationEvent> = {
  [TypeId]: TypeId,
  dir: "",
  syncMode: SyncMode.None(),
  recovery: {
    committedEvents: [],
    summary: Replay.emptySummary,
    tornTailTruncated: false,
    removedInterruptedSegment: Option.none(),
    startedNewSegment: false
  },
  commitTx: () => Effect.succeed(Option.none()),
  commitAll: (transactions) => Effect.succeed(transactions.map(() => Option.none())),
  withTransaction: (body) =>
    Effect.scoped(Effect.map(body({ append: () => Effect.void, appendAll: () => Effect.void }), (value) => ({
      value,
      commitLsn: Option.none()
    }))),
  begin: none,
  append: () => none,
  appendBatch: () => none,
  commit: () => none,
  abort: () => none,
  checkpointMarker: () => none,
  flush: Effect.void,
  forceFsync: Effect.void,
  truncateUpTo: () => Effect.void,
  follow: () => Stream.empty,
  status: Effect.succeed(status),
  durableLsn: none,
  nextLsn: none
}
