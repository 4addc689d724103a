import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"

/**
 * Child-process tests run the built `lora-wal` executable, so build first
 * (incremental: a no-op when dist is current).
 */
export default function setup() {
  const root = fileURLToPath(new URL("../../../", import.meta.url))
  execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, "-b"], { cwd: root, stdio: "inherit" })
}
