// The 1-event None commit loop on its own, to compare builds (e.g. the cost of
// metrics and spans with no consumer). Prints commits/s, best of --runs.
import { NodeFileSystem } from "@effect/platform-node"
import { Wal, WalConfig } from "@lora-wal/core"
import { NodeDirLock } from "@lora-wal/platform-node"
import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const runs = Number(process.argv[2] ?? 5)
const commits = Number(process.argv[3] ?? 30000)
const layer = Layer.merge(NodeFileSystem.layer, NodeDirLock.layer)
const event = { _tag: "CreateNode", id: 1n, labels: ["Bench"], properties: new Map() }
let best = 0
for (let r = 0; r < runs; r++) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lora-wal-none-"))
  const perSecond = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const wal = yield* Wal.make({ dir, syncMode: WalConfig.SyncMode.None() })
    for (let i = 0; i < 1000; i++) yield* wal.commitTx([event])
    const start = performance.now()
    for (let i = 0; i < commits; i++) yield* wal.commitTx([event])
    return commits / ((performance.now() - start) / 1000)
  })).pipe(Effect.provide(layer)))
  fs.rmSync(dir, { recursive: true, force: true })
  best = Math.max(best, perSecond)
}
console.log(`None, 1 event/commit: best of ${runs}: ${Math.round(best)} commits/s`)
