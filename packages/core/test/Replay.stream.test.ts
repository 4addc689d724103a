import * as Path from "@effect/platform/Path"
import { describe, expect, it } from "@effect/vitest"
import { MemoryFileSystem } from "@lora-wal/testkit"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as DirLock from "../src/DirLock.js"
import { unsafeMake as lsn } from "../src/Lsn.js"
import type { MutationEvent } from "../src/MutationEvent.js"
import * as Replay from "../src/Replay.js"
import * as Wal from "../src/Wal.js"

const event = (id: number): MutationEvent => ({ _tag: "DeleteNode", nodeId: BigInt(id) })

const setup = () => {
  const state = new MemoryFileSystem.MemoryState()
  const platform = Layer.provideMerge(DirLock.layerMemory, Layer.merge(MemoryFileSystem.layerWith(state), Path.layer))
  return { state, platform }
}

/** Six one-event commits into 64-byte segments: one segment per transaction. */
const writeSmallSegments = (count: number) =>
  Effect.scoped(Effect.gen(function*() {
    const wal = yield* Wal.make({ dir: "/log", segmentTargetBytes: 64 })
    for (let i = 0; i < count; i++) yield* wal.commitTx([event(i)])
    return wal
  }))

describe("Replay.stream refuses what opening the log refuses", () => {
  it.effect("a log that no longer reaches back to the fence fails with Malformed before emitting anything", () => {
    const { platform } = setup()
    return Effect.gen(function*() {
      yield* Effect.scoped(Effect.gen(function*() {
        const wal = yield* Wal.make({ dir: "/log", segmentTargetBytes: 64 })
        for (let i = 0; i < 6; i++) yield* wal.commitTx([event(i)])
        yield* wal.truncateUpTo(lsn(1000n)) // a newer snapshot's fence
      }))
      // A recovery falling back to a snapshot at lsn 3 would miss the records the truncation removed.
      expect((yield* Effect.flip(Effect.scoped(Wal.make({ dir: "/log", fence: 3n }))))._tag).toBe("Malformed")
      const emitted: Array<Replay.Transaction<MutationEvent>> = []
      const failure = yield* Effect.flip(
        Stream.runForEach(Replay.stream("/log", { fence: 3n }), (tx) => Effect.sync(() => void emitted.push(tx)))
      )
      expect(failure._tag).toBe("Malformed")
      expect(failure.message).toContain("the fence is lsn 3")
      expect(emitted).toEqual([])
      // At the fence the truncation kept, the same log streams whole.
      const summary = yield* Replay.run("/log", { onTransaction: () => Effect.void })
      const kept = yield* Stream.runCollect(Replay.stream("/log", { fence: summary.segments[0]!.baseLsn - 1n }))
      expect(Chunk.size(kept)).toBeGreaterThan(0)
    }).pipe(Effect.provide(platform))
  })

  it.effect("damage at the end of a sealed newest segment fails with Malformed after what precedes it", () => {
    const { platform, state } = setup()
    return Effect.gen(function*() {
      yield* writeSmallSegments(3)
      state.nodes.delete("/log/0000000003.wal")
      const sealed = state.read("/log/0000000002.wal")!
      state.write("/log/0000000002.wal", sealed.subarray(0, sealed.length - 10)) // its TxCommit is cut
      expect((yield* Effect.flip(Effect.scoped(Wal.make({ dir: "/log" }))))._tag).toBe("Malformed")
      const emitted: Array<Replay.Transaction<MutationEvent>> = []
      const failure = yield* Effect.flip(
        Stream.runForEach(Replay.stream("/log"), (tx) => Effect.sync(() => void emitted.push(tx)))
      )
      expect(failure._tag).toBe("Malformed")
      expect(failure.message).toContain("torn tail found in sealed segment /log/0000000002.wal")
      expect(emitted.map((tx) => tx.events)).toEqual([[event(0)]])
    }).pipe(Effect.provide(platform))
  })

  it.effect("a crash's torn tail in the active segment still ends the stream normally", () => {
    const { platform, state } = setup()
    return Effect.gen(function*() {
      yield* writeSmallSegments(3)
      const active = state.read("/log/0000000003.wal")!
      state.write("/log/0000000003.wal", active.subarray(0, active.length - 10))
      const streamed = yield* Stream.runCollect(Replay.stream("/log"))
      expect(Chunk.toArray(streamed).map((tx) => tx.events)).toEqual([[event(0)], [event(1)]])
    }).pipe(Effect.provide(platform))
  })
})
