import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { describe, expect, it } from "@effect/vitest"
import { Arbitraries, FaultyArchiveStore, MemoryFileSystem } from "@lora-wal/testkit"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as fc from "effect/FastCheck"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as Archive from "../src/Archive.js"
import { ArchiveStoreError } from "../src/ArchiveError.js"
import * as ArchiveStore from "../src/ArchiveStore.js"
import * as DirLock from "../src/DirLock.js"
import { unsafeMake as unsafeLsn } from "../src/Lsn.js"
import type { MutationEvent } from "../src/MutationEvent.js"
import * as Replay from "../src/Replay.js"
import * as Segment from "../src/Segment.js"
import * as Wal from "../src/Wal.js"
import { SyncMode } from "../src/WalConfig.js"
import * as WalMetrics from "../src/WalMetrics.js"

/** A machine with a memory disk, its lock, and an archive store in memory. */
const machine = (disk = new MemoryFileSystem.MemoryState()) =>
  Layer.mergeAll(
    Layer.provideMerge(DirLock.layerMemory, Layer.merge(MemoryFileSystem.layerWith(disk), Path.layer)),
    ArchiveStore.layerMemory
  )

interface Committed {
  readonly commitLsn: bigint
  readonly events: ReadonlyArray<MutationEvent>
}

const replayed = (dir: string) =>
  Effect.map(Replay.replayDir(dir), (r) => r.committedEvents)

const eventsUpTo = (committed: ReadonlyArray<Committed>, lsn: bigint) =>
  committed.filter((c) => c.commitLsn <= lsn).flatMap((c) => c.events)

type Step =
  | { readonly _tag: "commit"; readonly events: ReadonlyArray<MutationEvent> }
  | { readonly _tag: "leaveOpen" }
  | { readonly _tag: "fsync" }
  | { readonly _tag: "archive"; readonly restoreTo: number | undefined }

const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: fc.array(Arbitraries.smallEvent, { minLength: 1, maxLength: 3 }).map((events) => ({ _tag: "commit" as const, events })), weight: 6 },
  fc.constant({ _tag: "leaveOpen" as const }),
  fc.constant({ _tag: "fsync" as const }),
  { arbitrary: fc.option(fc.nat({ max: 200 }), { nil: undefined }).map((restoreTo) => ({ _tag: "archive" as const, restoreTo })), weight: 2 }
)

/** A closed log of 4 commits over 64-byte segments (so several of them), on a disk of its own. */
const closedLogOf4Segments = Effect.gen(function*() {
  const disk = new MemoryFileSystem.MemoryState()
  yield* Effect.scoped(Effect.gen(function*() {
    const wal = yield* Wal.make({ dir: "/db/wal", segmentTargetBytes: 64 })
    for (let i = 0; i < 4; i++) yield* wal.commitTx([{ _tag: "Clear" }])
  })).pipe(Effect.provide(machine(disk)))
  return disk
})

describe("Archive", () => {
  it.effect.prop(
    "a restore from the archive of a live log replays exactly the committed transactions the archive reached, up to its LSN",
    [fc.array(step, { minLength: 1, maxLength: 30 }), fc.constantFrom(SyncMode.PerCommit(), SyncMode.None(), SyncMode.Group({ intervalMs: 60_000 })), fc.constantFrom(64, 200, 1024)],
    ([steps, syncMode, segmentTargetBytes]) =>
      Effect.gen(function*() {
        const committed: Array<Committed> = []
        let restores = 0
        yield* Effect.scoped(Effect.gen(function*() {
          const wal = yield* Wal.make({ dir: "/db/wal", syncMode, segmentTargetBytes })
          for (const s of steps) {
            if (s._tag === "commit") {
              const lsn = yield* wal.commitTx(s.events)
              committed.push({ commitLsn: Option.getOrThrow(lsn), events: s.events })
            } else if (s._tag === "fsync") {
              yield* wal.forceFsync
            } else if (s._tag === "leaveOpen") {
              const tx = yield* wal.begin
              yield* wal.appendBatch(tx, [{ _tag: "Clear" }])
            } else {
              // What an fsync covers: under None, durableLsn counts what was only written.
              const durableLsn = (yield* wal.status).syncedLsn
              const pass = yield* Archive.archiveOnce({ dir: "/db/wal", prefix: "app/", durableLsn })
              expect(pass.archivedLsn ?? 0n).toBeLessThanOrEqual(durableLsn)
              const dir = `/restored/${restores++}`
              const toLsn = s.restoreTo === undefined ? undefined : BigInt(s.restoreTo)
              const restored = yield* Archive.restore({ dir, prefix: "app/", toLsn })
              expect(restored.gap).toBeUndefined()
              // Everything durable when the pass ran is in the archive, so the restore reaches it.
              const reached = toLsn === undefined || toLsn > durableLsn ? durableLsn : toLsn
              expect(yield* replayed(dir)).toEqual(eventsUpTo(committed, reached))
            }
          }
        }))
        // Closed: every record on disk is durable, and a last pass ships it all.
        yield* Archive.archiveOnce({ dir: "/db/wal", prefix: "app/" })
        yield* Archive.restore({ dir: "/restored/final", prefix: "app/" })
        expect(yield* replayed("/restored/final")).toEqual(eventsUpTo(committed, 2n ** 64n))
      }).pipe(Effect.provide(machine())),
    { fastCheck: { numRuns: 60 } }
  )

  it.effect("each sealed segment is uploaded once; partial copies of the active one are replaced as it grows", () =>
    Effect.gen(function*() {
      const store = yield* ArchiveStore.ArchiveStore
      const keys = Effect.map(Stream.runCollect(store.list("")), (infos) => Array.from(infos, (i) => i.key))
      yield* Effect.scoped(Effect.gen(function*() {
        const wal = yield* Wal.make({ dir: "/db/wal", segmentTargetBytes: 200 })
        for (let i = 0; i < 6; i++) yield* wal.commitTx([{ _tag: "Clear" }])
        const first = yield* Archive.archiveOnce({ dir: "/db/wal", durableLsn: yield* wal.durableLsn })
        expect(first.uploaded).toEqual(yield* keys)
        expect((yield* keys).filter((k) => k.includes(".partial-"))).toHaveLength(1)
        expect((yield* Archive.archiveOnce({ dir: "/db/wal", durableLsn: yield* wal.durableLsn })).uploaded).toEqual([])
        for (let i = 0; i < 6; i++) yield* wal.commitTx([{ _tag: "Clear" }])
        const second = yield* Archive.archiveOnce({ dir: "/db/wal", durableLsn: yield* wal.durableLsn })
        expect(second.uploaded.length).toBeGreaterThan(0)
        expect(second.uploaded.some((k) => first.uploaded.includes(k))).toBe(false)
      }))
      const names = yield* keys
      expect(names.filter((k) => k.includes(".partial-"))).toHaveLength(1)
      expect(names).toEqual([...names].sort())
      expect(names[0]).toBe(`segments/${Segment.fileName(Segment.SegmentId(1n))}`)
    }).pipe(Effect.provide(machine())))

  it.effect("a damaged sealed segment is never uploaded, and the pass says where it is damaged", () =>
    Effect.gen(function*() {
      const disk = yield* closedLogOf4Segments
      const first = `/db/wal/${Segment.fileName(Segment.SegmentId(1n))}`
      const bytes = disk.read(first)!
      bytes[Segment.HEADER_LEN + 20]! ^= 0x01
      disk.write(first, bytes)
      const error = yield* Effect.flip(Archive.archiveOnce({ dir: "/db/wal" }).pipe(Effect.provide(machine(disk))))
      expect(error).toMatchObject({ _tag: "ArchiveError", reason: "Damaged" })
      expect(error.message).toContain(`${first}: CRC mismatch in the record at offset 32`)
    }))

  it.effect("restore refuses a directory that holds files, and stops at a gap in the archive with what came before it", () =>
    Effect.gen(function*() {
      const store = yield* ArchiveStore.ArchiveStore
      const committed: Array<Committed> = []
      yield* Effect.scoped(Effect.gen(function*() {
        const wal = yield* Wal.make({ dir: "/db/wal", segmentTargetBytes: 64 })
        for (let i = 0; i < 5; i++) {
          const events: ReadonlyArray<MutationEvent> = [{ _tag: "CreateNode", id: BigInt(i), labels: [], properties: new Map() }]
          committed.push({ commitLsn: Option.getOrThrow(yield* wal.commitTx(events)), events })
        }
      }))
      yield* Archive.archiveOnce({ dir: "/db/wal" })
      expect(yield* Effect.flip(Archive.restore({ dir: "/db/wal" }))).toMatchObject({ reason: "NotEmpty" })
      yield* store.remove(`segments/${Segment.fileName(Segment.SegmentId(3n))}`)
      const restored = yield* Archive.restore({ dir: "/restored" })
      expect(restored.gap).toBe("segment 3 is not in the archive")
      expect(restored.files).toHaveLength(2)
      expect(yield* replayed("/restored")).toEqual(eventsUpTo(committed, restored.lastLsn!))
      expect(restored.lastLsn).toBeLessThan(committed[committed.length - 1]!.commitLsn)
    }).pipe(Effect.provide(machine())))

  it.effect("archiveOnceAtRest fsyncs what a killed writer left in the page cache before shipping it: a power loss after it takes nothing the archive has", () =>
    Effect.gen(function*() {
      const store = yield* ArchiveStore.makeMemory
      let disk = new MemoryFileSystem.MemoryState()
      const withStore = Effect.provideService(ArchiveStore.ArchiveStore, store)
      // Acknowledged under None (written, never fsynced), then the process is killed.
      yield* Effect.scoped(Effect.gen(function*() {
        const wal = yield* Wal.make({ dir: "/db/wal", syncMode: SyncMode.None() })
        for (const nodeId of [1n, 2n]) yield* wal.commitTx([{ _tag: "DeleteNode", nodeId }])
      })).pipe(Effect.provide(machine(disk)))
      disk = disk.processCrash()
      yield* Archive.archiveOnceAtRest({ dir: "/db/wal" }).pipe(withStore, Effect.provide(machine(disk)))
      disk = disk.crash({ data: "DropUnsynced", loseDirectoryEntries: true })
      // The log kept what was shipped, so the writer's own archiving goes on without a conflict.
      yield* Effect.scoped(Effect.gen(function*() {
        const wal = yield* Wal.make({ dir: "/db/wal" })
        yield* wal.commitTx([{ _tag: "DeleteNode", nodeId: 3n }])
        yield* Archive.archiveOnce({ dir: "/db/wal", durableLsn: (yield* wal.status).syncedLsn }).pipe(withStore)
      })).pipe(Effect.provide(machine(disk)))
      const inLog = yield* Effect.provide(replayed("/db/wal"), machine(disk))
      const elsewhere = machine()
      yield* Archive.restore({ dir: "/restored" }).pipe(withStore, Effect.provide(elsewhere))
      expect(inLog.map((e) => e._tag === "DeleteNode" && e.nodeId)).toEqual([1n, 2n, 3n])
      expect(yield* Effect.provide(replayed("/restored"), elsewhere)).toEqual(inLog)
    }))

  it.effect("archiveOnceAtRest refuses a log that a live handle holds (AlreadyOpen)", () =>
    Effect.gen(function*() {
      yield* Effect.scoped(Effect.gen(function*() {
        yield* Wal.make({ dir: "/db/wal" })
        expect(yield* Effect.flip(Archive.archiveOnceAtRest({ dir: "/db/wal" }))).toMatchObject({ _tag: "AlreadyOpen" })
      }))
    }).pipe(Effect.provide(machine())))

  it.scoped("a restore racing the archiver lists again when a partial copy it listed was replaced, and a failed one leaves the target as it was", () =>
    Effect.gen(function*() {
      const store = yield* ArchiveStore.makeMemory
      const wal = yield* Wal.make({ dir: "/db/wal", segmentTargetBytes: 200 })
      const commit = wal.commitTx([{ _tag: "Clear" }])
      const pass = Effect.flatMap(wal.status, ({ syncedLsn }) => Archive.archiveOnce({ dir: "/db/wal", durableLsn: syncedLsn })).pipe(
        Effect.provideService(ArchiveStore.ArchiveStore, store)
      )
      for (let i = 0; i < 6; i++) yield* commit
      yield* pass
      // Between restore's listing and its read of the partial copy, the writer rotates and its archiver
      // stores the sealed segment and removes that copy.
      let raced = false
      const context = yield* Effect.context<FileSystem.FileSystem | Path.Path>()
      const racing = ArchiveStore.make({
        ...store,
        get: (key) =>
          Stream.unwrap(Effect.gen(function*() {
            if (!raced && key.includes(".partial-")) {
              raced = true
              for (let i = 0; i < 8; i++) yield* commit
              yield* pass
            }
            return store.get(key)
          }).pipe(Effect.orDie, Effect.provide(context)))
      })
      const restored = yield* Archive.restore({ dir: "/restored" }).pipe(Effect.provideService(ArchiveStore.ArchiveStore, racing))
      expect(raced).toBe(true)
      expect(restored.gap).toBeUndefined()
      expect((yield* replayed("/restored")).length).toBe(14)
      // A restore that fails (a damaged object) leaves nothing in its target, not even its build directory.
      const damaged = ArchiveStore.make({ ...store, get: () => Stream.make(new Uint8Array(40)) })
      const failed = yield* Effect.flip(Archive.restore({ dir: "/again" }).pipe(Effect.provideService(ArchiveStore.ArchiveStore, damaged)))
      expect(failed).toMatchObject({ _tag: "ArchiveError", reason: "Damaged" })
      const fs = yield* FileSystem.FileSystem
      expect(yield* fs.readDirectory("/again")).toEqual([])
    }).pipe(Effect.provide(memoryMachine)))

  it.effect("a restore of an archive begun after the log was truncated says where it starts, and opens with that fence", () =>
    Effect.gen(function*() {
      yield* Effect.scoped(Effect.gen(function*() {
        const wal = yield* Wal.make({ dir: "/db/wal", segmentTargetBytes: 64 })
        for (let i = 0; i < 8; i++) yield* wal.commitTx([{ _tag: "Clear" }])
        yield* wal.truncateUpTo(yield* wal.durableLsn)
      }))
      yield* Archive.archiveOnce({ dir: "/db/wal" })
      const restored = yield* Archive.restore({ dir: "/restored" })
      expect(restored.firstLsn).toBeGreaterThan(1n)
      expect(yield* Effect.flip(Effect.scoped(Wal.make({ dir: "/restored" })))).toMatchObject({ _tag: "Malformed" })
      const reopened = yield* Effect.scoped(Effect.map(Wal.make({ dir: "/restored", fence: restored.firstLsn! - 1n }), (wal) => wal.recovery.summary.maxLsn))
      expect(reopened).toBe(restored.lastLsn)
    }).pipe(Effect.provide(machine())))

  it.effect("a newest segment whose creation a crash cut short (a header at most, not valid) is passed over, as recovery does", () =>
    Effect.gen(function*() {
      const disk = yield* closedLogOf4Segments
      const names = disk.children("/db/wal").filter((n) => n.endsWith(".wal")).sort()
      const next = Segment.fileName(Segment.SegmentId(BigInt(names.length + 1)))
      disk.write(`/db/wal/${next}`, new Uint8Array(Segment.HEADER_LEN))
      const pass = yield* Archive.archiveOnce({ dir: "/db/wal" }).pipe(Effect.provide(machine(disk)))
      expect(pass.uploaded.some((key) => key.includes(next))).toBe(false)
      expect(pass.uploaded.length).toBe(names.length)
    }).pipe(Effect.provide(ArchiveStore.layerMemory)))

  it.effect("a second log archived under the same prefix is a Conflict, not an overwrite", () =>
    Effect.gen(function*() {
      for (const [dir, event] of [["/a", { _tag: "Clear" }], ["/b", { _tag: "DeleteNode", nodeId: 1n }]] as const) {
        yield* Effect.scoped(Effect.flatMap(Wal.make({ dir }), (wal) => wal.commitTx([event])))
      }
      yield* Archive.archiveOnce({ dir: "/a", prefix: "shared/" })
      const error = yield* Effect.flip(Archive.archiveOnce({ dir: "/b", prefix: "shared/" }))
      expect(error).toMatchObject({ _tag: "ArchiveError", reason: "Conflict" })
      yield* Archive.restore({ dir: "/restored", prefix: "shared/" })
      expect(yield* replayed("/restored")).toEqual([{ _tag: "Clear" }])
    }).pipe(Effect.provide(machine())))
})

/** Yields until the archiver has completed `count` passes (its fiber runs on the test clock). */
const passes = (archiver: Archive.Archiver, count: number) =>
  Effect.yieldNow().pipe(Effect.zipRight(archiver.status), Effect.repeat({ until: (s) => s.passes >= count }))

/** A memory store whose first `failing` puts fail as a store that does not answer does. */
const flakyStore = (failing: number) =>
  Layer.effect(
    ArchiveStore.ArchiveStore,
    Effect.map(ArchiveStore.makeMemory, (store) => {
      let left = failing
      return ArchiveStore.make({
        ...store,
        putIfAbsent: (key, bytes, sha256) =>
          left-- > 0
            ? Effect.fail(new ArchiveStoreError({ reason: "Unavailable", key, description: "503 Slow Down" }))
            : store.putIfAbsent(key, bytes, sha256)
      })
    })
  )

const memoryMachine = Layer.provideMerge(DirLock.layerMemory, Layer.merge(MemoryFileSystem.layer, Path.layer))

describe("the archiver next to a live log", () => {
  it.scoped("ships each interval what became durable, and a last pass when its scope closes", () =>
    Effect.gen(function*() {
      const committed: Array<Committed> = []
      const commit = (wal: Wal.Wal, i: number) =>
        Effect.gen(function*() {
          const events: ReadonlyArray<MutationEvent> = [{ _tag: "CreateNode", id: BigInt(i), labels: [], properties: new Map() }]
          committed.push({ commitLsn: Option.getOrThrow(yield* wal.commitTx(events)), events })
        })
      yield* Effect.scoped(Effect.gen(function*() {
        const wal = yield* Wal.make({ dir: "/db/wal", segmentTargetBytes: 200 })
        const archiver = yield* Archive.archiver(wal, { interval: "1 second" })
        yield* passes(archiver, 1)
        for (let i = 0; i < 10; i++) yield* commit(wal, i)
        expect((yield* archiver.status).lastPass?.archivedLsn).toBeUndefined()
        yield* TestClock.adjust("1 second")
        yield* passes(archiver, 2)
        expect((yield* archiver.status).lastPass?.archivedLsn).toBe(yield* wal.durableLsn)
        expect(yield* Metric.value(WalMetrics.archiveLagLsns)).toMatchObject({ value: 0n })
        yield* commit(wal, 10)
      }))
      // The last commit came after the last interval: the pass at close shipped it.
      yield* Archive.restore({ dir: "/restored" })
      expect(yield* replayed("/restored")).toEqual(eventsUpTo(committed, 2n ** 64n))
    }).pipe(Effect.provide(Layer.merge(memoryMachine, ArchiveStore.layerMemory))))

  it.scoped("a store that does not answer is retried on the schedule, counted, and never stops a commit", () =>
    Effect.gen(function*() {
      const wal = yield* Wal.make({ dir: "/db/wal" })
      const archiver = yield* Archive.archiver(wal, { interval: "1 hour", retry: Schedule.recurs(10) })
      yield* wal.commitTx([{ _tag: "Clear" }])
      const pass = yield* archiver.archiveNow
      expect(pass.archivedLsn).toBe(3n)
      const status = yield* archiver.status
      expect(status.failures).toBe(3)
      expect(status.lastFailure).toMatchObject({ reason: "Unavailable" })
      expect(yield* wal.commitTx([{ _tag: "Clear" }])).toEqual(Option.some(6n))
    }).pipe(Effect.provide(Layer.merge(memoryMachine, flakyStore(3)))))

  it.scoped("while the store does not answer, the lag metrics grow; the pass that catches up brings them back to 0", () =>
    Effect.gen(function*() {
      let down = true
      const faulty = FaultyArchiveStore.wrap(yield* ArchiveStore.makeMemory, () => (down ? "Unavailable" : undefined))
      const wal = yield* Wal.make({ dir: "/db/wal" })
      const archiver = yield* Archive.archiver(wal, { interval: "1 second", retry: Schedule.stop }).pipe(
        Effect.provideService(ArchiveStore.ArchiveStore, faulty.store)
      )
      yield* wal.commitTx([{ _tag: "Clear" }])
      yield* TestClock.adjust("10 seconds")
      yield* Effect.yieldNow().pipe(Effect.zipRight(archiver.status), Effect.repeat({ until: (s) => s.failures >= 11 }))
      expect(yield* Metric.value(WalMetrics.archiveLagLsns)).toMatchObject({ value: 3n })
      expect((yield* Metric.value(WalMetrics.archiveLagSeconds)).value).toBeGreaterThanOrEqual(10)
      down = false
      yield* archiver.archiveNow
      expect(yield* Metric.value(WalMetrics.archiveLagLsns)).toMatchObject({ value: 0n })
      expect(yield* Metric.value(WalMetrics.archiveLagSeconds)).toMatchObject({ value: 0 })
      expect(yield* Metric.value(WalMetrics.archiveLagBytes)).toMatchObject({ value: 0 })
    }).pipe(Effect.provide(memoryMachine)))

  it.live("closing the log returns while the archiver is retrying a store that does not answer", () =>
    Effect.gen(function*() {
      const down = FaultyArchiveStore.wrap(yield* ArchiveStore.makeMemory, () => "Unavailable")
      const scope = yield* Scope.make()
      const wal = yield* Wal.make({ dir: "/db/wal", syncMode: SyncMode.Group({ intervalMs: 1000 }) }).pipe(Scope.extend(scope))
      const archiver = yield* Archive.archiver(wal, { interval: "50 millis" }).pipe(
        Scope.extend(scope),
        Effect.provideService(ArchiveStore.ArchiveStore, down.store)
      )
      yield* wal.commitTx([{ _tag: "Clear" }])
      // The loop is in its retries (the default schedule retries forever).
      yield* archiver.status.pipe(Effect.repeat({ until: (s) => s.failures >= 2, schedule: Schedule.spaced("10 millis") }))
      const closed = yield* Scope.close(scope, Exit.void).pipe(Effect.disconnect, Effect.timeout("5 seconds"), Effect.either)
      expect(closed._tag).toBe("Right")
      // The log's own close ran: the Group fsync made the commit durable.
      expect(yield* replayed("/db/wal")).toEqual([{ _tag: "Clear" }])
    }).pipe(Effect.provide(memoryMachine)))

  it.live("closing the log returns while a caller's archiveNow retries a store that does not answer", () =>
    Effect.gen(function*() {
      let down = false
      const store = FaultyArchiveStore.wrap(yield* ArchiveStore.makeMemory, () => (down ? "Unavailable" : undefined))
      const scope = yield* Scope.make()
      const wal = yield* Wal.make({ dir: "/db/wal" }).pipe(Scope.extend(scope))
      const archiver = yield* Archive.archiver(wal, { interval: "1 hour" }).pipe(
        Scope.extend(scope),
        Effect.provideService(ArchiveStore.ArchiveStore, store.store)
      )
      yield* archiver.status.pipe(Effect.repeat({ until: (s) => s.passes >= 1, schedule: Schedule.spaced("10 millis") }))
      yield* wal.commitTx([{ _tag: "Clear" }])
      down = true
      // "Before a planned shutdown": archiveNow, retrying (forever, by default), then the shutdown.
      yield* Effect.forkDaemon(archiver.archiveNow)
      yield* archiver.status.pipe(Effect.repeat({ until: (s) => s.failures >= 2, schedule: Schedule.spaced("10 millis") }))
      const closed = yield* Scope.close(scope, Exit.void).pipe(Effect.disconnect, Effect.timeout("5 seconds"), Effect.either)
      expect(closed._tag).toBe("Right")
    }).pipe(Effect.provide(memoryMachine)))

  it.scoped("truncation through the guarded log never removes a segment the archive lacks", () =>
    Effect.gen(function*() {
      const raw = yield* Wal.make({ dir: "/db/wal", segmentTargetBytes: 64 })
      const archiver = yield* Archive.archiver(raw, { interval: "1 hour", retry: Schedule.stop })
      const wal = Archive.guardTruncation(raw, archiver)
      const segmentCount = Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readDirectory("/db/wal")).pipe(
        Effect.map((names) => names.filter((n) => n.endsWith(".wal")).length)
      )
      for (let i = 0; i < 6; i++) yield* wal.commitTx([{ _tag: "Clear" }])
      const before = yield* segmentCount
      // Nothing archived whole yet (the first pass ran before these commits): nothing goes.
      yield* wal.truncateUpTo(unsafeLsn(yield* wal.durableLsn))
      expect(yield* segmentCount).toBe(before)
      yield* archiver.archiveNow
      yield* wal.truncateUpTo(unsafeLsn(yield* wal.durableLsn))
      expect(yield* segmentCount).toBeLessThan(before)
      // What truncation removed is in the archive: a restore still has every commit.
      yield* Archive.restore({ dir: "/restored" })
      expect((yield* replayed("/restored")).length).toBe(6)
    }).pipe(Effect.provide(Layer.merge(memoryMachine, ArchiveStore.layerMemory))))
})
