// Checks that each published package contains what a user needs and nothing
// else: built JavaScript and declarations, README, LICENSE, package.json (and
// the CLI's bin); no sources, tests, build info or source maps.
import { execFileSync } from "node:child_process"

const packages = {
  "@lora-wal/core": ["dist/index.js", "dist/index.d.ts", "dist/Wal.js", "dist/Replay.d.ts"],
  "@lora-wal/platform-node": ["dist/index.js", "dist/index.d.ts", "dist/bin.js", "bin/lora-wal.js"],
  "@lora-wal/testkit": ["dist/index.js", "dist/index.d.ts", "dist/CrashHarness.js"]
}
const forbidden = [/^src\//, /^test\//, /^build\//, /\.tsbuildinfo$/, /\.map$/, /^tsconfig/, /node_modules/]
let failed = false
for (const [name, required] of Object.entries(packages)) {
  const [report] = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json", "--workspace", name], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }))
  const files = report.files.map((f) => f.path)
  const missing = [...required, "package.json", "README.md", "LICENSE"].filter((f) => !files.includes(f))
  const extra = files.filter((f) => forbidden.some((re) => re.test(f)))
  const status = missing.length === 0 && extra.length === 0 ? "ok" : "FAILED"
  console.log(`${name}: ${files.length} files, ${report.size} bytes packed: ${status}`)
  if (missing.length > 0) console.log(`  missing: ${missing.join(", ")}`)
  if (extra.length > 0) console.log(`  should not ship: ${extra.join(", ")}`)
  if (status !== "ok") failed = true
}
process.exit(failed ? 1 : 0)
