import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"

/**
 * Child-process tests run the built `lora-wal` executable, so build first:
 * `tsc -b` (incremental: a no-op when dist is current), then the
 * executable's bundle (under a second).
 */
export default function setup() {
  const root = fileURLToPath(new URL("../../../", import.meta.url))
  execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, "-b"], { cwd: root, stdio: "inherit" })
  execFileSync(process.execPath, [`${root}scripts/bundle-cli.mjs`], { cwd: root, stdio: "inherit" })
}
