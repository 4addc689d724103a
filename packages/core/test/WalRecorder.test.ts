import { FaultyFileSystem, MemoryFileSystem } from "@lora-wal/testkit"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import * as DirLock from "../src/DirLock.js"
import { unsafeMake as lsn } from "../src/Lsn.js"
import type { MutationEvent } from "../src/MutationEvent.js"
import * as Replay from "../src/Replay.js"
import * as Wal from "../src/Wal.js"
import { SyncMode } from "../src/WalConfig.js"
import * as WalRecorder from "../src/WalRecorder.js"

const event = (id: number): MutationEvent => ({ _tag: "DeleteNode", nodeId: BigInt(id) })

const setup = (options?: { readonly syncMode?: SyncMode; readonly mirror?: WalRecorder.Mirror }) => {
  const state = new MemoryFileSystem.MemoryState()
  const faults = new FaultyFileSystem.Faults()
  const fsLayer = FaultyFileSystem.layer(faults).pipe(Layer.provide(MemoryFileSystem.layerWith(state)))
  const layer = Layer.provideMerge(DirLock.layerMemory, fsLayer)
  const recorder = Effect.map(
    Wal.make({ dir: "/log", syncMode: options?.syncMode, segmentTargetBytes: 64 }),
    (wal) => WalRecorder.make(wal, { mirror: options?.mirror })
  )
  return { state, faults, layer, recorder }
}

const failureOf = <A, E>(exit: Exit.Exit<A, E>) => (Exit.isFailure(exit) ? String(exit.cause) : "success")

describe("WalRecorder state machine", () => {
  it.scoped("arm → record → commit writes one transaction; a read-only query writes nothing", () => {
    const { faults, layer, recorder } = setup()
    return Effect.gen(function*() {
      const r = yield* recorder
      yield* r.arm
      yield* r.record(event(1))
      yield* r.record(event(2))
      expect(yield* r.commit).toBe("Yes")
      const writes = faults.calls.write
      yield* r.arm
      expect(yield* r.commit).toBe("No")
      expect(faults.calls.write).toBe(writes)
      expect((yield* Replay.replayDir("/log")).committedEvents).toEqual([event(1), event(2)])
    }).pipe(Effect.provide(layer))
  })

  it.scoped("abort drops the query, reports whether it had events, and is allowed without arm", () => {
    const { faults, layer, recorder } = setup()
    return Effect.gen(function*() {
      const r = yield* recorder
      expect(yield* r.abort).toBe(false)
      yield* r.arm
      yield* r.record(event(1))
      const writes = faults.calls.write
      expect(yield* r.abort).toBe(true)
      expect(faults.calls.write).toBe(writes)
      yield* r.arm
      expect(yield* r.commit).toBe("No")
      expect(Option.isNone(yield* r.poisonedReason)).toBe(true)
    }).pipe(Effect.provide(layer))
  })

  const misuse: ReadonlyArray<[string, (r: WalRecorder.WalRecorderShape<MutationEvent>) => Effect.Effect<unknown, unknown>, string]> = [
    ["a double arm", (r) => Effect.zipRight(r.arm, Effect.exit(r.arm)), "WalRecorder::arm called while already armed"],
    ["record outside a query", (r) => r.record(event(1)), "MutationRecorder::record fired outside an armed query"],
    ["commit without arm", (r) => Effect.exit(r.commit), "WalRecorder::commit called without an armed query"]
  ]
  for (const [name, misuseIt, reason] of misuse) {
    it.scoped(`${name} poisons, and a poisoned recorder refuses every query`, () => {
      const { layer, recorder } = setup()
      return Effect.gen(function*() {
        const r = yield* recorder
        yield* misuseIt(r)
        expect(yield* r.poisonedReason).toEqual(Option.some(reason))
        expect(failureOf(yield* Effect.exit(r.arm))).toContain("WAL is poisoned")
        expect(failureOf(yield* Effect.exit(r.commit))).toContain("WAL is poisoned")
        expect(failureOf(yield* Effect.exit(r.abort))).toContain("WAL is poisoned")
        expect(failureOf(yield* Effect.exit(r.flush))).toContain("WAL is poisoned")
        expect(failureOf(yield* Effect.exit(r.commitEvents([event(1)])))).toContain(`WAL poisoned: ${reason}`)
        yield* r.record(event(9)) // ignored, not a second poisoning
        expect(yield* r.poisonedReason).toEqual(Option.some(reason))
      }).pipe(Effect.provide(layer))
    })
  }

  it.scoped("a failing commit poisons with the log's error", () => {
    const { faults, layer, recorder } = setup()
    return Effect.gen(function*() {
      const r = yield* recorder
      faults.inject({ operation: "sync", nth: 1, code: "EIO", pathIncludes: ".wal" })
      yield* r.arm
      yield* r.record(event(1))
      const exit = yield* Effect.exit(r.commit)
      expect(failureOf(exit)).toContain("WAL commit failed: WAL I/O error: EIO")
      expect(Option.getOrThrow(yield* r.poisonedReason)).toContain("EIO")
    }).pipe(Effect.provide(layer))
  })

  it.scoped("commitEvents commits an external buffer; empty writes nothing", () => {
    const { layer, recorder } = setup()
    return Effect.gen(function*() {
      const r = yield* recorder
      expect(yield* r.commitEvents([])).toBe("No")
      expect(yield* r.commitEvents(new Set([event(3), event(4)]))).toBe("Yes")
      expect((yield* Replay.replayDir("/log")).committedEvents).toEqual([event(3), event(4)])
    }).pipe(Effect.provide(layer))
  })

  it.scoped("the log's background failure poisons the recorder", () => {
    const { faults, layer, recorder } = setup({ syncMode: SyncMode.Group({ intervalMs: 5 }) })
    return Effect.gen(function*() {
      const r = yield* recorder
      yield* r.arm
      yield* r.record(event(1))
      yield* r.commit
      faults.inject({ operation: "sync", nth: 1, code: "EIO", pathIncludes: ".wal" })
      yield* TestClock.adjust(5)
      yield* Effect.repeatN(Effect.yieldNow(), 50)
      expect(Option.getOrThrow(yield* r.poisonedReason)).toContain("EIO")
      expect(failureOf(yield* Effect.exit(r.commitEvents([event(2)])))).toContain("WAL poisoned:")
    }).pipe(Effect.provide(layer))
  })

  it.scoped("the mirror runs after each successful flush, and its failure poisons", () => {
    const calls: Array<string> = []
    let failNext = false
    const mirror: WalRecorder.Mirror = (dir, { force }) =>
      failNext ? Effect.fail(new Error("mirror disk full")) : Effect.sync(() => void calls.push(`${dir}:${force}`))
    const { layer, recorder } = setup({ mirror })
    return Effect.gen(function*() {
      const r = yield* recorder
      yield* r.flush
      yield* r.forceFsync
      expect(calls).toEqual(["/log:false", "/log:true"])
      // With a mirror, truncation keeps history and force-persists the mirror instead.
      yield* r.truncateUpTo(lsn(100n))
      expect(calls).toEqual(["/log:false", "/log:true", "/log:true"])
      failNext = true
      expect(failureOf(yield* Effect.exit(r.flush))).toContain("WAL flush failed: mirror disk full")
      expect(yield* r.poisonedReason).toEqual(Option.some("WAL flush failed: mirror disk full"))
    }).pipe(Effect.provide(layer))
  })

  it.scoped("checkpointMarker forwards; poison quarantines by hand", () => {
    const { layer, recorder } = setup()
    return Effect.gen(function*() {
      const r = yield* recorder
      expect(yield* r.checkpointMarker(lsn(0n))).toBe(1n)
      yield* r.arm
      yield* r.record(event(1))
      yield* r.poison("store diverged")
      expect(yield* r.poisonedReason).toEqual(Option.some("store diverged"))
      expect(failureOf(yield* Effect.exit(r.arm))).toContain("WAL is poisoned")
      expect(failureOf(yield* Effect.exit(r.checkpointMarker(lsn(1n))))).toContain("WAL is poisoned")
    }).pipe(Effect.provide(layer))
  })
})
