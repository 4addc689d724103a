import { MemoryFileSystem } from "@lora-wal/testkit"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as DirLock from "../src/DirLock.js"
import * as Replay from "../src/Replay.js"
import * as Wal from "../src/Wal.js"
import * as WalMetrics from "../src/WalMetrics.js"

const snapshot = Effect.all({
  bytes: Metric.value(WalMetrics.bytesWritten),
  records: Metric.value(WalMetrics.recordsWritten),
  rotated: Metric.value(WalMetrics.segmentsRotated),
  commits: Metric.value(WalMetrics.commitLatency),
  fsyncs: Metric.value(WalMetrics.fsyncDuration),
  replayed: Metric.value(WalMetrics.replayBytes)
})

describe("WalMetrics", () => {
  it.effect("count what the log did", () => {
    const state = new MemoryFileSystem.MemoryState()
    const layer = Layer.provideMerge(DirLock.layerMemory, MemoryFileSystem.layerWith(state))
    return Effect.gen(function*() {
      const before = yield* snapshot
      yield* Effect.scoped(Effect.gen(function*() {
        const wal = yield* Wal.make({ dir: "/log", segmentTargetBytes: 64 })
        for (let i = 0; i < 5; i++) yield* wal.commitTx([{ _tag: "DeleteNode", nodeId: BigInt(i) }])
      }))
      yield* Replay.replayDir("/log")
      const after = yield* snapshot
      const walBytes = state.children("/log").filter((n) => n.endsWith(".wal"))
        .reduce((n, name) => n + state.read(`/log/${name}`)!.length - 32, 0)
      expect(after.bytes.count - before.bytes.count).toBe(walBytes)
      expect(after.records.count - before.records.count).toBe(15)
      expect(after.rotated.count - before.rotated.count).toBe(4)
      expect(after.commits.count - before.commits.count).toBe(5)
      expect(after.fsyncs.count - before.fsyncs.count).toBeGreaterThanOrEqual(5)
      expect(after.replayed.count - before.replayed.count).toBe(walBytes + 5 * 32)
    }).pipe(Effect.provide(layer))
  })
})
