/**
 * `npm start`: a durable graph store is written to by a child process that
 * is killed with SIGKILL mid-stream; the store is recovered and checked.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeDirLock from "@lora-wal/platform-node/NodeDirLock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { round } from "./Demo.js"

const program = Effect.gen(function*() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lora-wal-demo-"))
  yield* Console.log(`Data directory: ${dir} (removed at the end)\n`)
  let failures = 0
  for (const [n, killAfter] of [[1, 60], [2, 150], [3, 230]] as const) {
    yield* Console.log(`Round ${n}: a writer process runs queries (each: a Person node, a KNOWS relationship, a property),`)
    yield* Console.log(`         acknowledging each after its commit returns; it is killed with SIGKILL after ack ${killAfter}.`)
    const report = yield* round(dir, killAfter)
    const snapshot = Option.match(report.snapshotLsn, { onNone: () => "no snapshot", onSome: (l) => `snapshot at lsn ${l}` })
    yield* Console.log(`  acknowledged before the kill: ${report.acknowledged} queries`)
    yield* Console.log(`  recovered: ${report.recovered} people (${snapshot} + ${report.replayedEvents} events replayed from the log)`)
    const ok = report.missing.length === 0 && report.partial.length === 0 && report.recovered >= report.acknowledged
    yield* Console.log(
      ok
        ? `  ✔ every acknowledged query is back, and no query is half-applied\n`
        : `  ✘ missing: ${report.missing.join(", ") || "none"}; partial: ${report.partial.join(", ") || "none"}\n`
    )
    if (!ok) failures++
  }
  fs.rmSync(dir, { recursive: true, force: true })
  yield* Console.log(failures === 0 ? "All rounds recovered correctly." : `${failures} round(s) failed.`)
  if (failures > 0) yield* Effect.sync(() => (process.exitCode = 1))
})

program.pipe(Effect.provide(NodeDirLock.layer), Effect.provide(NodeContext.layer), NodeRuntime.runMain)
