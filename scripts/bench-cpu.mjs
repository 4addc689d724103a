// The CPU cost of a commit, without the disk: the live log over a filesystem
// whose writes and fsyncs do nothing (opening, listing and locking are real).
// What is left is the library's own work per commit: Effect, encoding, CRC.
// Each row gives wall time and the process's CPU time per commit (CPU time
// moves less with other load on a shared VM; it includes V8's GC threads).
// `--modes` and `--events` pick rows, e.g. to compare two builds run after run.
//   node scripts/bench-cpu.mjs [commits] [--modes PerCommit,Group,None] [--events 1,100]
import { NodePath } from "@effect/platform-node"
import { NodeFileSystem } from "@effect/platform-node"
import * as FileSystem from "@effect/platform/FileSystem"
import { Wal, WalConfig } from "@lora-wal/core"
import { NodeCrc32, NodeDirLock } from "@lora-wal/platform-node"
import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { parseArgs } from "node:util"
import { benchEvent as event } from "./bench-events.mjs"

const { positionals, values: args } = parseArgs({
  allowPositionals: true,
  options: { modes: { type: "string", default: "PerCommit,Group,None" }, events: { type: "string", default: "1,100" } }
})
const commits = Number(positionals[0] ?? 200000)
const discardingWrites = Layer.effect(
  FileSystem.FileSystem,
  Effect.map(FileSystem.FileSystem, (base) => ({
    ...base,
    open: (p, options) =>
      Effect.map(base.open(p, options), (file) => ({ ...file, writeAll: () => Effect.void, sync: Effect.void }))
  }))
).pipe(Layer.provide(NodeFileSystem.layer))
// NodeCrc32: the CRC NodeWal.layer gives the log.
const layer = Layer.mergeAll(discardingWrites, NodeDirLock.layer, NodePath.layer, NodeCrc32.layer)

const perCommit = (syncMode, eventsPerCommit, count) =>
  Effect.scoped(Effect.gen(function*() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lora-wal-cpu-"))
    const wal = yield* Wal.make({ dir, syncMode, segmentTargetBytes: 2 ** 40 })
    const batches = Array.from({ length: 64 }, (_, b) =>
      Array.from({ length: eventsPerCommit }, (_, j) => event(b * eventsPerCommit + j)))
    for (let i = 0; i < 2000; i++) yield* wal.commitTx(batches[i % 64])
    const start = performance.now()
    const cpu = process.cpuUsage()
    for (let i = 0; i < count; i++) yield* wal.commitTx(batches[i % 64])
    const used = process.cpuUsage(cpu)
    const micros = ((performance.now() - start) * 1000) / count
    fs.rmSync(dir, { recursive: true, force: true })
    return { micros, cpuMicros: (used.user + used.system) / count }
  })).pipe(Effect.provide(layer))

const { PerCommit, Group, None } = WalConfig.SyncMode
const rows = [["PerCommit", PerCommit()], ["Group{10ms}", Group({ intervalMs: 10 })], ["None", None()]]
  .filter(([name]) => args.modes.split(",").some((mode) => name.startsWith(mode)))
for (const [name, mode] of rows) {
  for (const events of args.events.split(",").map(Number)) {
    const count = events === 1 ? commits : Math.round(commits / 50)
    const { cpuMicros, micros } = await Effect.runPromise(perCommit(mode, events, count))
    console.log(`${name.padEnd(12)} ${String(events).padStart(3)} event(s)/commit: ${micros.toFixed(1).padStart(6)} µs per commit (${Math.round(1e6 / micros)} commits/s, ${Math.round((events * 1e6) / micros)} events/s), ${cpuMicros.toFixed(1)} µs of CPU`)
  }
}
