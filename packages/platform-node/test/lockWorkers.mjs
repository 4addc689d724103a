// Two threads of one process take the pid-file lock on one directory:
// `node lockWorkers.mjs DIR` prints one JSON line with what each thread got.
// Thread A takes the lock and holds it; B then tries (it must be refused);
// A releases; C then tries (it must succeed). Messages order the steps.
import { Effect } from "effect"
import { once } from "node:events"
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads"
import { makePidFile } from "../dist/NodeDirLock.js"

if (isMainThread) {
  const dir = process.argv[2]
  const start = () => new Worker(new URL(import.meta.url), { workerData: { dir } })
  const next = async (worker) => (await once(worker, "message"))[0]
  const a = start()
  const first = await next(a)
  const b = start()
  const second = await next(b)
  a.postMessage("release")
  await next(a)
  const c = start()
  const third = await next(c)
  c.postMessage("release")
  await next(c)
  console.log(JSON.stringify({ first, second, third }))
  await Promise.all([a, b, c].map((w) => w.terminate()))
} else {
  const released = new Promise((resolve) => parentPort.once("message", resolve))
  const outcome = await Effect.runPromise(Effect.either(Effect.scoped(Effect.gen(function*() {
    yield* makePidFile.acquire(workerData.dir)
    parentPort.postMessage("acquired")
    yield* Effect.promise(() => released)
  }))))
  parentPort.postMessage(outcome._tag === "Left" ? `refused: ${outcome.left._tag}` : "released")
}
