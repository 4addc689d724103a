import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { describe, expect, it } from "@effect/vitest"
import type { MutationEvent } from "@lora-wal/core/MutationEvent"
import * as Wal from "@lora-wal/core/Wal"
import { SyncMode } from "@lora-wal/core/WalConfig"
import * as DirLock from "@lora-wal/core/DirLock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { CrashHarness, ManualClock, MemoryFileSystem, SimulatedDisk } from "../src/index.js"

const event = (id: number): MutationEvent => ({ _tag: "CreateNode", id: BigInt(id), labels: [], properties: new Map() })
const Ops = CrashHarness.Op<MutationEvent>()
const counter: CrashHarness.StateModel<MutationEvent, number> = { initial: 0, apply: (n) => n + 1 }

/** Makes chosen fsyncs of directories do nothing, to show what each one protects. */
const skipDirectorySyncs = (skip: (path: string, nth: number) => boolean) => (fs: FileSystem.FileSystem): FileSystem.FileSystem => {
  const seen = new Map<string, number>()
  return {
    ...fs,
    open: (path, options) =>
      Effect.flatMap(Effect.zip(fs.open(path, options), fs.stat(path)), ([file, info]) => {
        if (info.type !== "Directory") return Effect.succeed(file)
        const nth = (seen.get(path) ?? 0) + 1
        seen.set(path, nth)
        return Effect.succeed(skip(path, nth) ? { ...file, sync: Effect.void } : file)
      })
  }
}

/** How many of `cases` crash cases break a promise. */
const violations = (workload: CrashHarness.Workload<MutationEvent>, transformFileSystem?: (fs: FileSystem.FileSystem) => FileSystem.FileSystem) =>
  Effect.gen(function*() {
    let broken = 0
    for (let seed = 0; seed < 300; seed++) {
      const exit = yield* Effect.exit(CrashHarness.runCase({
        workload,
        model: counter,
        crashModel: { data: "DropUnsynced", loseDirectoryEntries: true },
        seed,
        transformFileSystem
      }))
      if (exit._tag === "Failure") broken++
    }
    return broken
  })

const commits = (n: number) => Array.from({ length: n }, (_, i) => Ops.Commit({ events: [event(i)] }))

describe("each directory fsync is needed (directory-entry-loss crashes)", () => {
  const rotating: CrashHarness.Workload<MutationEvent> = { syncMode: SyncMode.PerCommit(), segmentTargetBytes: 64, ops: commits(6) }
  const single: CrashHarness.Workload<MutationEvent> = { syncMode: SyncMode.PerCommit(), segmentTargetBytes: 1 << 20, ops: commits(4) }

  it.effect("with every directory fsync, no case loses a durable commit", () =>
    Effect.gen(function*() {
      expect(yield* violations(rotating)).toBe(0)
      expect(yield* violations(single)).toBe(0)
    }))

  it.effect("without the fsync after rotation, commits in the new segment are lost", () =>
    Effect.gen(function*() {
      expect(yield* violations(rotating, skipDirectorySyncs((path, nth) => path === "/wal" && nth > 1))).toBeGreaterThan(0)
    }))

  it.effect("without the fsync after creating the first segment, the log can vanish", () =>
    Effect.gen(function*() {
      // The first fsync of /wal is the one every open makes; the second follows the first segment's creation.
      expect(yield* violations(single, skipDirectorySyncs((path, nth) => path === "/wal" && nth === 2))).toBeGreaterThan(0)
    }))

  it.effect("without the fsync of a new log directory's parent, the whole directory can vanish", () =>
    Effect.gen(function*() {
      expect(yield* violations(single, skipDirectorySyncs((path) => path === "/"))).toBeGreaterThan(0)
    }))

  it.effect("the harness catches a log whose file fsyncs do nothing", () =>
    Effect.gen(function*() {
      const noFileSync = (fs: FileSystem.FileSystem): FileSystem.FileSystem => ({
        ...fs,
        open: (path, options) =>
          Effect.map(fs.open(path, options), (file) => (path.endsWith(".wal") ? { ...file, sync: Effect.void } : file))
      })
      expect(yield* violations(single, noFileSync)).toBeGreaterThan(0)
    }))
})

describe("the directory fsync after truncation", () => {
  // Truncated segments are all at or below the snapshot's fence, so no durable
  // commit depends on it; what it buys is a truncation that stays done.
  const truncateThenCrash = (skipAfterTruncation: boolean) =>
    Effect.gen(function*() {
      const state = new SimulatedDisk.SimulatedDisk()
      let skipping = false
      const fsLayer = Layer.succeed(
        FileSystem.FileSystem,
        skipDirectorySyncs(() => skipping)(MemoryFileSystem.make(state))
      )
      yield* Effect.scoped(Effect.gen(function*() {
        const wal = yield* Wal.make({ dir: "/wal", segmentTargetBytes: 64 })
        for (let i = 0; i < 6; i++) yield* wal.commitTx([event(i)])
        yield* wal.forceFsync
        skipping = skipAfterTruncation
        yield* wal.truncateUpTo((yield* wal.status).durableLsn)
      })).pipe(Effect.provide(Layer.provideMerge(DirLock.layerMemory, Layer.merge(fsLayer, Path.layer))))
      const after = state.crash({ data: "DropUnsynced", loseDirectoryEntries: true })
      return after.children("/wal").filter((name) => name.endsWith(".wal")).sort()
    })

  it.effect("keeps truncated segments deleted across a directory-entry-loss crash; without it they come back", () =>
    Effect.gen(function*() {
      expect(yield* truncateThenCrash(false)).toEqual(["0000000005.wal", "0000000006.wal"])
      expect((yield* truncateThenCrash(true)).length).toBe(6)
    }))
})

describe("ManualClock", () => {
  it.effect("drives the Group flusher: one fsync per interval covered", () =>
    ManualClock.withManualClock((clock) =>
      Effect.gen(function*() {
        const state = new SimulatedDisk.SimulatedDisk()
        const layer = Layer.provideMerge(DirLock.layerMemory, Layer.merge(MemoryFileSystem.layerWith(state), Path.layer))
        yield* Effect.scoped(Effect.gen(function*() {
          const wal = yield* Wal.make({ dir: "/wal", syncMode: SyncMode.Group({ intervalMs: 10 }) })
          yield* wal.commitTx([event(1)])
          expect((yield* wal.status).durableLsn).toBe(0n)
          yield* clock.adjust(9)
          expect((yield* wal.status).durableLsn).toBe(0n)
          yield* clock.adjust(1)
          expect((yield* wal.status).durableLsn).toBe(3n)
        })).pipe(Effect.provide(layer))
      })
    ))
})

describe("crash models only damage what was never made durable", () => {
  const setup = () => {
    const state = new SimulatedDisk.SimulatedDisk()
    const fs = MemoryFileSystem.make(state)
    return { state, fs }
  }
  for (const model of SimulatedDisk.crashModels) {
    it.effect(`${model.data}${model.loseDirectoryEntries ? " + lost entries" : ""}`, () =>
      Effect.gen(function*() {
        const { fs, state } = setup()
        yield* fs.makeDirectory("/d")
        yield* Effect.scoped(Effect.gen(function*() {
          const dir = yield* fs.open("/", { flag: "r" })
          yield* dir.sync
          const file = yield* fs.open("/d/f", { flag: "w" })
          yield* file.writeAll(new Uint8Array(1000).fill(1))
          yield* file.sync
          yield* (yield* fs.open("/d", { flag: "r" })).sync
          yield* file.writeAll(new Uint8Array(1000).fill(2))
          yield* fs.writeFile("/d/unsynced-entry", Uint8Array.of(9))
        }))
        for (let seed = 1; seed <= 50; seed++) {
          const after = state.crash(model, CrashHarness.prng(seed))
          const bytes = after.read("/d/f")!
          // The synced kilobyte is intact; anything after it was never durable.
          expect(bytes.subarray(0, 1000).every((b) => b === 1)).toBe(true)
          if (model.data === "DropUnsynced") expect(bytes.length).toBe(1000)
          if (model.data === "KeepAll") expect(bytes.length).toBe(2000)
          expect(after.read("/d/unsynced-entry") === undefined).toBe(model.loseDirectoryEntries)
        }
      }))
  }
})
