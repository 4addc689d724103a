// Copied verbatim from the testkit README's first example: it must keep passing.
import { describe, expect, it } from "@effect/vitest"
import type { MutationEvent } from "@lora-wal/core/MutationEvent"
import { Arbitraries, CrashHarness, SimulatedDisk } from "@lora-wal/testkit"
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

// The transactions a workload commits: recovery can never bring back more.
const committed = (workload: CrashHarness.Workload<MutationEvent>) =>
  workload.ops.reduce((count, op) =>
    count + (op._tag === "Commit" ? Number(op.events.length > 0)
      : op._tag === "CommitAll" ? op.transactions.filter((events) => events.length > 0).length
      : Number(op._tag === "LowLevel" && op.end === "commit")), 0)

describe("my store survives crashes", () => {
  // it.live: runCase brings its own clock, so the test services are not needed.
  it.live.prop(
    "200 random workloads, each crashed at a random instant",
    [Arbitraries.workload(Arbitraries.smallEvent), fc.constantFrom(...SimulatedDisk.crashModels), fc.integer()],
    ([workload, crashModel, seed]) =>
      Effect.gen(function*() {
        const report = yield* CrashHarness.runCase({ workload, model: nodes, crashModel, seed })
        expect(report.recovered).toBeLessThanOrEqual(committed(workload))
      }),
    { fastCheck: { numRuns: 200, seed: 7 } }
  )
})
