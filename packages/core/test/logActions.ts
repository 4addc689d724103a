import { Arbitraries } from "@lora-wal/testkit"
import * as fc from "effect/FastCheck"
import type { MutationEvent } from "../src/MutationEvent.js"
import { LogBuilder } from "./logBuilder.js"

/** One step of a random log: `which` picks among the transactions open at that point. */
export type LogAction =
  | { readonly _tag: "commitTx"; readonly events: Array<MutationEvent> }
  | { readonly _tag: "begin" }
  | { readonly _tag: "mutation"; readonly which: number; readonly event: MutationEvent }
  | { readonly _tag: "batch"; readonly which: number; readonly events: Array<MutationEvent> }
  | { readonly _tag: "commit"; readonly which: number }
  | { readonly _tag: "abort"; readonly which: number }
  | { readonly _tag: "checkpoint" }
  | { readonly _tag: "rotate" }

const events = fc.array(Arbitraries.mutationEvent, { minLength: 1, maxLength: 3 })
const which = fc.nat({ max: 7 })

/** Any step, whole transactions and rotations more often than the rest. */
export const logAction: fc.Arbitrary<LogAction> = fc.oneof(
  { arbitrary: events.map((e) => ({ _tag: "commitTx" as const, events: e })), weight: 4 },
  fc.constant({ _tag: "begin" as const }),
  fc.record({ which, event: Arbitraries.mutationEvent }).map((r) => ({ _tag: "mutation" as const, ...r })),
  fc.record({ which, events }).map((r) => ({ _tag: "batch" as const, ...r })),
  which.map((w) => ({ _tag: "commit" as const, which: w })),
  which.map((w) => ({ _tag: "abort" as const, which: w })),
  fc.constant({ _tag: "checkpoint" as const }),
  { arbitrary: fc.constant({ _tag: "rotate" as const }), weight: 2 }
)

/**
 * Interprets actions into a valid log: actions on missing transactions and
 * rotations of an empty segment are skipped, checkpoints never go back.
 */
export const buildLog = (actions: ReadonlyArray<LogAction>, log: LogBuilder = new LogBuilder()): LogBuilder => {
  let lastCheckpoint = 0n
  for (const a of actions) {
    const open = log.openTransactions
    const pick = "which" in a && open.length > 0 ? open[a.which % open.length] : undefined
    if (a._tag === "commitTx") log.commitTx(a.events)
    else if (a._tag === "begin") log.begin()
    else if (a._tag === "mutation" && pick !== undefined) log.mutation(pick, a.event)
    else if (a._tag === "batch" && pick !== undefined) log.batch(pick, a.events)
    else if (a._tag === "commit" && pick !== undefined) log.commit(pick)
    else if (a._tag === "abort" && pick !== undefined) log.abort(pick)
    else if (a._tag === "checkpoint") {
      if (log.nextLsn - 1n > lastCheckpoint) lastCheckpoint = log.nextLsn - 1n
      log.checkpoint(lastCheckpoint)
    } else if (a._tag === "rotate" && log.activeHasRecords) log.rotate()
  }
  return log
}

/** A random log read back: its actions, bytes after its newest segment's records, a fence and a read chunk size. */
export const replayCase = fc.record({
  actions: fc.array(logAction, { maxLength: 40 }),
  tail: fc.uint8Array({ maxLength: 30 }),
  fence: fc.nat({ max: 120 }),
  chunkBytes: fc.integer({ min: 1, max: 400 })
})
