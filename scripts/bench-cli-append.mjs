// `lora-wal append` throughput next to raw loops of the same bytes, in one run:
// lines acknowledged per second from the first `committed` line to the last
// (start-up excluded; the acknowledgements that arrive with the first one
// are not counted, since the window starts after them), under --sync per-commit against a raw write+fdatasync
// loop, and under --sync none against a raw writeSync loop. Each line is the
// JSON form of bench:commit's 1-event transaction; the raw loops write the
// bytes the log writes for it.
// --sync none runs 100,000 lines: a sustained rate, where 20,000 (a ~0.4 s window) measured
// mostly warm-up and the timing of collections (0.09-0.13x in six runs, against 0.12-0.17x).
//   node scripts/bench-cli-append.mjs [--lines 4000] [--none-lines 100000] [--out FILE]
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { parseArgs } from "node:util"
import { Bytes, LoraJson } from "@lora-wal/core"
import { Schema } from "effect"
import { benchEvent, encodeTransaction } from "./bench-events.mjs"

const { values: args } = parseArgs({
  options: { lines: { type: "string", default: "4000" }, "none-lines": { type: "string", default: "100000" }, out: { type: "string" }, tmp: { type: "string" } }
})
const bin = path.resolve(import.meta.dirname, "../packages/platform-node/bin/lora-wal.js")
const tmp = args.tmp ?? os.tmpdir()
const toJson = Schema.encodeSync(LoraJson.MutationEventFromJson)
const line = (i) => JSON.stringify([toJson(benchEvent(i))])
const transactionBytes = (() => {
  const writer = new Bytes.Writer(4096)
  encodeTransaction(writer, 1n, [benchEvent(0)])
  return writer.written.slice()
})()

/** Lines acknowledged per second by `lora-wal append`, first acknowledgement to last. */
const cliRate = (sync, count) =>
  new Promise((resolve, reject) => {
    const dir = fs.mkdtempSync(path.join(tmp, "lora-wal-cli-append-"))
    const child = spawn(process.execPath, [bin, "append", dir, "--sync", sync], { stdio: ["pipe", "pipe", "inherit"] })
    let first
    let last
    let acknowledged = 0
    let inFirstArrival = 0
    child.stdout.setEncoding("utf8")
    let partial = ""
    child.stdout.on("data", (text) => {
      const now = process.hrtime.bigint()
      const lines = (partial + text).split("\n")
      partial = lines.pop()
      const acks = lines.filter((l) => l.startsWith("committed ")).length
      if (acks === 0) return
      if (first === undefined) {
        first = now
        inFirstArrival = acks
      }
      last = now
      acknowledged += acks
    })
    child.on("error", reject)
    child.on("exit", (code) => {
      fs.rmSync(dir, { recursive: true, force: true })
      if (code !== 0 || acknowledged !== count) return reject(new Error(`append exited ${code} after ${acknowledged} of ${count} lines`))
      resolve((count - inFirstArrival) / (Number(last - first) / 1e9))
    })
    child.stdin.end(Array.from({ length: count }, (_, i) => line(i)).join("\n") + "\n")
  })

/** Appends of the transaction's bytes per second, each followed by fdatasync when `sync`. */
const rawRate = (sync, count) => {
  const dir = fs.mkdtempSync(path.join(tmp, "lora-wal-raw-append-"))
  const fd = fs.openSync(path.join(dir, "raw"), "a")
  const start = process.hrtime.bigint()
  for (let i = 0; i < count; i++) {
    fs.writeSync(fd, transactionBytes)
    if (sync) fs.fdatasyncSync(fd)
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  fs.closeSync(fd)
  fs.rmSync(dir, { recursive: true, force: true })
  return count / seconds
}

const lines = Number(args.lines)
const noneLines = Number(args["none-lines"])
const rows = []
for (const [sync, count, rawSync] of [["per-commit", lines, true], ["none", noneLines, false]]) {
  // The raw loop before and after the tool, averaged: the disk drifts over a run.
  const rawBefore = rawRate(rawSync, count)
  const cli = await cliRate(sync, count)
  const raw = (rawBefore + rawRate(rawSync, count)) / 2
  rows.push({ sync, cli, raw })
  console.log(`append --sync ${sync.padEnd(10)} ${Math.round(cli).toString().padStart(7)} lines/s   raw ${rawSync ? "write+fdatasync" : "writeSync"} ${Math.round(raw).toString().padStart(8)}/s   ratio ${(cli / raw).toFixed(2)}`)
}
if (args.out) {
  fs.writeFileSync(args.out, JSON.stringify({
    schema: "wal-bench-results/v1",
    label: "lora-wal-effect",
    results: rows.flatMap(({ cli, raw, sync }) => [
      { id: `cli.append.${sync}`, title: `lora-wal append --sync ${sync}: lines acknowledged per second, first to last`, unit: "lines/s", median: Math.round(cli), extra: { ratio_to_raw: Number((cli / raw).toFixed(3)) } },
      { id: `cli.append.${sync}.raw`, title: `raw ${sync === "none" ? "writeSync" : "write+fdatasync"} of the same ${transactionBytes.length} bytes per line, same run`, unit: "ops/s", median: Math.round(raw) }
    ])
  }, null, 2))
}
