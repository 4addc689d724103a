import * as Path from "@effect/platform/Path"
import { MemoryFileSystem } from "@lora-wal/testkit"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Tracer from "effect/Tracer"
import * as DirLock from "../src/DirLock.js"
import * as Replay from "../src/Replay.js"
import * as Wal from "../src/Wal.js"
import { SyncMode } from "../src/WalConfig.js"
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
    }).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
  })
})

describe("spans", () => {
  it.effect("with a tracer installed, the log reports open, replay, commit, fsync, rotate and truncate", () => {
    const layer = Layer.provideMerge(DirLock.layerMemory, MemoryFileSystem.layer)
    return Effect.gen(function*() {
      const builtIn = yield* Effect.tracer
      const names: Array<string> = []
      const recording = Tracer.make({
        span: (name, ...rest) => {
          names.push(name)
          return builtIn.span(name, ...rest)
        },
        context: builtIn.context
      })
      const seen = (mode: SyncMode) =>
        Effect.gen(function*() {
          names.length = 0
          yield* Effect.scoped(Effect.gen(function*() {
            const wal = yield* Wal.make({ dir: `/log-${mode._tag}`, syncMode: mode, segmentTargetBytes: 64 })
            for (let i = 0; i < 4; i++) yield* wal.commitTx([{ _tag: "DeleteNode", nodeId: BigInt(i) }])
            yield* wal.forceFsync
            yield* wal.truncateUpTo(wal.recovery.summary.maxLsn)
          }))
          return new Set(names)
        }).pipe(Effect.withTracer(recording))
      for (const mode of [SyncMode.PerCommit(), SyncMode.Group({ intervalMs: 10 }), SyncMode.None()]) {
        const spans = yield* seen(mode)
        for (const name of ["open", "commit", "fsync", "rotate", "truncate"]) {
          expect(spans, `${mode._tag}: lora-wal.${name}`).toContain(`lora-wal.${name}`)
        }
      }
      // Reopening replays the existing segments.
      expect(yield* seen(SyncMode.None())).toContain("lora-wal.replay")
    }).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
  })
})
