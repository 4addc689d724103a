import { describe, expect, it } from "@effect/vitest"
import type { MutationEvent } from "@lora-wal/core/MutationEvent"
import * as Effect from "effect/Effect"
import * as fc from "effect/FastCheck"
import { Arbitraries, CrashHarness, SimulatedDisk } from "../src/index.js"

/** The user's state: the set of live node ids. */
const graph: CrashHarness.StateModel<MutationEvent, ReadonlySet<bigint>> = {
  initial: new Set(),
  apply: (nodes, event) => {
    switch (event._tag) {
      case "CreateNode":
        return new Set(nodes).add(event.id)
      case "DeleteNode": {
        const next = new Set(nodes)
        next.delete(event.nodeId)
        return next
      }
      case "Clear":
        return new Set()
      default:
        return nodes
    }
  },
  equals: (a, b) => a.size === b.size && [...a].every((id) => b.has(id))
}

/**
 * Lets the event loop run. The memory filesystem never waits, so a case is
 * all microtasks; without this the worker would answer Vitest's RPC only
 * after the whole file, and Vitest gives up on it after 60 seconds.
 */
const yieldToEventLoop = Effect.async<void>((resume) => void setImmediate(() => resume(Effect.void)))

/** Cases per scenario: 834 × 24 scenarios ≥ 20,000 per run. `LORA_WAL_CRASH_CASES` overrides it. */
export const CASES_PER_SCENARIO = Number(process.env["LORA_WAL_CRASH_CASES"] ?? 834)

/** Below this many cases a scenario may miss what it exists for (a failed fsync, an older snapshot). */
const MEANINGFUL_CASES = 200

interface Tally {
  cases: number
  repaired: number
  snapshotFallbacks: number
  fsyncFailures: number
  interruptedRecoveries: number
  acknowledged: number
}

const emptyTally = (): Tally => ({ cases: 0, repaired: 0, snapshotFallbacks: 0, fsyncFailures: 0, interruptedRecoveries: 0, acknowledged: 0 })

const count = (tally: Tally, report: CrashHarness.CaseReport) => {
  tally.cases++
  if (report.repaired) tally.repaired++
  if (report.snapshotFallback) tally.snapshotFallbacks++
  if (report.fsyncFailed) tally.fsyncFailures++
  if (report.recoveryInterrupted) tally.interruptedRecoveries++
  tally.acknowledged += report.acknowledged
}

/**
 * Every crash model under the given sequences, plus checkpoint-heavy
 * workloads (recovery from an older snapshot must find the log reaching
 * back to it), each a property over CASES_PER_SCENARIO random cases. The
 * first broken promise fails the scenario, and fast-check shrinks the case
 * (workload and seed) to a small one that still breaks it.
 */
export const crashSuite = (title: string, sequences: ReadonlyArray<CrashHarness.CrashSequence>, seedBase: number) => {
  const anyWorkload = Arbitraries.workload(Arbitraries.smallEvent)
  const scenarios = [
    ...sequences.flatMap((sequence) =>
      SimulatedDisk.crashModels.map((crashModel) => ({ sequence, crashModel, workloads: anyWorkload, kind: "" }))
    ),
    ...sequences.map((sequence) => ({
      sequence,
      crashModel: { data: "DropUnsynced", loseDirectoryEntries: true } as const,
      workloads: Arbitraries.checkpointWorkload(Arbitraries.smallEvent),
      kind: "checkpoints, "
    }))
  ]
  describe(title, () => {
    for (const [index, { crashModel, kind, sequence, workloads }] of scenarios.entries()) {
      const name = `${kind}${sequence} then ${crashModel.data}${crashModel.loseDirectoryEntries ? " + lost directory entries" : ""}`
      // it.live: the cases bring their own clock, and it.effect would build the test
      // services for every case, which costs about as much as the case itself.
      // fc.assert inside the test (rather than it.prop) keeps the tally with the
      // property that made it, so the coverage checks below depend on no other test.
      it.live(`${name}: ${CASES_PER_SCENARIO} crashes at random instants of random workloads`, () =>
        Effect.gen(function*() {
          const tally = emptyTally()
          const property = fc.asyncProperty(workloads, fc.integer(), (workload, seed) =>
            Effect.runPromise(
              Effect.zipRight(
                yieldToEventLoop,
                Effect.map(CrashHarness.runCase({ workload, model: graph, crashModel, sequence, seed }), (report) => count(tally, report))
              )
            ))
          yield* Effect.promise(() => fc.assert(property, { numRuns: CASES_PER_SCENARIO, seed: seedBase + index }))
          console.log(`${title} > ${name}: ${JSON.stringify(tally)}`)
          expect(tally.cases).toBe(CASES_PER_SCENARIO)
          // The scenario reached what it exists for (with the default case count; a few
          // cases set through LORA_WAL_CRASH_CASES are a smoke run and may not).
          if (CASES_PER_SCENARIO >= MEANINGFUL_CASES) {
            expect(tally.acknowledged, "acknowledged commits checked").toBeGreaterThan(0)
            expect(tally.interruptedRecoveries, "recoveries cut short by another crash").toBeGreaterThan(0)
            if (sequence === "FsyncFailure") expect(tally.fsyncFailures, "failed fsyncs").toBeGreaterThan(0)
            if (kind !== "") expect(tally.snapshotFallbacks, "recoveries from an older snapshot").toBeGreaterThan(0)
          }
        }), { timeout: 600_000 })
    }
  })
}
