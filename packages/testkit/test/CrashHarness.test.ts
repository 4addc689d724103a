import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fc from "effect/FastCheck"
import type { MutationEvent } from "@lora-wal/core/MutationEvent"
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

const CASES_PER_MODEL = Number(process.env["LORA_WAL_CRASH_CASES"] ?? 1500)

describe("crash recovery properties", () => {
  const totals = { cases: 0, repaired: 0, acknowledged: 0, recovered: 0 }
  for (const crashModel of MemoryFileSystem.crashModels) {
    const name = `${crashModel.data}${crashModel.loseDirectoryEntries ? " + lost directory entries" : ""}`
    it.effect(`${name}: ${CASES_PER_MODEL} crashes at random instants of random workloads`, () =>
      Effect.gen(function*() {
        const samples = fc.sample(
          fc.tuple(Arbitraries.workload(Arbitraries.smallEvent), fc.integer()),
          { numRuns: CASES_PER_MODEL, seed: 42 + MemoryFileSystem.crashModels.indexOf(crashModel) }
        )
        for (const [workload, seed] of samples) {
          const report = yield* CrashHarness.runCase({ workload, model: graph, crashModel, seed })
          totals.cases++
          if (report.repaired) totals.repaired++
          totals.acknowledged += report.acknowledged
          totals.recovered += report.recovered
        }
        console.log(`crash cases so far: ${totals.cases} (${JSON.stringify(totals)})`)
      }), 300_000)
  }

  it("ran every case: at least 10,000 simulated crashes per run by default", () => {
    console.log(`crash recovery: ${totals.cases} simulated crashes, ${totals.acknowledged} acknowledged commits checked, ${totals.repaired} needed repair (SectorChaos only)`)
    expect(totals.cases).toBe(CASES_PER_MODEL * MemoryFileSystem.crashModels.length)
    if (process.env["LORA_WAL_CRASH_CASES"] === undefined) expect(totals.cases).toBeGreaterThanOrEqual(10_000)
  })
})
