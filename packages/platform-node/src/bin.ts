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
import * as v8 from "node:v8"
import { topLevelHelp } from "./internal/topLevelHelp.js"
import { version } from "./internal/version.js"

/**
 * V8's heap as a tool that streams logs of gigabytes wants it, set before
 * the full tool is loaded. By default the young generation grows to 2 x 16
 * MiB while the tool loads and never gives it back, and the old one grows
 * by up to 4x between full collections: 126 MiB of peak RSS over a 256 MiB
 * `replay --jsonl`. Young space that stays at its first size and an old one
 * grown by 20% keep it at 80 MiB (the tool's floor is 66), for ~10% of the
 * time (BENCHMARKS.md, "The command-line tool"). These two flags are read
 * whenever V8 resizes the heap, so setting them at run time takes effect;
 * the sizes themselves (`--max-semi-space-size`) are fixed at start-up.
 * V8 raises a growth factor below 2 to 2 when it is given at start-up, so
 * a factor of 1 is only reached this way: growth then leaves the young
 * generation as it is, which is what is wanted. Flags other than these two
 * are not safe to set late (`--single-threaded-gc` crashed V8 in a trial).
 */
const STREAMING_HEAP_FLAGS = ["--semi-space-growth-factor=1", "--heap-growing-percent=20"]

const args = process.argv.slice(2)
if (args.length === 1 && args[0] === "--version") {
  process.stdout.write(`${version}\n`)
} else if (args.length === 0 || (args.length === 1 && (args[0] === "--help" || args[0] === "-h"))) {
  process.stdout.write(topLevelHelp)
} else {
  for (const flag of STREAMING_HEAP_FLAGS) v8.setFlagsFromString(flag)
  // Built after tsc (not a TypeScript module), hence the specifier in a variable. Without it
  // (tsc run alone, or an install that skipped the build), the same tool loads module by module.
  const fullTool = "./internal/main.bundle.js"
  await import(fullTool).catch((e: NodeJS.ErrnoException) =>
    e.code === "ERR_MODULE_NOT_FOUND" && e.message.includes("main.bundle.js") ? import("./main.js") : Promise.reject(e)
  )
}
