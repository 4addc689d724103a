// NodeDirLock on a machine where fs-ext cannot load (its require throws here):
// `node withoutFsExt.mjs DIR` prints one JSON line with whether the kernel
// lock counts as available and what each lock kind does on DIR.
import { Effect } from "effect"
import * as fs from "node:fs"
import Module from "node:module"
import * as path from "node:path"

const load = Module._load
Module._load = function(request, ...rest) {
  if (request === "fs-ext") throw new Error("fs-ext is hidden by this test")
  return load.call(this, request, ...rest)
}
const { DirLock } = await import("@lora-wal/core/DirLock")
const NodeDirLock = await import("../dist/NodeDirLock.js")
const dir = process.argv[2]

const outcome = (kind) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const lock = yield* Effect.provide(DirLock, NodeDirLock.layerWith({ kind }))
    yield* lock.acquire(dir)
    return fs.readdirSync(path.join(dir, ".lora-wal.owner")).length === 1 ? "pid file" : "no claim"
  })).pipe(Effect.catchAll((error) => Effect.succeed(`failed: ${error._tag}`))))

console.log(JSON.stringify({
  nativeLockAvailable: NodeDirLock.nativeLockAvailable,
  auto: await outcome("auto"),
  flock: await outcome("flock"),
  pidfile: await outcome("pidfile")
}))
