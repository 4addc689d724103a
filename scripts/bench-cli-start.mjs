// Start-up of the `lora-wal` executable next to a bare Node in the same run:
// wall time from spawn to exit, median of `--runs` runs each, interleaved.
// `--version` and `--help` are answered without loading Effect; `status` of
// an empty directory shows what a subcommand's start-up costs.
//   node scripts/bench-cli-start.mjs [--runs 15] [--out FILE]
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { parseArgs } from "node:util"

const { values: args } = parseArgs({ options: { runs: { type: "string", default: "15" }, out: { type: "string" } } })
const bin = path.resolve(import.meta.dirname, "../packages/platform-node/bin/lora-wal.js")
const empty = fs.mkdtempSync(path.join(os.tmpdir(), "lora-wal-cli-start-"))
const cases = [
  ["node.e0", "node -e 0", ["-e", "0"]],
  ["cli.version", "lora-wal --version", [bin, "--version"]],
  ["cli.help", "lora-wal --help", [bin, "--help"]],
  ["cli.status", "lora-wal status <empty dir>", [bin, "status", empty]]
]
const times = Object.fromEntries(cases.map(([id]) => [id, []]))
for (let run = 0; run < Number(args.runs); run++) {
  for (const [id, , argv] of cases) {
    const start = process.hrtime.bigint()
    execFileSync(process.execPath, argv, { stdio: "ignore" })
    times[id].push(Number(process.hrtime.bigint() - start) / 1e6)
  }
}
fs.rmSync(empty, { recursive: true, force: true })
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const node = median(times["node.e0"])
const results = cases.map(([id, title]) => ({
  id: `start.${id}`,
  title: `${title}: wall time from spawn to exit`,
  unit: "ms",
  median: Number(median(times[id]).toFixed(1)),
  extra: { ratio_to_node: Number((median(times[id]) / node).toFixed(2)) }
}))
for (const r of results) console.log(`${r.title.padEnd(58)} ${String(r.median).padStart(7)} ms  ${r.extra.ratio_to_node}× node -e 0`)
if (args.out) fs.writeFileSync(args.out, JSON.stringify({ schema: "wal-bench-results/v1", label: "lora-wal-effect", results }, null, 2))
