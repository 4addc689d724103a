import * as Path from "@effect/platform/Path"
import { FaultyFileSystem, MemoryFileSystem } from "@lora-wal/testkit"
import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
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

/** The tag a refused operation fails with. */
const refusal = <A, E extends { readonly _tag: string }>(effect: Effect.Effect<A, E>) =>
  Effect.map(Effect.flip(effect), (e) => e._tag)

describe("WalRecorder state machine", () => {
  it.scoped("arm → record → commit writes one transaction; a read-only query writes nothing", () => {
    const { faults, layer, recorder } = setup()
    return Effect.gen(function*() {
      const r = yield* recorder
      yield* r.arm
      yield* r.record(event(1))
      yield* r.record(event(2))
      const commitLsn = Option.getOrThrow(yield* r.commit)
      const writes = faults.calls.write
      yield* r.arm
      expect(yield* r.commit).toEqual(Option.none())
      expect(faults.calls.write).toBe(writes)
      expect((yield* Replay.replayDir("/log")).committedEvents).toEqual([event(1), event(2)])
      expect((yield* Replay.replayDir("/log")).maxLsn).toBe(commitLsn)
    }).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
  })

  it.scoped("withQuery commits a query that succeeds and aborts one that fails or is interrupted", () => {
    const { layer, recorder } = setup()
    return Effect.gen(function*() {
      const r = yield* recorder
      const done = yield* r.withQuery(Effect.as(r.record(event(1)), "ok"))
      expect(done.value).toBe("ok")
      expect(yield* Effect.flip(r.withQuery(Effect.zipRight(r.record(event(2)), Effect.fail("no" as const))))).toBe("no")
      const recorded = yield* Deferred.make<void>()
      const query = yield* Effect.fork(r.withQuery(
        Effect.zipRight(Effect.zipRight(r.record(event(3)), Deferred.succeed(recorded, undefined)), Effect.never)
      ))
      yield* Deferred.await(recorded)
      yield* Fiber.interrupt(query)
      // Neither left the recorder armed: the next query runs.
      const next = yield* r.withQuery(r.record(event(4)))
      expect(Option.isNone(yield* r.poisonedReason)).toBe(true)
      const transactions: Array<Replay.Transaction<MutationEvent>> = []
      yield* Replay.run("/log", { onTransaction: (tx) => Effect.sync(() => void transactions.push(tx)) })
      expect(transactions.map((tx) => [tx.commitLsn, tx.events])).toEqual([
        [Option.getOrThrow(done.commitLsn), [event(1)]],
        [Option.getOrThrow(next.commitLsn), [event(4)]]
      ])
    }).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
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
      expect(yield* r.commit).toEqual(Option.none())
      expect(Option.isNone(yield* r.poisonedReason)).toBe(true)
    }).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
  })

  const misuse: ReadonlyArray<[string, (r: WalRecorder.WalRecorder) => Effect.Effect<unknown, unknown>, string]> = [
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
        for (const operation of [r.arm, r.commit, r.abort, r.flush, r.commitEvents([event(1)])]) {
          const error = yield* Effect.flip<unknown, { readonly _tag: string; readonly message: string }, never>(operation)
          expect(error).toMatchObject({ _tag: "RecorderPoisoned", reason })
          expect(error.message).toBe(`WAL poisoned: ${reason}`)
        }
        yield* r.record(event(9)) // ignored, not a second poisoning
        expect(yield* r.poisonedReason).toEqual(Option.some(reason))
      }).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
    })
  }

  it.scoped("a failing commit poisons with the log's error", () => {
    const { faults, layer, recorder } = setup()
    return Effect.gen(function*() {
      const r = yield* recorder
      faults.inject({ operation: "sync", nth: 1, code: "EIO", pathIncludes: ".wal" })
      yield* r.arm
      yield* r.record(event(1))
      const failed = yield* Effect.flip(r.commit)
      expect(failed._tag === "CommitFailed" && failed.cause._tag).toBe("Io")
      expect(failed.message).toContain("WAL commit failed: WAL I/O error: EIO")
      expect(Option.getOrThrow(yield* r.poisonedReason)).toContain("EIO")
      const refused = yield* Effect.flip(r.arm)
      expect(refused.cause).toMatchObject({ _tag: "Io" })
    }).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
  })

  it.scoped("commitEvents commits an external buffer; empty writes nothing", () => {
    const { layer, recorder } = setup()
    return Effect.gen(function*() {
      const r = yield* recorder
      expect(yield* r.commitEvents([])).toEqual(Option.none())
      expect(Option.isSome(yield* r.commitEvents(new Set([event(3), event(4)])))).toBe(true)
      expect((yield* Replay.replayDir("/log")).committedEvents).toEqual([event(3), event(4)])
    }).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
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
      const refused = yield* Effect.flip(r.commitEvents([event(2)]))
      expect(refused._tag === "RecorderPoisoned" && refused.cause?._tag).toBe("Poisoned")
    }).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
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
      const failed = yield* Effect.flip(r.flush)
      expect(failed._tag === "FlushFailed" && failed.cause._tag).toBe("MirrorFailed")
      expect(failed.message).toBe("WAL flush failed: WAL mirror failed: mirror disk full")
      expect(yield* r.poisonedReason).toEqual(Option.some("WAL mirror failed: mirror disk full"))
    }).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
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
      expect(yield* refusal(r.arm)).toBe("RecorderPoisoned")
      expect(yield* refusal(r.checkpointMarker(lsn(1n)))).toBe("RecorderPoisoned")
    }).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
  })
})
