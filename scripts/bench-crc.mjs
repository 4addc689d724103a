// CRC32 throughput: node:zlib's crc32 (native) against the core's plain
// TypeScript one, over record-sized inputs. Both run in this one process, in
// interleaved rounds (the order swapped every round), each round timed by the
// process's CPU time (steadier than wall time on a shared machine); the
// median round of each is printed in MB/s, with their ratio. The inputs are
// subarrays at an odd offset, as records inside a segment buffer are.
//   node scripts/bench-crc.mjs [--rounds 9] [--round-mb 16]
import { parseArgs } from "node:util"
import { crc32 as zlibCrc32 } from "node:zlib"
import { crc32 } from "../packages/core/dist/internal/crc.js"

const { values: args } = parseArgs({
  options: { rounds: { type: "string", default: "9" }, "round-mb": { type: "string", default: "16" } }
})
const rounds = Number(args.rounds)
const roundBytes = Number(args["round-mb"]) * 1e6
const sizes = [["40 B", 40], ["120 B", 120], ["256 B", 256], ["512 B", 512], ["1 KiB", 1024], ["64 KiB", 65536], ["1 MiB", 1 << 20]]

const cpuSeconds = () => {
  const { system, user } = process.cpuUsage()
  return (user + system) / 1e6
}

/** MB/s of one round: `calls` checksums of `input`, through a loop of its own so that each call site sees one function. */
const timers = {
  zlib: (input, calls) => {
    let sink = 0
    const start = cpuSeconds()
    for (let i = 0; i < calls; i++) sink ^= zlibCrc32(input)
    return { mbPerSecond: (calls * input.length) / 1e6 / (cpuSeconds() - start), sink }
  },
  typescript: (input, calls) => {
    let sink = 0
    const start = cpuSeconds()
    for (let i = 0; i < calls; i++) sink ^= crc32(input)
    return { mbPerSecond: (calls * input.length) / 1e6 / (cpuSeconds() - start), sink }
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1]

const inputOf = (size) => {
  const backing = new Uint8Array(size + 3)
  for (let i = 0; i < backing.length; i++) backing[i] = Math.imul(i + 1, 2654435761) >>> 24
  return backing.subarray(3)
}

console.log(`node ${process.version}, ${rounds} interleaved rounds of ~${args["round-mb"]} MB each, CPU time, medians`)
console.log(`${"input".padEnd(8)}${"zlib MB/s".padStart(12)}${"TS MB/s".padStart(12)}${"TS / zlib".padStart(12)}`)
let failed = false
for (const [label, size] of sizes) {
  const input = inputOf(size)
  if (crc32(input) !== zlibCrc32(input)) {
    console.log(`${label}: the two disagree (${crc32(input)} vs ${zlibCrc32(input)})`)
    failed = true
    continue
  }
  const calls = Math.max(1, Math.round(roundBytes / size))
  const speeds = { zlib: [], typescript: [] }
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ["zlib", "typescript"] : ["typescript", "zlib"]
    for (const name of order) {
      const { mbPerSecond, sink } = timers[name](input, calls)
      if (sink === 0.5) console.log("unreachable: keeps the loop's result alive")
      speeds[name].push(mbPerSecond)
    }
  }
  const zlib = median(speeds.zlib)
  const typescript = median(speeds.typescript)
  console.log(`${label.padEnd(8)}${zlib.toFixed(0).padStart(12)}${typescript.toFixed(0).padStart(12)}${`${(typescript / zlib).toFixed(2)}x`.padStart(12)}`)
}
process.exit(failed ? 1 : 0)
