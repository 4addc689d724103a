// The archiver: how fast one pass copies a log into a directory store, and
// what an archiver running next to a PerCommit log costs each commit (p50 and
// p99 latency, with and without it, phases interleaved in one run so the
// disk's drift hits both alike). The store is a directory on the same disk:
// the archiver's own cost, not a network's.
//   node scripts/bench-archive.mjs [--mb 64] [--commits 2000] [--rounds 3] [--tmp DIR] [--out FILE]
import { NodeContext } from "@effect/platform-node"
import { Archive, ArchiveStore, Wal } from "@lora-wal/core"
import { NodeCrc32, NodeDirLock, NodeSyncFileSystem } from "@lora-wal/platform-node"
import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { parseArgs } from "node:util"
import { benchEvent } from "./bench-events.mjs"

const { values: args } = parseArgs({
  options: {
    mb: { type: "string", default: "64" },
    commits: { type: "string", default: "2000" },
    rounds: { type: "string", default: "3" },
    tmp: { type: "string", default: os.tmpdir() },
    out: { type: "string" }
  }
})
const root = fs.mkdtempSync(path.join(args.tmp, "lora-wal-bench-archive-"))
let dirs = 0
const freshDir = () => path.join(root, `case-${dirs++}`)
// NodeWal's default I/O: synchronous writes, fsyncs on the thread pool (with io: "sync" a busy committer blocks
// the event loop, and the archiver's timer, between bursts).
const layer = Layer.mergeAll(NodeSyncFileSystem.layerSyncWrites, NodeDirLock.layer, NodeCrc32.layer).pipe(Layer.provideMerge(NodeContext.layer))
const run = (effect) => Effect.runPromise(Effect.provide(effect, layer))
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]

const logBytes = (dir) => fs.readdirSync(dir).filter((n) => n.endsWith(".wal")).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0)

/** Writes `mb` MiB of 100-event transactions under None, closes the log; its directory. */
const writeLog = (mb) =>
  run(Effect.scoped(Effect.gen(function*() {
    const dir = freshDir()
    const wal = yield* Wal.make({ dir, syncMode: { _tag: "None" } })
    const batch = Array.from({ length: 100 }, (_, i) => benchEvent(i))
    while (logBytes(dir) < mb * 2 ** 20) {
      for (let i = 0; i < 100; i++) yield* wal.commitTx(batch)
    }
    return dir
  })))

/** One pass over a closed log into a fresh directory store: MiB/s. */
const passRate = async (dir) => {
  const bytes = logBytes(dir)
  const store = freshDir()
  const start = performance.now()
  const pass = await run(Archive.archiveOnce({ dir }).pipe(Effect.provide(ArchiveStore.layerFileSystem(store))))
  const seconds = (performance.now() - start) / 1000
  return { mibPerSecond: bytes / 2 ** 20 / seconds, objects: pass.uploaded.length, bytes }
}

/** Per-commit latencies (µs) of `commits` 1-event PerCommit commits, with an archiver every 100 ms or without. */
const commitLatencies = (commits, archiving) =>
  run(Effect.scoped(Effect.gen(function*() {
    const dir = freshDir()
    const wal = yield* Wal.make({ dir, segmentTargetBytes: 256 * 1024 })
    const archiver = archiving
      ? yield* Archive.archiver(wal, { interval: "100 millis" }).pipe(Effect.provide(ArchiveStore.layerFileSystem(freshDir())))
      : undefined
    const latencies = new Float64Array(commits)
    for (let i = 0; i < commits; i++) {
      const start = performance.now()
      yield* wal.commitTx([benchEvent(i)])
      latencies[i] = (performance.now() - start) * 1000
    }
    if (archiver !== undefined) passes += (yield* archiver.status).passes
    return latencies
  })))

let passes = 0
const rows = []
const dir = await writeLog(Number(args.mb))
const pass = await passRate(dir)
console.log(`archive pass of a ${(pass.bytes / 2 ** 20).toFixed(0)} MiB log into a directory store: ${pass.mibPerSecond.toFixed(1)} MiB/s (${pass.objects} objects)`)
rows.push({ id: "archive.pass.dir", title: `one archive pass of a closed ${args.mb} MiB log into a directory store on the same disk`, unit: "MiB/s", median: Number(pass.mibPerSecond.toFixed(1)) })
const phases = { without: [], with: [] }
for (let round = 0; round < Number(args.rounds); round++) {
  for (const archiving of [false, true]) phases[archiving ? "with" : "without"].push(...await commitLatencies(Number(args.commits), archiving))
}
for (const [name, latencies] of Object.entries(phases)) {
  const sorted = Float64Array.from(latencies).sort()
  const p50 = percentile(sorted, 50)
  const p99 = percentile(sorted, 99)
  console.log(`PerCommit 1-event commit ${name.padEnd(7)} an archiver (every 100 ms): p50 ${p50.toFixed(0)} µs, p99 ${p99.toFixed(0)} µs${name === "with" ? ` (${passes} passes ran)` : ""}`)
  rows.push({ id: `archive.commit.${name}`, title: `PerCommit 1-event commit latency ${name} an archiver shipping every 100 ms`, unit: "µs", median: Number(p50.toFixed(1)), p50_us: Number(p50.toFixed(1)), p99_us: Number(p99.toFixed(1)) })
}
fs.rmSync(root, { recursive: true, force: true })
if (args.out) fs.writeFileSync(args.out, JSON.stringify({ schema: "wal-bench-results/v1", label: "lora-wal-effect", results: rows }, null, 2))
