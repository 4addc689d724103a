import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"

/**
 * tsc's exit statuses for "reported errors" (1: no project of this run was
 * clean, 2: some were). Either way it wrote the JavaScript, since the build
 * does not set `noEmitOnError`.
 */
const TYPE_ERRORS = new Set([1, 2])

/**
 * Child-process tests run the built `lora-wal` executable, so build first
 * (incremental: a no-op when dist is current). Type errors do not stop the
 * tests, as Vitest does not type-check the sources it runs either: `tsc -b`
 * is a check of its own (CI runs it). A build that crashes or is killed does.
 */
export default function setup() {
  const root = fileURLToPath(new URL("../../../", import.meta.url))
  try {
    execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, "-b"], { cwd: root, stdio: "inherit" })
  } catch (error) {
    if (!TYPE_ERRORS.has((error as { status?: number }).status ?? 0)) throw error
    console.warn("globalSetup: tsc -b reported the type errors above; the tests run on the JavaScript it wrote")
  }
}
