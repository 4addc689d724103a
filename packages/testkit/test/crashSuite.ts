import { describe, expect, it } from "@effect/vitest"
import type { MutationEvent } from "@lora-wal/core/MutationEvent"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as fc from "effect/FastCheck"
import { Arbitraries, CrashHarness, MemoryFileSystem } from "../src/index.js"

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

/**
 * Every crash model under the given sequences, plus checkpoint-heavy
 * workloads (recovery from an older snapshot must find the log reaching
 * back to it), each run for CASES_PER_SCENARIO random cases. Violations are
 * counted per invariant and printed per scenario; any one fails the test.
 */
export const crashSuite = (title: string, sequences: ReadonlyArray<CrashHarness.CrashSequence>, seedBase: number) => {
  const anyWorkload = Arbitraries.workload(Arbitraries.smallEvent)
  const scenarios = [
    ...sequences.flatMap((sequence) =>
      MemoryFileSystem.crashModels.map((crashModel) => ({ sequence, crashModel, workloads: anyWorkload, kind: "" }))
    ),
    ...sequences.map((sequence) => ({
      sequence,
      crashModel: { data: "DropUnsynced", loseDirectoryEntries: true } as const,
      workloads: Arbitraries.checkpointWorkload(Arbitraries.smallEvent),
      kind: "checkpoints, "
    }))
  ]
  describe(title, () => {
    const totals = { cases: 0, repaired: 0, snapshotFallbacks: 0, fsyncFailures: 0, interruptedRecoveries: 0, acknowledged: 0 }
    for (const [index, { crashModel, kind, sequence, workloads }] of scenarios.entries()) {
      const name = `${kind}${sequence} then ${crashModel.data}${crashModel.loseDirectoryEntries ? " + lost directory entries" : ""}`
      it.effect(`${name}: ${CASES_PER_SCENARIO} crashes at random instants of random workloads`, () =>
        Effect.gen(function*() {
          const samples = fc.sample(fc.tuple(workloads, fc.integer()), { numRuns: CASES_PER_SCENARIO, seed: seedBase + index })
          const broken: Record<string, number> = {}
          let firstViolation: string | undefined
          const here = { cases: 0, repaired: 0, snapshotFallbacks: 0, fsyncFailures: 0, interruptedRecoveries: 0 }
          for (const [workload, seed] of samples) {
            const result = yield* Effect.either(CrashHarness.runCase({ workload, model: graph, crashModel, sequence, seed }))
            yield* yieldToEventLoop
            here.cases++
            if (Either.isLeft(result)) {
              broken[result.left.invariant] = (broken[result.left.invariant] ?? 0) + 1
              firstViolation ??= result.left.message
              continue
            }
            const report = result.right
            if (report.repaired) here.repaired++
            if (report.snapshotFallback) here.snapshotFallbacks++
            if (report.fsyncFailed) here.fsyncFailures++
            if (report.recoveryInterrupted) here.interruptedRecoveries++
            totals.acknowledged += report.acknowledged
          }
          totals.cases += here.cases
          totals.repaired += here.repaired
          totals.snapshotFallbacks += here.snapshotFallbacks
          totals.fsyncFailures += here.fsyncFailures
          totals.interruptedRecoveries += here.interruptedRecoveries
          console.log(`${name}: ${JSON.stringify({ ...here, violations: broken })}`)
          expect(broken, firstViolation).toEqual({})
        }), 600_000)
    }

    it("ran every case of every scenario", () => {
      console.log(`${title}: ${totals.cases} simulated crashes in ${scenarios.length} scenarios, ${totals.acknowledged} acknowledged commits checked, ${totals.snapshotFallbacks} recoveries from an older snapshot, ${totals.fsyncFailures} failed fsyncs, ${totals.interruptedRecoveries} recoveries cut short by another crash, ${totals.repaired} repairs (SectorChaos power losses only)`)
      expect(totals.cases).toBe(CASES_PER_SCENARIO * scenarios.length)
    })
  })
}
