import { describe, expect, it } from "@effect/vitest"
import { CrashHarness } from "@lora-wal/testkit"
import * as Effect from "effect/Effect"
import { query, verify } from "../src/Demo.js"
import * as GraphStore from "../src/GraphStore.js"

const DIR = "/store"
const QUERIES = 10

/**
 * The demo writer's loop (`Demo.writer`), made finite: query after query,
 * each acknowledged once `execute` returned, a checkpoint every fourth.
 */
const write = (ledger: CrashHarness.Ledger<number>) =>
  Effect.gen(function*() {
    const store = yield* GraphStore.open(DIR)
    for (let i = store.graph.nodes.size + 1; i <= QUERIES; i++) {
      yield* ledger.attempt(i)
      yield* store.execute(query(i))
      yield* ledger.acknowledge(i)
      if (i % 4 === 0) yield* store.checkpoint
    }
  })

/** The store's own recovery: open, which loads the newest snapshot and replays the log. */
const recover = Effect.map(GraphStore.open(DIR), (store) => store.graph)

/** The demo's check: every acknowledged query is back, none half-applied, none that was never run. */
const invariant = (graph: GraphStore.Graph, acknowledged: ReadonlyArray<number>, attempted: ReadonlyArray<number>) => {
  const { missing, partial } = verify(graph, acknowledged.length)
  expect({ missing, partial }).toEqual({ missing: [], partial: [] })
  expect([...graph.nodes.keys()].every((id) => attempted.includes(Number(id)))).toBe(true)
  return true
}

describe("the graph store under the crash harness", () => {
  it.live("every acknowledged query survives every crash point, sequence and crash model", () =>
    Effect.gen(function*() {
      const report = yield* CrashHarness.check({ write, recover, invariant, numRuns: 150, seed: 3 })
      // PerCommit: one log fsync per query at least.
      expect(report.fsyncs).toBeGreaterThanOrEqual(QUERIES)
    }), 300_000)
})
