/**
 * Opening's recovery: replay the directory (handing the committed
 * transactions to the caller), plan from what it found, then carry the plan
 * out: set aside an interrupted creation, and create, resume (cut back to
 * its last good record) or start the next segment.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { EventCodec } from "../../EventCodec.js"
import * as Replay from "../../Replay.js"
import { Io, type OpenError } from "../../WalError.js"
import { rewriteDurably } from "../durable.js"
import { listReplayable } from "../segments.js"
import type { ActiveSegment } from "./activeSegment.js"
import { firstNewLsn, plan, type RecoveryPlan } from "./recoveryPlan.js"

/** What recovery found and did. @internal */
export interface Recovered {
  readonly summary: Replay.Summary
  readonly plan: Exclude<RecoveryPlan, { readonly _tag: "Refuse" }>
  /** The LSN the first new record gets. */
  readonly nextLsn: bigint
  readonly oldestId: bigint
}

/** @internal */
export const recover = <A, E, R>(options: {
  readonly fs: FileSystem.FileSystem
  readonly path: Path.Path
  readonly dir: string
  readonly segment: ActiveSegment
  readonly syncDir: Effect.Effect<void, Io>
  readonly codec: EventCodec<A>
  readonly fence: bigint
  readonly repair: boolean
  readonly onTransaction: (transaction: Replay.Transaction<A>) => Effect.Effect<void, E, R>
}): Effect.Effect<Recovered, OpenError | E, R> =>
  Effect.gen(function*() {
    const { fs, segment, syncDir } = options
    const listing = yield* listReplayable(fs, options.path, options.dir)
    const summary = listing.segments.length === 0
      ? Replay.emptySummary
      : yield* Replay.runListing(fs, options.dir, listing, options.codec, {
        fence: options.fence,
        onTransaction: options.onTransaction
      })
    const decided = plan({ listing, summary, fence: options.fence, repair: options.repair })
    if (decided._tag === "Refuse") return yield* decided.error
    if (Option.isSome(decided.removeInterrupted)) {
      yield* fs.remove(decided.removeInterrupted.value).pipe(Effect.mapError(Io.fromPlatform))
      if (decided._tag !== "CreateFirst") yield* syncDir
    }
    switch (decided._tag) {
      case "CreateFirst":
      case "StartNext":
        yield* segment.create(decided.id, decided.baseLsn)
        yield* syncDir
        break
      case "Resume":
        // Everything readable becomes the durable fence (as in lora-wal). An fsync
        // of the old file cannot promise that: after a failed fsync, Linux keeps
        // pages readable that it will never write. A fresh copy can.
        yield* rewriteDurably(fs, decided.path, decided.size).pipe(Effect.mapError(Io.fromPlatform))
        yield* syncDir
        yield* segment.resume(decided)
    }
    const next = firstNewLsn(summary.maxLsn, options.fence)
    const base = segment.current.baseLsn
    return {
      summary,
      plan: decided,
      nextLsn: next > base ? next : base,
      oldestId: listing.segments[0]?.id ?? segment.current.id
    }
  })
