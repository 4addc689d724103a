/**
 * Entry point of the `lora-wal` executable. `--version` and the top-level
 * help (`--help`, `-h`, no arguments) are answered here, without loading
 * Effect, so they start as fast as Node itself; every other command line
 * loads the full tool: `main.ts` bundled into one file by
 * `scripts/bundle-cli.mjs` at build time, which starts ~3x faster than its
 * modules loaded one by one. The help text is @effect/cli's own, generated
 * into `internal/topLevelHelp.ts` by `npm run gen:cli-help`; a test fails
 * when it no longer matches what the full tool prints.
 *
 * @since 0.1.0
 */
import { setStreamingHeapFlags } from "./internal/heapFlags.js"
import { topLevelHelp } from "./internal/topLevelHelp.js"
import { version } from "./internal/version.js"

const args = process.argv.slice(2)
if (args.length === 1 && args[0] === "--version") {
  process.stdout.write(`${version}\n`)
} else if (args.length === 0 || (args.length === 1 && (args[0] === "--help" || args[0] === "-h"))) {
  process.stdout.write(topLevelHelp)
} else {
  setStreamingHeapFlags()
  // Built after tsc (not a TypeScript module), hence the specifier in a variable. Without it
  // (tsc run alone, or an install that skipped the build), the same tool loads module by module.
  const fullTool = "./internal/main.bundle.js"
  await import(fullTool).catch((e: NodeJS.ErrnoException) =>
    e.code === "ERR_MODULE_NOT_FOUND" && e.message.includes("main.bundle.js") ? import("./main.js") : Promise.reject(e)
  )
}
