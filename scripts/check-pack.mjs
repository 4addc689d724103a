// Checks that each published package contains what a user needs and nothing
// else: built JavaScript and declarations, README, LICENSE, package.json (and
// the CLI's bin, whose full tool is one bundled file with the licences of what
// it bundles); no sources, tests, build info or source maps. Also checks
// its manifest, as Effect's own packages do it: `effect` and `@effect/*` are
// peer dependencies (one copy of effect in the user's tree) with an explicit
// upper bound, every package the built code imports is declared, and
// `./internal/*` is not exported.
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"

const packages = {
  "@lora-wal/core": { dir: "packages/core", required: ["dist/index.js", "dist/index.d.ts", "dist/Wal.js", "dist/Replay.d.ts"] },
  "@lora-wal/platform-node": { dir: "packages/platform-node", required: ["dist/index.js", "dist/index.d.ts", "dist/bin.js", "bin/lora-wal.js", "dist/internal/main.bundle.js", "dist/internal/main.bundle.LICENSES.txt"] },
  "@lora-wal/testkit": { dir: "packages/testkit", required: ["dist/index.js", "dist/index.d.ts", "dist/CrashHarness.js", "dist/Contracts.js"] }
}
const forbidden = [/^src\//, /^test\//, /^build\//, /\.tsbuildinfo$/, /\.map$/, /^tsconfig/, /node_modules/]
const isEffect = (dep) => dep === "effect" || dep.startsWith("@effect/")

/**
 * Module specifiers of import/export statements (lines that start with one:
 * not a JSDoc example's ` * import`) and of dynamic `import("...")`.
 */
const STATIC_IMPORT = /^\s*(?:import|export)\s[^;]*?\bfrom\s*"([^"]+)"|^\s*import\s*"([^"]+)"/gm
const DYNAMIC_IMPORT = /\bimport\(\s*"([^"]+)"\s*\)/g

/** The package names that the shipped JavaScript imports (node: built-ins and relative paths aside). */
const importedPackages = (dir, files) => {
  const names = new Set()
  for (const file of files.filter((f) => f.endsWith(".js"))) {
    const text = fs.readFileSync(path.join(dir, file), "utf8")
    const matches = [...text.matchAll(STATIC_IMPORT), ...text.matchAll(DYNAMIC_IMPORT)]
    for (const specifier of matches.map((m) => m[1] ?? m[2])) {
      if (specifier.startsWith(".") || specifier.startsWith("node:")) continue
      const parts = specifier.split("/")
      names.add(specifier.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0])
    }
  }
  return names
}

/** What is wrong with a package's manifest, given the files it ships. */
const manifestProblems = (dir, files) => {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"))
  const regular = { ...manifest.dependencies, ...manifest.optionalDependencies }
  const peers = manifest.peerDependencies ?? {}
  const problems = []
  if (manifest.exports?.["./internal/*"] !== null) problems.push(`exports must map "./internal/*" to null`)
  for (const dep of Object.keys(regular).filter(isEffect)) problems.push(`${dep} must be a peer dependency, not a dependency`)
  // An explicit upper bound: the registry's `latest` is Effect 4, which these packages do not support.
  for (const [dep, range] of Object.entries(peers).filter(([dep]) => isEffect(dep))) {
    if (!/<\d/.test(range)) problems.push(`peer ${dep} "${range}" needs an explicit upper bound (e.g. ">=3.22.4 <4.0.0")`)
  }
  for (const dep of importedPackages(dir, files)) {
    if (!(dep in regular) && !(dep in peers)) problems.push(`imports ${dep} without declaring it`)
  }
  return problems
}

let failed = false
for (const [name, { dir, required }] of Object.entries(packages)) {
  const [report] = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json", "--workspace", name], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }))
  const files = report.files.map((f) => f.path)
  const missing = [...required, "package.json", "README.md", "LICENSE"].filter((f) => !files.includes(f))
  const extra = files.filter((f) => forbidden.some((re) => re.test(f)))
  const problems = manifestProblems(dir, files)
  const status = missing.length === 0 && extra.length === 0 && problems.length === 0 ? "ok" : "FAILED"
  console.log(`${name}: ${files.length} files, ${report.size} bytes packed: ${status}`)
  if (missing.length > 0) console.log(`  missing: ${missing.join(", ")}`)
  if (extra.length > 0) console.log(`  should not ship: ${extra.join(", ")}`)
  for (const problem of problems) console.log(`  package.json: ${problem}`)
  if (status !== "ok") failed = true
}
process.exit(failed ? 1 : 0)
