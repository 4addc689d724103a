// Copied verbatim from the testkit README's example: it must keep passing.
import { describe, expect, it } from "@effect/vitest"
import type { MutationEvent } from "@lora-wal/core/MutationEvent"
import { Arbitraries, CrashHarness, MemoryFileSystem } from "@lora-wal/testkit"
import { Effect, FastCheck as fc } from "effect"

// Your state, and how a logged event changes it: here, the ids of live nodes.
const nodes: CrashHarness.StateModel<MutationEvent, ReadonlySet<bigint>> = {
  initial: new Set(),
  apply: (state, event) => {
    if (event._tag === "CreateNode") return new Set(state).add(event.id)
    if (event._tag === "DeleteNode") return new Set([...state].filter((id) => id !== event.nodeId))
    if (event._tag === "Clear") return new Set()
    return state
  },
  equals: (a, b) => a.size === b.size && [...a].every((id) => b.has(id))
}

describe("my store survives crashes", () => {
  it.effect("200 random workloads, each crashed at a random instant", () =>
    Effect.gen(function*() {
      const cases = fc.sample(
        fc.tuple(
          Arbitraries.workload(Arbitraries.smallEvent),
          fc.constantFrom(...MemoryFileSystem.crashModels),
          fc.integer()
        ),
        { numRuns: 200, seed: 7 }
      )
      for (const [workload, crashModel, seed] of cases) {
        const report = yield* CrashHarness.runCase({ workload, model: nodes, crashModel, seed })
        expect(report.recovered).toBeGreaterThanOrEqual(0)
      }
    }))
})
