// Commit benchmark: commits/s, events/s and per-commit latency of the live log
// on the Node filesystem, next to raw write+fsync measured in the same run.
// Cases run on NodeWal's default I/O (synchronous writes, fsync on the thread
// pool) unless their id ends in .sync (fsync synchronous too) or .async
// (everything on the thread pool). Method as in bench/peers.mjs: an
// untimed warm-up, a settled disk before every case, 3 interleaved rounds and
// the median round reported.
//   node scripts/bench-commit.mjs [--tmp DIR] [--scale X]
import { NodePath } from "@effect/platform-node"
import { NodeFileSystem } from "@effect/platform-node"
import { Bytes, Wal, WalConfig } from "@lora-wal/core"
import { NodeCrc32, NodeDirLock, NodeSyncFileSystem } from "@lora-wal/platform-node"
import { Effect, Layer } from "effect"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { parseArgs } from "node:util"
import { benchEvent as event, encodeTransaction } from "./bench-events.mjs"

const { values: args } = parseArgs({
  options: {
    tmp: { type: "string", default: os.tmpdir() },
    scale: { type: "string", default: "1" },
    out: { type: "string" }
  }
})
const scale = Number(args.scale)
const root = fs.mkdtempSync(path.join(args.tmp, "lora-wal-bench-commit-"))
let dirs = 0
const freshDir = () => path.join(root, `case-${dirs++}`)
const layers = {
  syncWrites: Layer.mergeAll(NodeSyncFileSystem.layerSyncWrites, NodeDirLock.layer, NodePath.layer, NodeCrc32.layer),
  sync: Layer.mergeAll(NodeSyncFileSystem.layer, NodeDirLock.layer, NodePath.layer, NodeCrc32.layer),
  async: Layer.mergeAll(NodeFileSystem.layer, NodeDirLock.layer, NodePath.layer, NodeCrc32.layer)
}


const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]

const summarize = (name, what, commits, eventsPerCommit, seconds, latenciesUs) => {
  const sorted = Float64Array.from(latenciesUs).sort()
  return {
    case: name,
    what,
    commits,
    commitsPerSecond: Math.round(commits / seconds),
    eventsPerSecond: Math.round((commits * eventsPerCommit) / seconds),
    p50Us: sorted.length ? Number(percentile(sorted, 50).toFixed(1)) : null,
    p99Us: sorted.length ? Number(percentile(sorted, 99).toFixed(1)) : null
  }
}

// What one commit costs at the OS: an append of a 1-event transaction's size
// and an fsync, one at a time.
const rawFsync = async (name, what, ops, commit) => {
  const dir = freshDir()
  fs.mkdirSync(dir)
  const handle = await fs.promises.open(path.join(dir, "raw"), "a", 0o600)
  const record = Buffer.alloc(txBytes, 7)
  const lat = []
  for (let i = 0; i < 50; i++) await commit(handle, record)
  const start = performance.now()
  for (let i = 0; i < ops; i++) {
    const t = performance.now()
    await commit(handle, record)
    lat.push((performance.now() - t) * 1000)
  }
  const seconds = (performance.now() - start) / 1000
  await handle.close()
  return summarize(name, what, ops, 1, seconds, lat)
}

/** Encodes a 1-event transaction (three records with their CRCs) at `lsn` into `writer`. */
const txBytes = (() => {
  const writer = new Bytes.Writer(4096)
  encodeTransaction(writer, 1n, [event(0)])
  return writer.length
})()

// The floor under a log written in plain JavaScript: a hand loop that encodes
// the transaction before each write+fsync.
const encodedCommit = () => {
  const writer = new Bytes.Writer(4096)
  const events = [event(0)]
  let lsn = 1n
  return (h) => {
    writer.reset()
    encodeTransaction(writer, lsn, events)
    lsn += 3n
    fs.writeSync(h.fd, writer.written)
    fs.fdatasyncSync(h.fd)
  }
}

const walCase = (name, what, syncMode, commits, eventsPerCommit, concurrency, io = "syncWrites") =>
  Effect.scoped(Effect.gen(function*() {
    const wal = yield* Wal.make({ dir: freshDir(), syncMode })
    // Built once, like the peers' payloads: the loop times the log, not the
    // construction of event objects (every commit still encodes every event).
    const batches = Array.from({ length: 64 }, (_, b) =>
      Array.from({ length: eventsPerCommit }, (_, j) => event(b * eventsPerCommit + j)))
    const batch = (i) => batches[i % 64]
    for (let i = 0; i < 50; i++) yield* wal.commitTx(batch(i))
    const lat = []
    let next = 0
    const worker = Effect.gen(function*() {
      while (next < commits) {
        const events = batch(next++)
        const t = performance.now()
        yield* wal.commitTx(events)
        lat.push((performance.now() - t) * 1000)
      }
    })
    const start = performance.now()
    yield* Effect.all(Array.from({ length: concurrency }, () => worker), { concurrency: "unbounded" })
    yield* wal.forceFsync
    const seconds = (performance.now() - start) / 1000
    return summarize(name, what, commits, eventsPerCommit, seconds, lat)
  })).pipe(Effect.provide(layers[io]))

const n = (x) => Math.max(10, Math.round(x * scale))
const results = []
const { PerCommit, Group, None } = WalConfig.SyncMode
const run = (...args) => Effect.runPromise(walCase(...args))

// Every case runs in 3 interleaved rounds and reports its median round: the
// disk's fsync latency and the VM's CPU drift by tens of percent over minutes.
const cases = {
  "raw.write+fsync": () =>
    rawFsync("raw.write+fsync", `FileHandle.write ${txBytes} B + await sync() (thread pool)`, n(2000), async (h, r) => {
      await h.write(r)
      await h.sync()
    }),
  "raw.write+fsync.sync": () =>
    rawFsync("raw.write+fsync.sync", `fs.writeSync ${txBytes} B + fs.fdatasyncSync (blocks the event loop)`, n(2000), (h, r) => {
      fs.writeSync(h.fd, r)
      fs.fdatasyncSync(h.fd)
    }),
  "raw.encode+write+fsync.sync": () =>
    rawFsync("raw.encode+write+fsync.sync", "hand loop, no Effect: WalRecord.encode of the 1-event transaction + fs.writeSync + fs.fdatasyncSync", n(2000), encodedCommit()),
  "wal.percommit.c1": () => run("wal.percommit.c1", "PerCommit, 1 committer, 1 event/commit", PerCommit(), n(2000), 1, 1),
  "wal.percommit.c1.sync": () =>
    run("wal.percommit.c1.sync", "PerCommit, 1 committer, io: \"sync\" (fdatasync blocks the event loop)", PerCommit(), n(2000), 1, 1, "sync"),
  "wal.percommit.c1.async": () =>
    run("wal.percommit.c1.async", "PerCommit, 1 committer, io: \"async\" (writes on the thread pool too)", PerCommit(), n(2000), 1, 1, "async"),
  "wal.percommit.c8": () => run("wal.percommit.c8", "PerCommit, 8 concurrent committers, 1 event/commit", PerCommit(), n(8000), 1, 8),
  "wal.percommit.c64": () => run("wal.percommit.c64", "PerCommit, 64 concurrent committers, 1 event/commit", PerCommit(), n(16000), 1, 64),
  "wal.percommit.c64.sync": () => run("wal.percommit.c64.sync", "PerCommit, 64 committers, io: \"sync\"", PerCommit(), n(16000), 1, 64, "sync"),
  "wal.percommit.100ev": () => run("wal.percommit.100ev", "PerCommit, 100 events/commit (durable batches)", PerCommit(), n(2000), 100, 1),
  "wal.percommit.100ev.sync": () =>
    run("wal.percommit.100ev.sync", "PerCommit, 100 events/commit, io: \"sync\"", PerCommit(), n(2000), 100, 1, "sync"),
  "wal.group10.1ev": () => run("wal.group10.1ev", "Group{10ms}, 1 event/commit (durable within 10 ms)", Group({ intervalMs: 10 }), n(100000), 1, 1),
  "wal.group10.100ev": () => run("wal.group10.100ev", "Group{10ms}, 100 events/commit", Group({ intervalMs: 10 }), n(5000), 100, 1),
  "wal.none.1ev": () => run("wal.none.1ev", "None, 1 event/commit (never fsynced)", None(), n(100000), 1, 1),
  "wal.none.100ev": () => run("wal.none.100ev", "None, 100 events/commit", None(), n(5000), 100, 1),
  "wal.none.1ev.async": () => run("wal.none.1ev.async", "None, 1 event/commit, io: \"async\"", None(), n(30000), 1, 1, "async")
}
// Warm-up, not measured: the commit path runs as interpreted JavaScript until
// V8 has compiled it, which takes thousands of commits (the peers' engines are
// native code). Every I/O layer runs each path once before the rounds.
for (const io of Object.keys(layers)) {
  await run("warm-up", "", PerCommit(), n(2000), 1, 1, io)
  await run("warm-up", "", None(), n(20000), 1, 1, io)
  await run("warm-up", "", None(), n(2000), 100, 1, io)
}
// As in the peers' runner, every case starts on a settled disk: the files of
// earlier cases deleted, `sync`, then 500 ms, so that one case's write-back
// does not land on the next one's fsyncs.
const settle = async () => {
  for (const name of fs.readdirSync(root)) fs.rmSync(path.join(root, name), { recursive: true, force: true })
  execFileSync("sync")
  await new Promise((resolve) => setTimeout(resolve, 500))
}
const rounds = Object.fromEntries(Object.keys(cases).map((id) => [id, []]))
for (let round = 0; round < 3; round++) {
  for (const [id, measure] of Object.entries(cases)) {
    await settle()
    rounds[id].push(await measure())
  }
}
for (const runs of Object.values(rounds)) {
  const sorted = [...runs].sort((a, b) => a.commitsPerSecond - b.commitsPerSecond)
  results.push({ ...sorted[1], what: `${sorted[1].what}; median of 3 rounds (${runs.map((r) => r.commitsPerSecond).join(", ")} commits/s)` })
}
fs.rmSync(root, { recursive: true, force: true })

if (args.out) {
  const durable = (name) => name.startsWith("raw") || name.includes("percommit")
  fs.writeFileSync(args.out, JSON.stringify({
    schema: "wal-bench-results/v1",
    label: "lora-wal-effect",
    created: new Date().toISOString(),
    host: { node: process.version, tmp_dir: args.tmp },
    results: results.map((r) => ({
      id: r.case,
      title: r.what,
      unit: r.case.includes("100ev") ? "rows/s" : "commits/s",
      median: r.case.includes("100ev") ? r.eventsPerSecond : r.commitsPerSecond,
      p50_us: r.p50Us,
      p99_us: r.p99Us,
      durable: durable(r.case),
      extra: { commits_per_s: r.commitsPerSecond, events_per_s: r.eventsPerSecond }
    }))
  }, null, 2))
}
console.log(JSON.stringify({ node: process.version, tmp: args.tmp, results }, null, 2))
for (const r of results) {
  console.log(`${r.case.padEnd(20)} ${String(r.commitsPerSecond).padStart(8)} commits/s ${String(r.eventsPerSecond).padStart(9)} events/s  p50 ${r.p50Us} µs  p99 ${r.p99Us} µs  — ${r.what}`)
}
