// Copied verbatim from the testkit README's "Crash-test your own program" example: it must keep passing.
import * as FileSystem from "@effect/platform/FileSystem"
import { describe, expect, it } from "@effect/vitest"
import { CrashHarness } from "@lora-wal/testkit"
import { Effect } from "effect"

// Your program: appends one line per value, fsyncs, and only then acknowledges it.
const write = (ledger: CrashHarness.Ledger<number>) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const log = yield* fs.open("/counter.log", { flag: "a" })
    // The new file's directory entry must be durable too: fsync the directory.
    yield* Effect.scoped(Effect.flatMap(fs.open("/", { flag: "r" }), (dir) => dir.sync))
    for (let n = 1; n <= 10; n++) {
      yield* log.writeAll(new TextEncoder().encode(`${n}\n`))
      yield* log.sync
      yield* ledger.acknowledge(n)
    }
  })

// Your recovery: every complete line.
const recover = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  if (!(yield* fs.exists("/counter.log"))) return []
  return new TextDecoder().decode(yield* fs.readFile("/counter.log")).split("\n").slice(0, -1).map(Number)
})

describe("my counter survives crashes", () => {
  it.live("every acknowledged value comes back, wherever the machine crashes", () =>
    Effect.gen(function*() {
      const report = yield* CrashHarness.check({
        write,
        recover,
        invariant: (recovered, acknowledged) => acknowledged.every((n) => recovered.includes(n))
      })
      expect(report.fsyncs).toBe(10)
    }))
})
