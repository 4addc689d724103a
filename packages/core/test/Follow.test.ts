import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { describe, expect, it } from "@effect/vitest"
import { Arbitraries, MemoryFileSystem } from "@lora-wal/testkit"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as fc from "effect/FastCheck"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as DirLock from "../src/DirLock.js"
import * as Follow from "../src/Follow.js"
import type { MutationEvent } from "../src/MutationEvent.js"
import type * as Replay from "../src/Replay.js"
import * as Wal from "../src/Wal.js"
import { SyncMode } from "../src/WalConfig.js"
import type { FollowError } from "../src/WalError.js"

const machine = Layer.provideMerge(DirLock.layerMemory, Layer.merge(MemoryFileSystem.layer, Path.layer))

interface Committed {
  readonly commitLsn: bigint
  readonly events: ReadonlyArray<MutationEvent>
}

/** Runs `stream` into a queue in the background: what a follower has emitted so far. */
const collect = <A, E, R>(stream: Stream.Stream<A, E, R>) =>
  Effect.gen(function*() {
    const queue = yield* Queue.unbounded<A>()
    const fiber = yield* Effect.fork(Stream.runForEach(stream, (a) => Queue.offer(queue, a)))
    return { queue, fiber }
  })

/** Yields until the queue holds `count` items. */
const awaitSize = <A>(queue: Queue.Queue<A>, count: number) =>
  Effect.yieldNow().pipe(Effect.zipRight(Queue.size(queue)), Effect.repeat({ until: (n) => n >= count }))

type Step =
  | { readonly _tag: "commit"; readonly events: ReadonlyArray<MutationEvent> }
  | { readonly _tag: "leaveOpen" }
  | { readonly _tag: "abort" }

const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: fc.array(Arbitraries.smallEvent, { minLength: 1, maxLength: 3 }).map((events) => ({ _tag: "commit" as const, events })), weight: 6 },
  fc.constant({ _tag: "leaveOpen" as const }),
  fc.constant({ _tag: "abort" as const })
)

describe("wal.follow", () => {
  it.scoped.prop(
    "emits every committed transaction from fromLsn on, once, in order, across rotations, and ends when the log closes",
    [fc.array(step, { maxLength: 25 }), fc.nat({ max: 25 }), fc.option(fc.nat({ max: 80 }), { nil: undefined }), fc.constantFrom(SyncMode.PerCommit(), SyncMode.None()), fc.constantFrom(64, 200, 4096)],
    ([steps, startAt, from, syncMode, segmentTargetBytes]) =>
      Effect.gen(function*() {
        const fromLsn = from === undefined ? undefined : BigInt(from)
        const committed: Array<Committed> = []
        const follower = yield* Effect.scoped(Effect.gen(function*() {
          const wal = yield* Wal.make({ dir: "/db/wal", syncMode, segmentTargetBytes })
          let follower: { queue: Queue.Queue<Replay.Transaction<MutationEvent>>; fiber: Fiber.RuntimeFiber<void, FollowError> } | undefined
          for (const [i, s] of steps.entries()) {
            // The follower starts part-way: it catches up from disk, then follows live.
            if (i === startAt) follower = yield* collect(wal.follow({ fromLsn }))
            if (s._tag === "commit") {
              committed.push({ commitLsn: Option.getOrThrow(yield* wal.commitTx(s.events)), events: s.events })
            } else {
              const tx = yield* wal.begin
              yield* wal.appendBatch(tx, [{ _tag: "Clear" }])
              if (s._tag === "abort") yield* wal.abort(tx)
              yield* wal.flush
            }
          }
          return follower ?? (yield* collect(wal.follow({ fromLsn })))
        }))
        yield* Fiber.join(follower.fiber)
        const emitted = Chunk.toReadonlyArray(yield* Queue.takeAll(follower.queue))
        expect(emitted.map((t) => ({ commitLsn: t.commitLsn, events: t.events }))).toEqual(
          committed.filter((c) => fromLsn === undefined || c.commitLsn >= fromLsn)
        )
      }).pipe(Effect.provide(machine)),
    { fastCheck: { numRuns: 60 } }
  )

  it.scoped("under Group mode a transaction is emitted once an fsync covers it, or at once with emit: written", () =>
    Effect.gen(function*() {
      const wal = yield* Wal.make({ dir: "/db/wal", syncMode: SyncMode.Group({ intervalMs: 50 }) })
      const durable = yield* collect(wal.follow())
      const written = yield* collect(wal.follow({ emit: "written" }))
      yield* wal.commitTx([{ _tag: "Clear" }])
      yield* awaitSize(written.queue, 1)
      expect(yield* Queue.size(durable.queue)).toBe(0)
      yield* TestClock.adjust(50)
      yield* awaitSize(durable.queue, 1)
      expect((yield* Queue.take(durable.queue)).commitLsn).toBe(3n)
    }).pipe(Effect.provide(machine)))

  it.scoped("a follower asking for records truncation deleted fails with Gone", () =>
    Effect.gen(function*() {
      const wal = yield* Wal.make({ dir: "/db/wal", segmentTargetBytes: 64 })
      for (let i = 0; i < 8; i++) yield* wal.commitTx([{ _tag: "Clear" }])
      yield* wal.truncateUpTo(yield* wal.durableLsn)
      const error = yield* Effect.flip(Stream.runDrain(wal.follow({ fromLsn: 2n })))
      expect(error).toMatchObject({ _tag: "Gone", lsn: 2n })
      expect(error.message).toMatch(/^WAL no longer holds lsn 2: it was truncated away \(the oldest lsn kept is \d+\)$/)
    }).pipe(Effect.provide(machine)))
})

describe("Follow.directory", () => {
  it.live("follows a log written by another handle from before its directory exists, polling where the filesystem has no change events", () =>
    Effect.gen(function*() {
      const follower = yield* collect(Follow.directory("/db/wal", { pollInterval: "5 millis" }))
      const committed: Array<bigint> = []
      yield* Effect.scoped(Effect.gen(function*() {
        const wal = yield* Wal.make({ dir: "/db/wal", segmentTargetBytes: 128 })
        for (let i = 0; i < 12; i++) {
          committed.push(Option.getOrThrow(yield* wal.commitTx([{ _tag: "DeleteNode", nodeId: BigInt(i) }])))
          if (i % 4 === 3) yield* awaitSize(follower.queue, i + 1)
        }
      }))
      yield* awaitSize(follower.queue, 12)
      yield* Fiber.interrupt(follower.fiber)
      const emitted = Chunk.toReadonlyArray(yield* Queue.takeAll(follower.queue))
      expect(emitted.map((t) => t.commitLsn)).toEqual(committed)
      expect(emitted.map((t) => t.events)).toEqual(committed.map((_, i) => [{ _tag: "DeleteNode", nodeId: BigInt(i) }]))
    }).pipe(Effect.provide(machine)))
})

describe("Follow.directory across a writer that starts over", () => {
  for (const torn of [false, true]) {
    it.live(`follows the records the next writer appends after recovery rewrote the newest segment${torn ? ", a crash's torn record left out" : ""}`, () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const commit = (wal: Wal.Wal, i: number) => Effect.map(wal.commitTx([{ _tag: "DeleteNode", nodeId: BigInt(i) }]), Option.getOrThrow)
        const committed: Array<bigint> = []
        yield* Effect.scoped(Effect.gen(function*() {
          const wal = yield* Wal.make({ dir: "/db/wal", segmentTargetBytes: 4096 })
          for (let i = 0; i < 3; i++) committed.push(yield* commit(wal, i))
        }))
        // A writer killed in the middle of a record: its first bytes only.
        if (torn) {
          yield* Effect.scoped(Effect.flatMap(fs.open("/db/wal/0000000001.wal", { flag: "a" }), (file) =>
            file.writeAll(Uint8Array.of(40, 0, 0, 0, 0, 0))))
        }
        const follower = yield* collect(Follow.directory("/db/wal", { pollInterval: "5 millis" }))
        yield* awaitSize(follower.queue, 3)
        // The next writer's recovery rewrites the newest segment to a new file, then appends to it.
        yield* Effect.scoped(Effect.gen(function*() {
          const wal = yield* Wal.make({ dir: "/db/wal", segmentTargetBytes: 400 })
          for (let i = 3; i < 12; i++) committed.push(yield* commit(wal, i))
        }))
        yield* awaitSize(follower.queue, 12)
        yield* Fiber.interrupt(follower.fiber)
        expect(Chunk.toReadonlyArray(yield* Queue.takeAll(follower.queue)).map((t) => t.commitLsn)).toEqual(committed)
      }).pipe(Effect.provide(machine)))
  }
})
