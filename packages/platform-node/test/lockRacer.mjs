// A process racing for the pid-file lock (the fallback): `node lockRacer.mjs DIR ROUNDS`.
// While it holds the lock it takes a kernel flock on DIR/probe as an independent
// oracle: if another live process holds the probe, two live processes hold the
// lock at once, and it prints VIOLATION and exits 3. It prints "held" each time.
import { Effect } from "effect"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import { makePidFile } from "../dist/NodeDirLock.js"

const fsExt = createRequire(import.meta.url)("fs-ext")
const [dir, rounds] = process.argv.slice(2)
const probe = fs.openSync(path.join(dir, "probe"), fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600)
const hold = () => {
  try {
    fsExt.flockSync(probe, "exnb")
  } catch {
    process.stdout.write("VIOLATION\n")
    process.exit(3)
  }
  process.stdout.write("held\n")
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1 + Math.random() * 3)
  fsExt.flockSync(probe, "un")
}
let busy = 0
for (let i = 0; i < Number(rounds); i++) {
  const outcome = await Effect.runPromise(Effect.either(Effect.scoped(Effect.zipRight(makePidFile.acquire(dir), Effect.sync(hold)))))
  if (outcome._tag === "Left") {
    if (outcome.left._tag !== "AlreadyOpen") throw outcome.left
    busy++
  }
}
process.stdout.write(`done busy=${busy}\n`)
