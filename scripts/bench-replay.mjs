// Replay benchmark: generates a ~200 MB LoraDB log (8 MiB segments, commitTx
// transactions of 10 mixed events), then replays it in fresh child processes:
// collected (lora-wal's replay_dir) and streaming (Replay.run), three times
// each. Prints MiB/s, events/s and peak RSS of the median run per form.
// With the collected form it also times building and keeping the same events
// without reading anything: the most any collected replay can reach in V8.
// `--semi-space N` repeats every form with V8's --max-semi-space-size=N (MiB).
// `--tx-events N` writes N events per transaction (one MutationBatch record of
// ~60 B an event) when generating; `--crc portable` replays with the core's
// TypeScript CRC instead of the Node layers' (zlib's from 256 B).
// `--modes cli` runs `lora-wal replay DIR --jsonl` (one line per transaction)
// with its output to /dev/null, `cli-pipe` the same read by this process through
// a pipe, and both report peak RSS the same way; `--modes stream-bounded` is the
// streaming replay under the heap settings the executable sets for itself
// (internal/heapFlags.ts), so the two compare within one memory bound too.
//   node scripts/bench-replay.mjs [--mb 200] [--dir DIR] [--keep] [--semi-space N] [--tx-events 10] [--crc node|portable]
import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { parseArgs } from "node:util"

const { values: args } = parseArgs({
  options: {
    mb: { type: "string", default: "200" },
    dir: { type: "string" },
    keep: { type: "boolean", default: false },
    child: { type: "string" },
    modes: { type: "string", default: "collect,stream" },
    out: { type: "string" },
    "semi-space": { type: "string" },
    events: { type: "string" },
    "tx-events": { type: "string", default: "10" },
    crc: { type: "string", default: "node" }
  }
})

const eventOf = (V) => (i) => {
  switch (i % 5) {
    case 0:
      return {
        _tag: "CreateNode",
        id: BigInt(i),
        labels: ["Person"],
        properties: V.properties({ name: V.string(`person-${i}`), age: V.int(i % 90), score: V.float(i / 7) })
      }
    case 1:
      return { _tag: "CreateRelationship", id: BigInt(i), src: BigInt(i - 1), dst: BigInt(i - 2), relType: "KNOWS", properties: V.properties({ since: V.int(2000 + (i % 25)) }) }
    case 2:
      return { _tag: "SetNodeProperty", nodeId: BigInt(i - 2), key: "email", value: V.string(`p${i}@example.com`) }
    case 3:
      return { _tag: "AddNodeLabel", nodeId: BigInt(i - 3), label: "Customer" }
    default:
      return { _tag: "RemoveNodeProperty", nodeId: BigInt(i - 4), key: "score" }
  }
}

if (args.child === "ceiling") {
  // The events a collected replay returns, built and kept with no reading or
  // decoding: what allocating and retaining them costs in V8 alone.
  const event = eventOf(await import("@lora-wal/core/PropertyValue"))
  const count = Number(args.events)
  const baselineRssBytes = process.memoryUsage().rss
  const start = performance.now()
  const kept = []
  for (let i = 0; i < count; i++) kept.push(event(i))
  const seconds = (performance.now() - start) / 1000
  console.log(JSON.stringify({ seconds, events: kept.length, baselineRssBytes, maxRssBytes: process.resourceUsage().maxRSS * 1024 }))
  process.exit(0)
}

/** What `lora-wal` sets before it loads the tool (STREAMING_HEAP_FLAGS in internal/heapFlags.ts). */
const EXECUTABLE_HEAP_FLAGS = ["--semi-space-growth-factor=1", "--heap-growing-percent=20"]

if (args.child) {
  if (args.child === "stream-bounded") {
    const v8 = await import("node:v8")
    for (const flag of EXECUTABLE_HEAP_FLAGS) v8.setFlagsFromString(flag)
  }
  // Child mode: replay args.dir one way and report. Only the modules replay
  // needs are loaded (the package barrels alone take ~110 MiB of RSS), and
  // the RSS after loading them is reported as the baseline.
  const [Replay, NodeFileSystem, NodePath, NodeCrc32, Effect, Layer] = await Promise.all([
    import("@lora-wal/core/Replay"),
    import("@effect/platform-node/NodeFileSystem"),
    import("@effect/platform-node/NodePath"),
    import("@lora-wal/platform-node/NodeCrc32"),
    import("effect/Effect"),
    import("effect/Layer")
  ])
  // `--crc node` (the default): what NodeWal.layer and the CLI use; `--crc portable`: the core's own.
  const crc = args.crc === "portable" ? Layer.empty : NodeCrc32.layer
  const baselineRssBytes = process.memoryUsage().rss
  const start = performance.now()
  let events = 0
  const program = args.child === "stream" || args.child === "stream-bounded"
    ? Replay.run(args.dir, { onTransaction: (tx) => Effect.sync(() => void (events += tx.events.length)) })
    : Effect.map(Replay.replayDir(args.dir), (o) => void (events = o.committedEvents.length))
  await Effect.runPromise(Effect.provide(program, Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, crc)))
  const seconds = (performance.now() - start) / 1000
  console.log(JSON.stringify({ seconds, events, baselineRssBytes, maxRssBytes: process.resourceUsage().maxRSS * 1024 }))
  process.exit(0)
}

const { Bytes, LoraCodec, Lsn, PropertyValue: V, WalRecord, Segment } = await import("@lora-wal/core")
const targetBytes = Number(args.mb) * 1024 * 1024
const dir = args.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "lora-wal-bench-replay-"))
fs.mkdirSync(dir, { recursive: true })
const SEGMENT_BYTES = 8 * 1024 * 1024

const event = eventOf(V)
const txEvents = Number(args["tx-events"])

let written = 0
let totalEvents = 0
if (fs.readdirSync(dir).some((n) => n.endsWith(".wal"))) {
  written = fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0)
} else {
  let lsn = 1n
  let segment = 1n
  const writer = new Bytes.Writer(SEGMENT_BYTES + 65536)
  const flush = () => {
    fs.writeFileSync(path.join(dir, Segment.fileName(segment)), writer.written)
    written += writer.length
  }
  writer.raw(Segment.encodeHeader({ baseLsn: Lsn.unsafeMake(lsn) }))
  let i = 0
  while (written + writer.length < targetBytes) {
    if (writer.length >= SEGMENT_BYTES) {
      flush()
      segment++
      writer.reset()
      writer.raw(Segment.encodeHeader({ baseLsn: Lsn.unsafeMake(lsn) }))
    }
    const begin = lsn
    const events = Array.from({ length: txEvents }, () => event(i++))
    for (const record of [
      { _tag: "TxBegin", lsn: Lsn.unsafeMake(lsn++) },
      { _tag: "MutationBatch", lsn: Lsn.unsafeMake(lsn++), txBeginLsn: Lsn.unsafeMake(begin), events },
      { _tag: "TxCommit", lsn: Lsn.unsafeMake(lsn++), txBeginLsn: Lsn.unsafeMake(begin) }
    ]) WalRecord.encode(LoraCodec.codec, writer, record)
    totalEvents += txEvents
  }
  flush()
}

const bin = path.resolve(import.meta.dirname, "../packages/platform-node/bin/lora-wal.js")
/** Reports the process's peak RSS on stderr as it exits. */
const rssReporter = "data:text/javascript,process.on('exit',()=>process.stderr.write(JSON.stringify({maxRssBytes:process.resourceUsage().maxRSS*1024})))"

/**
 * `lora-wal replay --jsonl` over the log: `cli` writes to /dev/null (the tool's own speed, as the
 * library's replay discards its events), `cli-pipe` through a pipe whose lines this process counts
 * (a reader on the same two cores: what piping the tool into another program costs).
 */
const runCli = (v8Flags, piped) =>
  new Promise((resolve, reject) => {
    const start = performance.now()
    const devNull = piped ? undefined : fs.openSync("/dev/null", "w")
    const child = spawn(process.execPath, [...v8Flags, "--import", rssReporter, bin, "replay", dir, "--jsonl"], { stdio: ["ignore", piped ? "pipe" : devNull, "pipe"] })
    if (devNull !== undefined) fs.closeSync(devNull)
    let lines = 0
    let stderr = ""
    child.stdout?.on("data", (chunk) => {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++
    })
    child.stderr.setEncoding("utf8").on("data", (text) => (stderr += text))
    child.on("error", reject)
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`lora-wal replay --jsonl exited ${code}: ${stderr}`))
      const { maxRssBytes } = JSON.parse(stderr.slice(stderr.lastIndexOf("{")))
      resolve({ seconds: (performance.now() - start) / 1000, events: piped ? lines * txEvents : undefined, maxRssBytes })
    })
  })

const run = (mode, v8Flags, extra = []) =>
  mode === "cli" || mode === "cli-pipe"
    ? runCli(v8Flags, mode === "cli-pipe")
    : JSON.parse(execFileSync(process.execPath, [...v8Flags, import.meta.filename, "--child", mode, "--dir", dir, "--crc", args.crc, ...extra], { encoding: "utf8" }))

const mb = written / (1024 * 1024)
const results = {}
const settings = [["", []], ...(args["semi-space"] ? [[`.semi${args["semi-space"]}`, [`--max-semi-space-size=${args["semi-space"]}`]]] : [])]
const forms = args.modes.split(",").flatMap((mode) => mode === "collect" ? ["collect", "ceiling"] : [mode])
for (const [suffix, v8Flags] of settings) {
  // The executable sets its own heap (stream-bounded is the library under those settings): no semi-space variant of them.
  for (const mode of suffix === "" ? forms : forms.filter((f) => !f.startsWith("cli") && f !== "stream-bounded")) {
    const extra = mode === "ceiling" ? ["--events", String(results[`collect${suffix}`].events)] : []
    // Three fresh processes per form; the median one is reported.
    const r = [await run(mode, v8Flags, extra), await run(mode, v8Flags, extra), await run(mode, v8Flags, extra)].sort((a, b) => a.seconds - b.seconds)[1]
    // The tool's lines are not counted when it writes to /dev/null: the log's events, as another form counted them.
    const events = r.events ?? Object.values(results).find((other) => other.form !== "ceiling")?.events ?? null
    results[`${mode}${suffix}`] = {
      form: mode,
      flags: v8Flags.join(" "),
      seconds: Number(r.seconds.toFixed(3)),
      events,
      mbPerSecond: Number((mb / r.seconds).toFixed(1)),
      eventsPerSecond: events === null ? null : Math.round(events / r.seconds),
      peakRssMiB: Number((r.maxRssBytes / (1024 * 1024)).toFixed(1)),
      baselineRssMiB: r.baselineRssBytes === undefined ? null : Number((r.baselineRssBytes / (1024 * 1024)).toFixed(1))
    }
  }
}
const describe = (r) => {
  const size = `${Math.round(mb)} MiB`
  const what = r.form === "ceiling"
    ? `building and keeping the ${r.events} events of the ${size} log as objects, nothing read (the collected form's ceiling)`
    : r.form === "cli"
    ? `lora-wal replay --jsonl of a ${size} log to /dev/null (start-up included)`
    : r.form === "cli-pipe"
    ? `lora-wal replay --jsonl of a ${size} log, its lines read through a pipe by another process (start-up included)`
    : r.form === "stream-bounded"
    ? `streaming replay of a ${size} log under the executable's heap settings (${EXECUTABLE_HEAP_FLAGS.join(" ")})`
    : `${r.form === "stream" ? "streaming" : "collected"} replay of a ${size} log`
  return r.flags === "" ? what : `${what}, node ${r.flags}`
}
if (args.out) {
  fs.writeFileSync(args.out, JSON.stringify({
    schema: "wal-bench-results/v1",
    label: "lora-wal-effect",
    results: Object.entries(results).flatMap(([key, r]) => {
      const [form, ...flags] = key.split(".")
      const id = ["replay", form, `${Math.round(mb)}MiB`, ...flags].join(".")
      const speed = { id, title: `${describe(r)}: MiB/s`, unit: "MiB/s", median: r.mbPerSecond, extra: { events_per_s: r.eventsPerSecond, peak_rss_mib: r.peakRssMiB, rss_after_imports_mib: r.baselineRssMiB } }
      if (r.form === "ceiling") return [speed]
      return [speed, { id: `${id}.rss`, title: `${describe(r)}: peak RSS of the process${r.baselineRssMiB === null ? "" : ` (${r.baselineRssMiB} MiB after loading the modules)`}`, unit: "MiB", median: r.peakRssMiB, extra: { rss_after_imports_mib: r.baselineRssMiB } }]
    })
  }, null, 2))
}
console.log(JSON.stringify({ logMiB: Number(mb.toFixed(1)), dir, node: process.version, results }, null, 2))
for (const [mode, r] of Object.entries(results)) {
  console.log(`${mode.padEnd(14)} ${r.mbPerSecond} MiB/s  ${r.eventsPerSecond} events/s  peak RSS ${r.peakRssMiB} MiB${r.baselineRssMiB === null ? "" : ` (${r.baselineRssMiB} MiB after imports)`}  (${r.events} events, ${mb.toFixed(0)} MiB, ${r.seconds}s)`)
}
if (!args.keep && !args.dir) fs.rmSync(dir, { recursive: true, force: true })
