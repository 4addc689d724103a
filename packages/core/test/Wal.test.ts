import * as Path from "@effect/platform/Path"
import { FaultyFileSystem, MemoryFileSystem } from "@lora-wal/testkit"
import * as FileSystem from "@effect/platform/FileSystem"
import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import * as DirLock from "../src/DirLock.js"
import { unsafeMake as lsn } from "../src/Lsn.js"
import type { MutationEvent } from "../src/MutationEvent.js"
import * as Replay from "../src/Replay.js"
import * as Wal from "../src/Wal.js"
import { AlreadyOpen, Poisoned, type WalError } from "../src/WalError.js"
import { MIN_BUDGET } from "./scheduling.js"
import { SyncMode } from "../src/WalConfig.js"

const event = (id: number): MutationEvent => ({ _tag: "DeleteNode", nodeId: BigInt(id) })

const setup = () => {
  const state = new MemoryFileSystem.MemoryState()
  const faults = new FaultyFileSystem.Faults()
  const fsLayer = FaultyFileSystem.layer(faults).pipe(Layer.provide(MemoryFileSystem.layerWith(state)))
  return { state, faults, layer: Layer.provideMerge(DirLock.layerMemory, fsLayer) }
}

/** Lets fibers woken by the test clock run to completion (memory I/O never blocks). */
const settle = Effect.repeatN(Effect.yieldNow(), 50)

const fileSyncs = (faults: FaultyFileSystem.Faults) => faults.synced.filter((s) => s.path.endsWith(".wal")).length

describe("Group mode under the test clock", () => {
  it.scoped("fsyncs once per interval while there is unsynced data, and durableLsn follows the fsyncs", () => {
    const { faults, layer } = setup()
    return Effect.gen(function*() {
      const wal = yield* Wal.make({ dir: "/log", syncMode: SyncMode.Group({ intervalMs: 50 }) })
      const syncsAtOpen = fileSyncs(faults)
      yield* wal.commitTx([event(1)])
      yield* wal.commitTx([event(2)])
      expect((yield* wal.status).durableLsn).toBe(0n)
      yield* TestClock.adjust(49)
      yield* settle
      expect(fileSyncs(faults)).toBe(syncsAtOpen)
      yield* TestClock.adjust(1)
      yield* settle
      expect(fileSyncs(faults)).toBe(syncsAtOpen + 1)
      expect((yield* wal.status).durableLsn).toBe(6n)
      // Nothing new: the next intervals do not fsync.
      yield* TestClock.adjust(200)
      yield* settle
      expect(fileSyncs(faults)).toBe(syncsAtOpen + 1)
      // New data is picked up by the next tick only.
      yield* wal.commitTx([event(3)])
      expect((yield* wal.status).durableLsn).toBe(6n)
      yield* TestClock.adjust(50)
      yield* settle
      expect(fileSyncs(faults)).toBe(syncsAtOpen + 2)
      expect((yield* wal.status).durableLsn).toBe(9n)
      // forceFsync advances at once.
      yield* wal.commitTx([event(4)])
      yield* wal.forceFsync
      expect((yield* wal.status).durableLsn).toBe(12n)
    }).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
  })

  it.effect("close does the final fsync after stopping the flusher, and a reopen sees everything", () => {
    const { faults, layer } = setup()
    return Effect.gen(function*() {
      const scope = yield* Scope.make()
      const wal = yield* Wal.make({ dir: "/log", syncMode: SyncMode.Group({ intervalMs: 1000 }) }).pipe(Scope.extend(scope))
      const before = fileSyncs(faults)
      yield* wal.commitTx([event(1)])
      yield* Scope.close(scope, Exit.void)
      expect(fileSyncs(faults)).toBe(before + 1)
      const reopened = yield* Effect.scoped(Effect.map(Wal.make({ dir: "/log" }), (w) => w.recovery.committedEvents))
      expect(reopened).toEqual([event(1)])
    }).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
  })

  it.scoped("a failed background fsync latches bgFailure and every later operation is Poisoned", () => {
    const { faults, layer } = setup()
    return Effect.gen(function*() {
      const wal = yield* Wal.make({ dir: "/log", syncMode: SyncMode.Group({ intervalMs: 10 }) })
      yield* wal.commitTx([event(1)])
      faults.inject({ operation: "sync", nth: 1, code: "EIO", pathIncludes: ".wal" })
      yield* TestClock.adjust(10)
      yield* settle
      const status = yield* wal.status
      expect(Option.isSome(status.bgFailure)).toBe(true)
      const latched = Option.getOrThrow(status.bgFailure)
      expect(latched.description).toContain("EIO")
      expect(status.durableLsn).toBe(0n)
      const operations: ReadonlyArray<Effect.Effect<unknown, WalError>> = [
        wal.commitTx([event(2)]),
        wal.flush,
        wal.forceFsync,
        wal.begin,
        wal.append(lsn(1n), event(3))
      ]
      for (const operation of operations) {
        const error = yield* Effect.flip(operation)
        expect(error).toBeInstanceOf(Poisoned)
        expect(error.message).toBe("WAL is poisoned: a previous append failed and the log is no longer durable")
        // The error carries the fsync failure that latched it.
        expect(error._tag === "Poisoned" && error.cause).toBe(latched)
      }
      // The failed fsync is not retried by the flusher.
      const syncCalls = faults.calls.sync
      yield* TestClock.adjust(100)
      yield* settle
      expect(faults.calls.sync).toBe(syncCalls)
    }).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
  })
})

describe("foreground failures poison", () => {
  for (const mode of [SyncMode.PerCommit(), SyncMode.Group({ intervalMs: 10 }), SyncMode.None()]) {
    it.effect(`a failed write (${mode._tag}) fails the commit, poisons, and leaves no fragment after reopen`, () => {
      const { faults, layer } = setup()
      return Effect.gen(function*() {
        yield* Effect.scoped(Effect.gen(function*() {
          const wal = yield* Wal.make({ dir: "/log", syncMode: mode })
          yield* wal.commitTx([event(1)])
          faults.inject({ operation: "write", nth: 1, code: "ENOSPC", shortWriteBytes: 30, pathIncludes: ".wal" })
          const failed = yield* Effect.flip(wal.commitTx([event(2), event(3)]))
          expect(failed).toMatchObject({ _tag: "Io" })
          expect(failed.message).toContain("ENOSPC")
          expect(yield* Effect.flip(wal.commitTx([event(4)]))).toMatchObject({ _tag: "Poisoned", cause: failed })
        }))
        faults.clear()
        yield* Effect.scoped(Effect.gen(function*() {
          const wal = yield* Wal.make({ dir: "/log", syncMode: mode })
          expect(wal.recovery.tornTailTruncated).toBe(true)
          expect(wal.recovery.committedEvents).toEqual([event(1)])
          yield* wal.commitTx([event(5)])
        }))
        const replayed = yield* Replay.replayDir("/log")
        expect(replayed.committedEvents).toEqual([event(1), event(5)])
        expect(Option.isNone(replayed.tornTail)).toBe(true)
      }).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
    })
  }

  it.scoped("a failed PerCommit fsync fails that commit and poisons; nothing reports success after it", () => {
    const { faults, layer } = setup()
    return Effect.gen(function*() {
      const wal = yield* Wal.make({ dir: "/log" })
      yield* wal.commitTx([event(1)])
      const durable = (yield* wal.status).durableLsn
      faults.inject({ operation: "sync", nth: 1, code: "EIO", pathIncludes: ".wal" })
      const failed = yield* Effect.flip(wal.commitTx([event(2)]))
      expect(failed).toMatchObject({ _tag: "Io" })
      expect((yield* wal.status).durableLsn).toBe(durable)
      expect(yield* Effect.flip(wal.forceFsync)).toMatchObject({ _tag: "Poisoned", cause: failed })
      expect(yield* Effect.flip(wal.commitTx([event(3)]))).toMatchObject({ _tag: "Poisoned", cause: failed })
    }).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
  })
})

describe("recovery", () => {
  it.effect("repair truncates at mid-log corruption on request", () => {
    const { layer, state } = setup()
    return Effect.gen(function*() {
      yield* Effect.scoped(Effect.gen(function*() {
        const wal = yield* Wal.make({ dir: "/log" })
        for (let i = 0; i < 5; i++) yield* wal.commitTx([event(i)])
      }))
      const bytes = state.read("/log/0000000001.wal")!
      const second = 32 + 3 * (bytes.length - 32) / 5 / 3 // start of the second transaction
      bytes[second + 30] = bytes[second + 30]! ^ 0xff
      state.write("/log/0000000001.wal", bytes)
      const refused = yield* Effect.flip(Effect.scoped(Wal.make({ dir: "/log" })))
      expect(refused).toMatchObject({ _tag: "Corruption", segmentPath: "/log/0000000001.wal" })
      expect(state.read("/log/0000000001.wal")).toEqual(bytes)
      const repaired = yield* Effect.scoped(Effect.map(Wal.make({ dir: "/log", repair: true }), (w) => w.recovery))
      expect(repaired.committedEvents).toEqual([event(0)])
      expect(repaired.tornTailTruncated).toBe(true)
      // Cut right after the second transaction's TxBegin (a 25-byte marker), where the damaged batch starts.
      expect(state.read("/log/0000000001.wal")!.length).toBe(second + 25)
    }).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
  })

  it.effect("damage at the end of a sealed newest segment is Malformed, not a torn tail to cut", () => {
    const { layer, state } = setup()
    return Effect.gen(function*() {
      yield* Effect.scoped(Effect.gen(function*() {
        const wal = yield* Wal.make({ dir: "/log", segmentTargetBytes: 64 })
        for (let i = 0; i < 3; i++) yield* wal.commitTx([event(i)])
      }))
      // The newest (active) segment is gone, so segment 2, sealed, is the newest; then its end is damaged.
      state.nodes.delete("/log/0000000003.wal")
      const sealed = state.read("/log/0000000002.wal")!
      state.write("/log/0000000002.wal", Uint8Array.of(...sealed, 0xde, 0xad))
      const refused = yield* Effect.flip(Effect.scoped(Wal.make({ dir: "/log" })))
      expect(refused).toMatchObject({ _tag: "Malformed", reason: "torn tail found in sealed segment /log/0000000002.wal" })
      expect(state.read("/log/0000000002.wal")!.length).toBe(sealed.length + 2)
    }).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
  })

  it.effect("a second open of a live directory is AlreadyOpen; after close it opens", () => {
    const { layer } = setup()
    return Effect.gen(function*() {
      const scope = yield* Scope.make()
      yield* Wal.make({ dir: "/log" }).pipe(Scope.extend(scope))
      const second = yield* Effect.flip(Effect.scoped(Wal.make({ dir: "/log" })))
      expect(second).toBeInstanceOf(AlreadyOpen)
      expect(second.message).toBe("WAL directory is already open by another live handle: /log")
      yield* Scope.close(scope, Exit.void)
      yield* Effect.scoped(Wal.make({ dir: "/log" }))
    }).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
  })

  it.effect("truncateUpTo keeps the active segment and its predecessor, and is idempotent", () => {
    const { layer, state } = setup()
    return Effect.gen(function*() {
      const wal = yield* Wal.make({ dir: "/log", segmentTargetBytes: 64 })
      for (let i = 0; i < 6; i++) yield* wal.commitTx([event(i)])
      const status = yield* wal.status
      expect(status.activeSegmentId).toBe(6n)
      yield* wal.truncateUpTo(status.nextLsn)
      yield* wal.truncateUpTo(status.nextLsn)
      expect(state.children("/log").filter((n) => n.endsWith(".wal")).sort()).toEqual(["0000000005.wal", "0000000006.wal"])
      expect((yield* wal.status).oldestSegmentId).toBe(5n)
    }).pipe(Effect.scoped, Effect.provide(Layer.provideMerge(layer, Path.layer)))
  })

  it.effect("closing a PerCommit log drops records that were only buffered (as lora-wal)", () => {
    const { layer } = setup()
    return Effect.gen(function*() {
      yield* Effect.scoped(Effect.gen(function*() {
        const wal = yield* Wal.make({ dir: "/log" })
        const tx = yield* wal.begin
        yield* wal.append(tx, event(1))
        yield* wal.commit(tx)
      }))
      const replayed = yield* Replay.replayDir("/log")
      expect(replayed.maxLsn).toBe(0n)
    }).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
  })
})

describe("fsync EIO in every sync mode", () => {
  const modes = [SyncMode.PerCommit(), SyncMode.Group({ intervalMs: 10 }), SyncMode.None()]
  for (const mode of modes) {
    it.effect(`${mode._tag}: poisons, nothing reports success after it, durable commits survive reopen`, () => {
      const { faults, layer } = setup()
      return Effect.gen(function*() {
        yield* Effect.scoped(Effect.gen(function*() {
          const wal = yield* Wal.make({ dir: "/log", syncMode: mode })
          yield* wal.commitTx([event(1)])
          yield* wal.commitTx([event(2)])
          yield* wal.forceFsync
          expect((yield* wal.status).durableLsn).toBe(6n)
          faults.inject({ operation: "sync", nth: 1, code: "EIO", pathIncludes: ".wal", persistent: true })
          // Whatever makes this mode fsync next: a commit, the flusher, or forceFsync.
          const failed = yield* Effect.exit(
            mode._tag === "PerCommit"
              ? Effect.asVoid(wal.commitTx([event(3)]))
              : Effect.zipRight(wal.commitTx([event(3)]), mode._tag === "Group" ? Effect.zipRight(TestClock.adjust(10), settle) : wal.forceFsync)
          )
          if (mode._tag !== "Group") expect(Exit.isFailure(failed)).toBe(true)
          expect(Option.isSome((yield* wal.status).bgFailure)).toBe(true)
          const operations: ReadonlyArray<Effect.Effect<unknown, WalError>> = [
            wal.commitTx([event(4)]),
            wal.flush,
            wal.forceFsync,
            wal.checkpointMarker(lsn(1n))
          ]
          for (const operation of operations) expect((yield* Effect.flip(operation))._tag).toBe("Poisoned")
          // None's durableLsn means "handed to the OS" and moved with the write of commit 3.
          expect((yield* wal.status).durableLsn).toBe(mode._tag === "None" ? 9n : 6n)
        }))
        faults.clear()
        const reopened = yield* Effect.scoped(Effect.map(Wal.make({ dir: "/log" }), (w) => w.recovery.committedEvents))
        expect(reopened.slice(0, 2)).toEqual([event(1), event(2)])
        expect(reopened.every((e) => e._tag === "DeleteNode" && e.nodeId !== 4n)).toBe(true)
      }).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
    })
  }
})

describe("interruption", () => {
  /**
   * The memory filesystem where, once `slow.on` is set, a write reaches the
   * file at once but reports completion one (test clock) second later, as an
   * asynchronous write whose fiber has not resumed yet.
   */
  const slowWrites = (state: MemoryFileSystem.MemoryState, slow: { on: boolean }) => {
    const memory = MemoryFileSystem.make(state)
    return Layer.succeed(FileSystem.FileSystem, {
      ...memory,
      open: (path, options) =>
        Effect.map(memory.open(path, options), (file) => ({
          ...file,
          writeAll: (bytes: Uint8Array) =>
            slow.on ? Effect.zipLeft(file.writeAll(bytes), Effect.sleep("1 second")) : file.writeAll(bytes)
        }))
    } satisfies FileSystem.FileSystem)
  }

  for (const mode of [SyncMode.PerCommit(), SyncMode.None()]) {
    it.effect(`${mode._tag}: a commit interrupted during its write finishes it, and nothing is written twice`, () => {
      const state = new MemoryFileSystem.MemoryState()
      const slow = { on: false }
      const layer = Layer.provideMerge(DirLock.layerMemory, slowWrites(state, slow))
      return Effect.gen(function*() {
        yield* Effect.scoped(Effect.gen(function*() {
          const wal = yield* Wal.make({ dir: "/log", syncMode: mode })
          slow.on = true
          const commit = yield* Effect.fork(wal.commitTx([event(1)]))
          yield* TestClock.adjust("10 millis")
          yield* settle
          const interrupted = yield* Effect.fork(Fiber.interrupt(commit))
          yield* TestClock.adjust("1 second")
          yield* settle
          yield* Fiber.join(interrupted)
          // The interrupted commit's bytes were written exactly once: the next commit follows them.
          const next = yield* Effect.fork(wal.commitTx([event(2)]))
          yield* TestClock.adjust("1 second")
          yield* settle
          expect(yield* Fiber.join(next)).toEqual(Option.some(lsn(6n)))
          expect((yield* wal.status).nextLsn).toBe(7n)
          slow.on = false
        }))
        const replayed = yield* Replay.replayDir("/log")
        expect(replayed.committedEvents).toEqual([event(1), event(2)])
        expect(Option.isNone(replayed.tornTail)).toBe(true)
      }).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
    })
  }
})

describe("concurrency under adversarial scheduling", () => {
  it.live("concurrent commits finish under every sync mode and every yield budget from 10 to 64 (no lost wakeup)", () =>
    Effect.gen(function*() {
      for (const syncMode of [SyncMode.None(), SyncMode.Group({ intervalMs: 1 }), SyncMode.PerCommit()]) {
        for (let budget = MIN_BUDGET; budget <= 64; budget++) {
          const { layer } = setup()
          yield* Effect.scoped(Effect.gen(function*() {
            const wal = yield* Wal.make({ dir: "/log", syncMode })
            const committer = (c: number) => Effect.forEach([0, 1, 2], (j) => wal.commitTx([event(c * 3 + j)]))
            yield* Effect.all(Array.from({ length: 8 }, (_, c) => committer(c)), { concurrency: "unbounded" }).pipe(
              Effect.withMaxOpsBeforeYield(budget),
              // Commits are uninterruptible: a hung one is left behind rather than awaited.
              Effect.disconnect,
              Effect.timeoutFail({
                duration: "5 seconds",
                onTimeout: () => `commits hung under ${syncMode._tag} with a yield budget of ${budget}`
              })
            )
            expect((yield* wal.status).nextLsn).toBe(lsn(1n + 8n * 3n * 3n))
          })).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
        }
      }
    }))
})

/** A fresh "process": its own lock table over the given machine. */
const processOn = (machine: MemoryFileSystem.MemoryState, transform = (fs: FileSystem.FileSystem) => fs) =>
  Layer.provideMerge(DirLock.layerMemory, Layer.succeed(FileSystem.FileSystem, transform(MemoryFileSystem.make(machine))))

/** Directory fsyncs that do nothing: a process that dies before each of them. */
const noDirectorySyncs = (fs: FileSystem.FileSystem): FileSystem.FileSystem => ({
  ...fs,
  open: (path, options) =>
    Effect.map(fs.open(path, options), (file) => (path === "/log" && options?.flag === "r" ? { ...file, sync: Effect.void } : file))
})

const replayedCommits = (machine: MemoryFileSystem.MemoryState) =>
  Effect.map(
    Replay.replayDir("/log").pipe(Effect.provide(Layer.provideMerge(processOn(machine), Path.layer))),
    (outcome) => outcome.committedEvents.map((e) => (e as { readonly nodeId: bigint }).nodeId)
  )

describe("regressions: compound failures", () => {
  it.effect("a segment a dead process created without its directory fsync survives a power loss after the next open's commits", () =>
    Effect.gen(function*() {
      const machine = new MemoryFileSystem.MemoryState()
      // Process 1 creates the log and dies before any directory fsync reaches the disk.
      yield* Effect.scoped(Wal.make({ dir: "/log" })).pipe(Effect.provide(Layer.provideMerge(processOn(machine, noDirectorySyncs), Path.layer)))
      const restarted = machine.processCrash()
      yield* Effect.scoped(Effect.flatMap(Wal.make({ dir: "/log" }), (wal) => wal.commitTx([event(1)]))).pipe(
        Effect.provide(Layer.provideMerge(processOn(restarted), Path.layer))
      )
      const afterPowerLoss = restarted.crash({ data: "DropUnsynced", loseDirectoryEntries: true })
      expect(yield* replayedCommits(afterPowerLoss)).toEqual([1n])
    }))

  it.effect("after a failed fsync, the restarted log does not take the dropped records as durable", () =>
    Effect.gen(function*() {
      const machine = new MemoryFileSystem.MemoryState()
      yield* Effect.scoped(Effect.gen(function*() {
        const wal = yield* Wal.make({ dir: "/log" })
        yield* wal.commitTx([event(1)])
        machine.fsyncFault = () => true
        expect((yield* Effect.flip(wal.commitTx([event(2)])))._tag).toBe("Io")
        machine.fsyncFault = undefined
      })).pipe(Effect.provide(Layer.provideMerge(processOn(machine), Path.layer)))
      // The process dies; its successor still reads commit 2 from the page cache and returns it.
      const restarted = machine.processCrash()
      const recovered = yield* Effect.scoped(Effect.gen(function*() {
        const wal = yield* Wal.make({ dir: "/log" })
        yield* wal.commitTx([event(3)])
        return wal.recovery.committedEvents.length
      })).pipe(Effect.provide(Layer.provideMerge(processOn(restarted), Path.layer)))
      expect(recovered).toBe(2)
      // What the restart returned, and what it acknowledged since, survive a power loss.
      const afterPowerLoss = restarted.crash({ data: "DropUnsynced", loseDirectoryEntries: true })
      expect(yield* replayedCommits(afterPowerLoss)).toEqual([1n, 2n, 3n])
    }))

  it.effect("a failed open releases the lock: a retry with repair in the same scope succeeds", () =>
    Effect.gen(function*() {
      const machine = new MemoryFileSystem.MemoryState()
      yield* Effect.scoped(Effect.flatMap(Wal.make({ dir: "/log" }), (wal) =>
        Effect.forEach([1, 2, 3], (i) => wal.commitTx([event(i)])))).pipe(Effect.provide(Layer.provideMerge(processOn(machine), Path.layer)))
      const bytes = machine.read("/log/0000000001.wal")!
      bytes[32 + 6]! ^= 0xff // the first record's LSN: valid records follow, so this is corruption
      machine.write("/log/0000000001.wal", bytes)
      yield* Effect.scoped(Effect.gen(function*() {
        expect((yield* Effect.flip(Wal.make({ dir: "/log" })))._tag).toBe("Corruption")
        const repaired = yield* Wal.make({ dir: "/log", repair: true })
        expect(repaired.recovery.committedEvents).toEqual([])
      })).pipe(Effect.provide(Layer.provideMerge(processOn(machine), Path.layer)))
    }))

  it.effect("truncateUpTo on a closed handle fails and deletes nothing, though a newer handle owns the directory", () =>
    Effect.gen(function*() {
      const { layer, state } = setup()
      yield* Effect.gen(function*() {
        const closed = yield* Effect.scoped(Effect.gen(function*() {
          const wal = yield* Wal.make({ dir: "/log", segmentTargetBytes: 64 })
          yield* Effect.forEach([1, 2, 3, 4, 5], (i) => wal.commitTx([event(i)]))
          return wal
        }))
        yield* Effect.scoped(Effect.gen(function*() {
          yield* Wal.make({ dir: "/log", segmentTargetBytes: 64 })
          const before = state.children("/log").sort()
          expect(yield* Effect.flip(closed.truncateUpTo(lsn(1000n)))).toMatchObject({ _tag: "Closed", dir: "/log" })
          expect(state.children("/log").sort()).toEqual(before)
        }))
      }).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
    }))

  it.effect("truncateUpTo on a poisoned handle fails with Poisoned", () =>
    Effect.gen(function*() {
      const { faults, layer } = setup()
      yield* Effect.scoped(Effect.gen(function*() {
        const wal = yield* Wal.make({ dir: "/log", segmentTargetBytes: 64 })
        yield* Effect.forEach([1, 2, 3], (i) => wal.commitTx([event(i)]))
        faults.inject({ operation: "sync", nth: 1, code: "EIO" })
        yield* Effect.flip(wal.commitTx([event(4)]))
        expect((yield* Effect.flip(wal.truncateUpTo(lsn(1000n))))._tag).toBe("Poisoned")
      })).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
    }))

  it.effect("a segment target at or below the header size still writes a log that reopens", () =>
    Effect.gen(function*() {
      for (const segmentTargetBytes of [1, 31, 32, 33]) {
        const { layer } = setup()
        yield* Effect.gen(function*() {
          yield* Effect.scoped(Effect.flatMap(Wal.make({ dir: "/log", segmentTargetBytes }), (wal) =>
            Effect.forEach([1, 2, 3], (i) => wal.commitTx([event(i)]))))
          const reopened = yield* Effect.scoped(Wal.make({ dir: "/log", segmentTargetBytes }))
          expect(reopened.recovery.committedEvents).toEqual([event(1), event(2), event(3)])
          const bases = reopened.recovery.summary.segments.map((s) => s.baseLsn)
          expect(new Set(bases).size).toBe(bases.length)
        }).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
      }
    }))

  it.effect("open fails with Malformed, naming both LSNs, when the log does not reach back to the fence", () =>
    Effect.gen(function*() {
      const { layer } = setup()
      yield* Effect.gen(function*() {
        yield* Effect.scoped(Effect.gen(function*() {
          const wal = yield* Wal.make({ dir: "/log", segmentTargetBytes: 64 })
          yield* Effect.forEach([1, 2, 3, 4, 5, 6], (i) => wal.commitTx([event(i)]))
          yield* wal.truncateUpTo(lsn(12n))
        }))
        const error = yield* Effect.flip(Effect.scoped(Wal.make({ dir: "/log", segmentTargetBytes: 64, fence: 0n })))
        expect(error._tag).toBe("Malformed")
        expect(error.message).toMatch(/the log starts at lsn \d+ but the fence is lsn 0/)
      }).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
    }))
})

/** A file fsync that takes a few turns (as on libuv's thread pool), so other fibers run meanwhile. */
const slowFsync = (started: { count: number }) => (fs: FileSystem.FileSystem): FileSystem.FileSystem => ({
  ...fs,
  open: (path, options) =>
    Effect.map(fs.open(path, options), (file) =>
      path.endsWith(".wal")
        ? { ...file, sync: Effect.suspend(() => (started.count++, Effect.zipRight(Effect.repeatN(Effect.yieldNow(), 5), file.sync))) }
        : file)
})

/** Fails the first fsync of `path` as Linux does (data dropped, still readable). */
const failFirstFsyncOf = (machine: MemoryFileSystem.MemoryState, path: string) => {
  let armed = true
  machine.fsyncFault = (p) => {
    if (!armed || !p.endsWith(path)) return false
    armed = false
    return true
  }
}

/**
 * Opens a log whose segment 1 is full after one more commit, starts `inFlight`
 * (it fsyncs segment 1, and that fsync fails as Linux's does), and commits
 * meanwhile, which must rotate. Returns that commit's outcome and durableLsn.
 */
const rotateWhileFsyncFails = (
  machine: MemoryFileSystem.MemoryState,
  syncMode: SyncMode,
  inFlight: (wal: Wal.Wal) => Effect.Effect<unknown, unknown>
) =>
  Effect.gen(function*() {
    yield* Effect.scoped(Effect.flatMap(Wal.make({ dir: "/log" }), (wal) => wal.commitTx([event(1)]))).pipe(Effect.provide(Layer.provideMerge(processOn(machine), Path.layer)))
    const segmentTargetBytes = machine.read("/log/0000000001.wal")!.length + 1
    const started = { count: 0 }
    const outcome = yield* Effect.scoped(Effect.gen(function*() {
      const wal = yield* Wal.make({ dir: "/log", segmentTargetBytes, syncMode })
      const before = yield* wal.nextLsn
      failFirstFsyncOf(machine, "0000000001.wal")
      const first = yield* Effect.fork(Effect.either(inFlight(wal)))
      while (started.count === 0) yield* Effect.yieldNow()
      const rotating = yield* Effect.either(wal.commitTx([event(3)]))
      yield* Fiber.join(first)
      expect(yield* wal.nextLsn).toBeGreaterThan(before)
      return { rotating: rotating._tag, durableLsn: (yield* wal.status).durableLsn }
    })).pipe(Effect.provide(Layer.provideMerge(processOn(machine, slowFsync(started)), Path.layer)))
    machine.fsyncFault = undefined
    return outcome
  })

describe("regressions: a rotation racing a failed fsync (audit)", () => {
  it.live("PerCommit: a commit that rotates while another's fsync fails is refused, and durableLsn never covers the dropped commit", () =>
    Effect.gen(function*() {
      const machine = new MemoryFileSystem.MemoryState()
      const outcome = yield* rotateWhileFsyncFails(machine, SyncMode.PerCommit(), (wal) => wal.commitTx([event(2)]))
      expect(outcome).toEqual({ rotating: "Left", durableLsn: 3n })
      // A restarted process returns what it reads; all of it, and its own commit, survive a power loss.
      const restarted = machine.processCrash()
      const recovered = yield* Effect.scoped(Effect.gen(function*() {
        const wal = yield* Wal.make({ dir: "/log" })
        yield* wal.commitTx([event(4)])
        return wal.recovery.committedEvents.map((e) => (e as { readonly nodeId: bigint }).nodeId)
      })).pipe(Effect.provide(Layer.provideMerge(processOn(restarted), Path.layer)))
      const afterPowerLoss = yield* replayedCommits(restarted.crash({ data: "DropUnsynced", loseDirectoryEntries: true }))
      expect(afterPowerLoss).toEqual([...recovered, 4n])
    }))

  it.live("Group: a commit that rotates while the forced fsync fails is refused, and durableLsn stays below it", () =>
    Effect.gen(function*() {
      const machine = new MemoryFileSystem.MemoryState()
      const outcome = yield* rotateWhileFsyncFails(
        machine,
        SyncMode.Group({ intervalMs: 60_000 }),
        (wal) => Effect.zipRight(wal.commitTx([event(2)]), wal.forceFsync)
      )
      expect(outcome).toEqual({ rotating: "Left", durableLsn: 3n })
    }))
})

describe("regressions: a log that ends below the fence (audit)", () => {
  for (const [name, logged] of [["an empty log", 0], ["a log ending below the fence", 2]] as const) {
    it.effect(`with ${name}, new commits get LSNs above the fence and the next recovery returns them`, () =>
      Effect.gen(function*() {
        const { layer } = setup()
        yield* Effect.gen(function*() {
          yield* Effect.scoped(Effect.flatMap(Wal.make({ dir: "/log" }), (wal) =>
            Effect.forEach(Array.from({ length: logged }, (_, i) => i), (i) => wal.commitTx([event(i)]))))
          const nextLsn = yield* Effect.scoped(Effect.gen(function*() {
            const wal = yield* Wal.make({ dir: "/log", fence: 100n })
            yield* wal.commitTx([event(7)])
            return (yield* wal.status).nextLsn
          }))
          expect(nextLsn).toBe(lsn(104n))
          const reopened = yield* Effect.scoped(Wal.make({ dir: "/log", fence: 100n }))
          expect(reopened.recovery.committedEvents).toEqual([event(7)])
        }).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
      }))
  }
})

/** The commit LSN and events of each committed transaction in `/log`. */
const committed = Effect.suspend(() => {
  const transactions: Array<{ readonly commitLsn: bigint; readonly events: ReadonlyArray<MutationEvent> }> = []
  return Effect.as(
    Replay.run("/log", { onTransaction: (tx) => Effect.sync(() => void transactions.push(tx)) }),
    transactions
  )
})

describe("transactions", () => {
  it.effect("commitTx returns each commit's own LSN, also with concurrent committers", () => {
    const { layer } = setup()
    return Effect.gen(function*() {
      const lsns = yield* Effect.scoped(Effect.flatMap(Wal.make({ dir: "/log" }), (wal) =>
        Effect.forEach([1, 2, 3, 4, 5, 6], (i) => wal.commitTx([event(i)]), { concurrency: "unbounded" })))
      const logged = yield* committed
      expect(lsns.map(Option.getOrThrow)).toEqual(logged.map((tx) => tx.commitLsn))
      expect(new Set(logged.map((tx) => tx.commitLsn)).size).toBe(6)
    }).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
  })

  it.effect("an empty commit writes nothing and has no LSN", () => {
    const { layer } = setup()
    return Effect.gen(function*() {
      yield* Effect.scoped(Effect.gen(function*() {
        const wal = yield* Wal.make({ dir: "/log" })
        expect(yield* wal.commitTx([])).toEqual(Option.none())
        expect(yield* wal.withTransaction(() => Effect.succeed("read only"))).toEqual({
          value: "read only",
          commitLsn: Option.none()
        })
        expect(yield* wal.nextLsn).toBe(1n)
      }))
      expect(yield* committed).toEqual([])
    }).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
  })

  it.effect("withTransaction commits what the body appended as one transaction, with its LSN", () => {
    const { layer } = setup()
    return Effect.gen(function*() {
      const result = yield* Effect.scoped(Effect.flatMap(Wal.make({ dir: "/log" }), (wal) =>
        wal.withTransaction((tx) =>
          Effect.gen(function*() {
            yield* tx.append(event(1))
            yield* tx.appendAll([event(2), event(3)])
            return "done"
          })
        )))
      expect(result.value).toBe("done")
      expect(yield* committed).toEqual([{ beginLsn: 1n, commitLsn: Option.getOrThrow(result.commitLsn), events: [event(1), event(2), event(3)] }])
    }).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
  })

  it.effect("a body that fails, dies or is interrupted writes nothing, and the log goes on", () => {
    const { layer, state } = setup()
    return Effect.gen(function*() {
      yield* Effect.scoped(Effect.gen(function*() {
        const wal = yield* Wal.make({ dir: "/log" })
        const sizeBefore = state.read("/log/0000000001.wal")!.length
        const failed = yield* Effect.flip(wal.withTransaction((tx) => Effect.zipRight(tx.append(event(1)), Effect.fail("refused" as const))))
        expect(failed).toBe("refused")
        const died = yield* Effect.exit(wal.withTransaction((tx) => Effect.zipRight(tx.append(event(2)), Effect.die("bug"))))
        expect(Exit.isFailure(died) && Exit.causeOption(died).pipe(Option.map((c) => c._tag))).toEqual(Option.some("Die"))
        const appended = yield* Deferred.make<void>()
        const fiber = yield* Effect.fork(wal.withTransaction((tx) =>
          Effect.zipRight(Effect.zipRight(tx.append(event(3)), Deferred.succeed(appended, undefined)), Effect.never)
        ))
        yield* Deferred.await(appended)
        yield* Fiber.interrupt(fiber)
        expect(yield* wal.nextLsn).toBe(1n)
        expect(state.read("/log/0000000001.wal")!.length).toBe(sizeBefore)
        yield* wal.withTransaction((tx) => tx.append(event(4)))
      }))
      expect((yield* committed).map((tx) => tx.events)).toEqual([[event(4)]])
    }).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
  })
})
