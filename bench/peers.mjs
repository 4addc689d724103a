// Runs the peer cases (cases.mjs) and writes <out>/peers.json and <out>/peers.md.
//   node bench/peers.mjs --out DIR [--runs 3] [--scale 1] [--settle-ms 500] [--tmp DIR] [--only RE] [--skip RE]
// Every case runs in a fresh child process, in a fresh directory under --tmp
// (point it at the disk the log is benchmarked on), after a system-wide sync
// and a pause so the previous case's write-back does not land on it. Rounds
// interleave (every case, then every case again) and the median is reported.
import { execFileSync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { parseArgs } from "node:util"
import { cases } from "./cases.mjs"

const { values: args } = parseArgs({
  options: {
    out: { type: "string" },
    runs: { type: "string", default: "3" },
    scale: { type: "string", default: "1" },
    "settle-ms": { type: "string", default: "500" },
    tmp: { type: "string", default: os.tmpdir() },
    only: { type: "string" },
    skip: { type: "string" },
    label: { type: "string", default: "peers" }
  }
})
if (args.out === undefined) throw new Error("usage: node bench/peers.mjs --out DIR [options]")
const here = import.meta.dirname
const runs = Number(args.runs)
const settleMs = Number(args["settle-ms"])
const selected = cases.filter((c) =>
  (args.only === undefined || new RegExp(args.only).test(c.id)) && (args.skip === undefined || !new RegExp(args.skip).test(c.id))
)
const started = Date.now()
const loadStart = os.loadavg()
const workRoot = fs.mkdtempSync(path.join(args.tmp, "lora-wal-peers-"))

/** Busy and total jiffies of all CPUs, from /proc/stat (undefined off Linux). */
const cpuTimes = () => {
  try {
    const [, ...fields] = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).map(Number)
    const idle = fields[3] + fields[4]
    const total = fields.reduce((a, b) => a + b, 0)
    return { busy: total - idle, total }
  } catch {
    return undefined
  }
}
/** USER_HZ, the unit of /proc/stat: 100 on every Linux this runs on. */
const ticksPerSecond = 100

const settle = () => {
  spawnSync("sync")
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, settleMs)
}

/** One run of one case: its result line, with the CPU other processes used meanwhile (in cores). */
const runCase = (c, run) => {
  const dir = path.join(workRoot, `${c.id}-${run}`)
  fs.mkdirSync(dir)
  settle()
  const before = cpuTimes()
  const t0 = process.hrtime.bigint()
  const child = spawnSync(process.execPath, [path.join(here, "cases.mjs"), c.id, dir, args.scale], {
    encoding: "utf8",
    timeout: 10 * 60_000
  })
  const wall = Number(process.hrtime.bigint() - t0) / 1e9
  const after = cpuTimes()
  fs.rmSync(dir, { recursive: true, force: true })
  const line = child.stdout.trim().split("\n").at(-1)
  let result
  try {
    result = JSON.parse(line)
  } catch {
    return { error: `no result (exit ${child.status ?? child.signal}): ${(child.stderr || child.error?.message || "").trim().split("\n")[0]}`, wall }
  }
  if (result.error !== undefined) return { error: result.error, wall }
  const otherLoad = before && after
    ? Math.max(0, (after.busy - before.busy) / ticksPerSecond - result.cpu_us / 1e6) / wall
    : undefined
  return { ...result, wall, otherLoad }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

const outcomes = new Map(selected.map((c) => [c.id, []]))
for (let run = 0; run < runs; run++) {
  for (const c of selected) {
    process.stderr.write(`run ${run + 1}/${runs} ${c.id} … `)
    const outcome = runCase(c, run)
    outcomes.get(c.id).push(outcome)
    process.stderr.write(
      outcome.error ? `failed: ${outcome.error}\n` : outcome.skipped ? `skipped: ${outcome.skipped}\n` : `${outcome.value.toFixed(1)} ${c.unit}\n`
    )
  }
}
fs.rmSync(workRoot, { recursive: true, force: true })

const summarize = (c) => {
  const all = outcomes.get(c.id)
  const base = { id: c.id, ref: c.ref, group: c.group, title: c.title, unit: c.unit, ...(c.durable === undefined ? {} : { durable: c.durable }) }
  const failed = all.find((o) => o.error)
  if (failed) return { ...base, error: failed.error }
  if (all.some((o) => o.skipped)) return { ...base, skipped: all.find((o) => o.skipped).skipped }
  const values = all.map((o) => o.value)
  const pick = (field) => (all[0][field] === undefined ? {} : { [field]: median(all.map((o) => o[field])), [`${field}_runs`]: all.map((o) => o[field]) })
  const extras = Object.keys(all[0].extra ?? {})
  const warnings = [
    ...(Math.max(...values) / Math.min(...values) > 1.5 ? [`⚠ spread ${(Math.max(...values) / Math.min(...values)).toFixed(1)}×`] : []),
    ...(all.some((o) => o.otherLoad > 0.4) ? ["⚠ other load > 0.4 cores"] : [])
  ]
  return {
    ...base,
    median: median(values),
    runs: values,
    min: Math.min(...values),
    max: Math.max(...values),
    ...pick("p50_us"),
    ...pick("p99_us"),
    other_load_cores_runs: all.map((o) => o.otherLoad === undefined ? null : Number(o.otherLoad.toFixed(3))),
    ...(extras.length === 0 ? {} : {
      extra: Object.fromEntries(extras.map((k) => [k, typeof all[0].extra[k] === "number" ? median(all.map((o) => o.extra[k])) : all[0].extra[k]]))
    }),
    ...(warnings.length === 0 ? {} : { warnings })
  }
}

const fsOf = (dir) => {
  try {
    const [source, , fstype, options] = execFileSync("findmnt", ["-n", "-o", "SOURCE,TARGET,FSTYPE,OPTIONS", "-T", dir], { encoding: "utf8" }).trim().split(/\s+/)
    return { source, fstype, options }
  } catch {
    return undefined
  }
}
const versionOf = (name) => {
  try {
    return JSON.parse(fs.readFileSync(path.join(here, "node_modules", name, "package.json"), "utf8")).version
  } catch {
    return null
  }
}

const results = selected.map(summarize)
const report = {
  schema: "wal-bench-results/v1",
  label: args.label,
  created: new Date().toISOString(),
  duration_s: (Date.now() - started) / 1000,
  host: {
    node: process.version,
    cpu: os.cpus()[0]?.model,
    cpus: os.cpus().length,
    kernel: os.release(),
    tmp_dir: args.tmp,
    fs: fsOf(args.tmp),
    loadavg_start: loadStart,
    loadavg_end: os.loadavg()
  },
  packages: Object.fromEntries(["better-sqlite3", "classic-level", "lmdb", "crc-32", "@node-rs/crc32"].map((n) => [n, versionOf(n)])),
  config: { runs, scale: Number(args.scale), settle_ms: settleMs, cases: selected.map((c) => c.id) },
  case_wall_s: Object.fromEntries(selected.map((c) => [c.id, outcomes.get(c.id).reduce((s, o) => s + o.wall, 0)])),
  results
}

const fmt = (n) => (n === undefined || n === null ? "–" : Number(n).toLocaleString("en-US", { maximumFractionDigits: 1 }))
const markdown = [
  `# Peers (${report.created}, node ${process.version}, ${runs} run(s), scale ${args.scale}, load ${loadStart.map((l) => l.toFixed(2)).join(" ")} → ${report.host.loadavg_end.map((l) => l.toFixed(2)).join(" ")})`,
  "",
  "| ref | id | what | median | unit | min–max | p50 µs | p99 µs | durable | notes |",
  "|---|---|---|---|---|---|---|---|---|---|",
  ...results.map((r) =>
    `| ${r.ref} | \`${r.id}\` | ${r.title} | ${r.error ? "failed" : r.skipped ? "skipped" : `**${fmt(r.median)}**`} | ${r.unit} | ${r.min === undefined ? "–" : `${fmt(r.min)}–${fmt(r.max)}`} | ${fmt(r.p50_us)} | ${fmt(r.p99_us)} | ${r.durable === undefined ? "" : r.durable ? "yes" : "no"} | ${[r.error, r.skipped, ...(r.warnings ?? []), ...Object.entries(r.extra ?? {}).map(([k, v]) => `${k} ${typeof v === "number" ? fmt(v) : v}`)].filter(Boolean).join("; ")} |`
  )
].join("\n")
fs.mkdirSync(args.out, { recursive: true })
fs.writeFileSync(path.join(args.out, `${args.label}.json`), `${JSON.stringify(report, null, 2)}\n`)
fs.writeFileSync(path.join(args.out, `${args.label}.md`), `${markdown}\n`)
console.log(markdown)
process.exitCode = results.some((r) => r.error) ? 1 : 0
