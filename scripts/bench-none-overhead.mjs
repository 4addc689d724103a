// What metrics and spans cost on the 1-event None commit loop (NodeWal's
// default I/O). Prints commits/s (best of --runs) and:
// - the per-commit metric work (the exact updates a commit makes, timed in a
//   loop) as a share of one commit: the overhead with no metrics consumer;
// - the same loop with a tracer installed that forwards to Effect's own: what
//   spans cost once someone collects them (without one, none are made).
//   node scripts/bench-none-overhead.mjs [runs] [commits]
import { NodePath } from "@effect/platform-node"
import { Wal, WalConfig, WalMetrics } from "@lora-wal/core"
import { NodeCrc32, NodeDirLock, NodeSyncFileSystem } from "@lora-wal/platform-node"
import { Duration, Effect, Layer, Tracer } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const runs = Number(process.argv[2] ?? 5)
const commits = Number(process.argv[3] ?? 50000)
const layer = Layer.mergeAll(NodeSyncFileSystem.layerSyncWrites, NodeDirLock.layer, NodePath.layer, NodeCrc32.layer)
const event = { _tag: "CreateNode", id: 1n, labels: ["Bench"], properties: new Map() }

const commitsPerSecond = (traced) =>
  Effect.gen(function*() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lora-wal-none-"))
    const builtIn = yield* Effect.tracer
    const forwarding = Tracer.make({ span: (...args) => builtIn.span(...args), context: builtIn.context })
    const loop = Effect.scoped(Effect.gen(function*() {
      const wal = yield* Wal.make({ dir, syncMode: WalConfig.SyncMode.None() })
      for (let i = 0; i < 1000; i++) yield* wal.commitTx([event])
      const start = performance.now()
      for (let i = 0; i < commits; i++) yield* wal.commitTx([event])
      return commits / ((performance.now() - start) / 1000)
    }))
    const perSecond = yield* (traced ? Effect.withTracer(loop, forwarding) : loop)
    fs.rmSync(dir, { recursive: true, force: true })
    return perSecond
  }).pipe(Effect.provide(layer))

const best = async (traced) => {
  let top = 0
  for (let r = 0; r < runs; r++) top = Math.max(top, await Effect.runPromise(commitsPerSecond(traced)))
  return top
}

// The metric work of one commit, as Wal does it.
const metricMicros = () => {
  const n = 1_000_000
  const start = performance.now()
  for (let i = 0; i < n; i++) {
    const started = performance.now()
    WalMetrics.recordsWritten.unsafeUpdate(3, [])
    WalMetrics.bytesWritten.unsafeUpdate(120, [])
    WalMetrics.commitLatency.unsafeUpdate(Duration.millis(performance.now() - started), [])
  }
  return ((performance.now() - start) * 1000) / n
}

const plain = await best(false)
const metricsUs = metricMicros()
const traced = await best(true)
const commitUs = 1e6 / plain
console.log(`None, 1 event/commit, best of ${runs}: ${Math.round(plain)} commits/s (${commitUs.toFixed(1)} µs per commit)`)
console.log(`metric updates per commit: ${metricsUs.toFixed(2)} µs = ${((metricsUs / commitUs) * 100).toFixed(1)}% of a commit`)
console.log(`with a tracer installed (spans made): ${Math.round(traced)} commits/s (${((1 - traced / plain) * 100).toFixed(1)}% slower)`)
