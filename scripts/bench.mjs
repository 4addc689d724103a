// `npm run bench`: this project's benchmarks and ../shared/bench-peers in one
// run, on the same disk. Writes bench-results/latest.json (both), a markdown
// table (bench-results/latest.md) and a chart (bench-results/latest.svg).
//   node scripts/bench.mjs [--quick]
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { parseArgs } from "node:util"

const { values: args } = parseArgs({ options: { quick: { type: "boolean", default: false } } })
const root = path.resolve(import.meta.dirname, "..")
const out = path.join(root, "bench-results")
const tmp = os.tmpdir()
fs.mkdirSync(out, { recursive: true })
const run = (cmd, argv, options = {}) => execFileSync(cmd, argv, { stdio: ["ignore", "inherit", "inherit"], ...options })
const log = (text) => process.stderr.write(`\n== ${text}\n`)

// The peers are copied (shared/ is read-only) and installed once.
const peersSource = path.resolve(root, "..", "shared", "bench-peers")
const peers = path.join(out, ".peers")
if (!fs.existsSync(path.join(peers, "node_modules"))) {
  log("installing bench-peers (builds better-sqlite3 from source: ~2 minutes)")
  fs.cpSync(peersSource, peers, { recursive: true, filter: (src) => !src.includes("node_modules") && !src.includes(`${path.sep}results`) })
  run("npm", ["ci", "--no-audit", "--no-fund"], { cwd: peers })
}
log("peers")
const peerArgs = args.quick ? ["--runs", "1", "--scale", "0.1", "--settle-ms", "100"] : []
run(process.execPath, ["bench.mjs", out, "--tmp", tmp, ...peerArgs], { cwd: peers })

log("lora-wal: commits")
run(process.execPath, [path.join(root, "scripts/bench-commit.mjs"), "--tmp", tmp, "--scale", args.quick ? "0.2" : "1", "--out", path.join(out, "wal-commit.json")])
log("lora-wal: replay of a ~200 MB log")
run(process.execPath, [path.join(root, "scripts/bench-replay.mjs"), "--mb", args.quick ? "50" : "200", "--out", path.join(out, "wal-replay.json")])
log("lora-wal: streaming replay of a ~1 GB log (peak RSS)")
run(process.execPath, [path.join(root, "scripts/bench-replay.mjs"), "--mb", args.quick ? "100" : "1024", "--modes", "stream", "--out", path.join(out, "wal-replay-1g.json")])

const peersJson = JSON.parse(fs.readFileSync(path.join(out, "peers.json"), "utf8"))
const ours = ["wal-commit.json", "wal-replay.json", "wal-replay-1g.json"].flatMap((f) =>
  JSON.parse(fs.readFileSync(path.join(out, f), "utf8")).results
)
const latest = { created: new Date().toISOString(), host: peersJson.host, peers: peersJson.results, wal: ours }
fs.writeFileSync(path.join(out, "latest.json"), JSON.stringify(latest, null, 2))

const fmt = (n) => (n === null || n === undefined ? "–" : Number(n).toLocaleString("en-US", { maximumFractionDigits: 1 }))
const rows = [
  ...ours.map((r) => ({ source: "lora-wal", ...r })),
  ...peersJson.results.filter((r) => r.median !== undefined).map((r) => ({ source: "peer", ...r }))
]
const md = [
  `# Benchmarks (${latest.created}, node ${peersJson.host?.node ?? process.version}, tmp ${tmp})`,
  "",
  "| source | id | what | value | unit | p50 µs | p99 µs | durable |",
  "|---|---|---|---|---|---|---|---|",
  ...rows.map((r) => `| ${r.source} | \`${r.id}\` | ${r.title} | **${fmt(r.median)}** | ${r.unit} | ${fmt(r.p50_us)} | ${fmt(r.p99_us)} | ${r.durable === undefined ? "" : r.durable ? "yes" : "no"} |`)
].join("\n")
fs.writeFileSync(path.join(out, "latest.md"), md + "\n")

// A bar chart of the durable single-commit rates: ours against the peers.
const bars = [
  ...ours.filter((r) => r.id.startsWith("raw") || r.id.startsWith("wal.percommit")),
  ...peersJson.results.filter((r) => ["fs.append.fsync", "sqlite.full.1row", "level.put.sync", "lmdb.put.durable"].includes(r.id))
].map((r) => ({ label: r.id, value: r.median }))
const max = Math.max(...bars.map((b) => b.value))
const svg = [
  `<svg xmlns="http://www.w3.org/2000/svg" width="720" height="${40 + bars.length * 28}" font-family="sans-serif" font-size="12">`,
  `<text x="10" y="20" font-size="14">Durable commits per second (higher is better)</text>`,
  ...bars.map((b, i) => {
    const y = 36 + i * 28
    const w = Math.max(1, (b.value / max) * 420)
    return `<text x="10" y="${y + 14}">${b.label}</text><rect x="200" y="${y}" width="${w.toFixed(1)}" height="18" fill="${b.label.startsWith("wal") ? "#3b6ea5" : "#999"}"/><text x="${(205 + w).toFixed(1)}" y="${y + 14}">${fmt(b.value)}</text>`
  }),
  "</svg>"
].join("\n")
fs.writeFileSync(path.join(out, "latest.svg"), svg + "\n")
console.log(md)
