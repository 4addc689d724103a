import * as Path from "@effect/platform/Path"
import { describe, expect, it } from "@effect/vitest"
import * as DirLock from "@lora-wal/core/DirLock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { CrashHarness, MemoryFileSystem, SimulatedDisk } from "../src/index.js"
import * as KvLog from "./kvLog.js"

const ENTRIES = KvLog.keys(12)

/**
 * The filesystem operations the program has made when it first
 * acknowledges, counted on a disk of our own: the crash just after that
 * instant (before operation count + 1) is the earliest that can lose an
 * acknowledged put.
 */
const operationsAtFirstAcknowledgement = (put: KvLog.Put) =>
  Effect.gen(function*() {
    const disk = new SimulatedDisk.SimulatedDisk()
    let first: number | undefined
    const ledger: CrashHarness.Ledger<string> = {
      attempt: () => Effect.void,
      acknowledge: () => Effect.sync(() => void (first ??= disk.operations))
    }
    yield* Effect.scoped(KvLog.write(put, ENTRIES)(ledger)).pipe(
      Effect.provide(Layer.provideMerge(DirLock.layerMemory, Layer.merge(MemoryFileSystem.layerWith(disk), Path.layer)))
    )
    return first!
  })

describe("CrashHarness.check: the user's own program under crashes", () => {
  it.live("a log that fsyncs before acknowledging keeps every promise", () =>
    Effect.gen(function*() {
      const report = yield* CrashHarness.check({
        write: KvLog.write(KvLog.durablePut, ENTRIES),
        recover: KvLog.recover,
        invariant: KvLog.invariant,
        numRuns: 300,
        seed: 11
      })
      // One file fsync per put; each put also writes, so at least two operations per put.
      expect(report.fsyncs).toBe(ENTRIES.length)
      expect(report.operations).toBeGreaterThanOrEqual(2 * ENTRIES.length)
      expect(report.runs).toBe(300)
    }))

  it.live("acknowledging before the fsync is caught, and shrunk to the earliest crash that shows it", () =>
    Effect.gen(function*() {
      const violation = yield* Effect.flip(CrashHarness.check({
        write: KvLog.write(KvLog.ackBeforeFsync, ENTRIES),
        recover: KvLog.recover,
        invariant: KvLog.invariant,
        seed: 11
      }))
      expect(violation._tag).toBe("ProgramViolation")
      expect(violation.stage).toBe("recovery")
      const crash = Option.getOrThrow(violation.crash)
      // The first sequence and crash model that can lose an unsynced write...
      expect(crash.sequence).toBe("PowerLoss")
      expect(crash.crashModel).toEqual({ data: "DropUnsynced", loseDirectoryEntries: false })
      // ...and power lost at the fsync right after the first acknowledgement; the seed matters not.
      expect(crash.at).toBe((yield* operationsAtFirstAcknowledgement(KvLog.ackBeforeFsync)) + 1)
      expect(crash.seed).toBe(0)
      expect(violation.acknowledged).toEqual(["k0"])
      const recovered = Option.getOrThrow(violation.recovered) as ReadonlyMap<string, string>
      expect(recovered.has("k0")).toBe(false)
    }))

  it.live("retrying a failed fsync is caught: the data it dropped is gone after the next power loss", () =>
    Effect.gen(function*() {
      const violation = yield* Effect.flip(CrashHarness.check({
        write: KvLog.write(KvLog.retryFailedFsync, ENTRIES),
        recover: KvLog.recover,
        invariant: KvLog.invariant,
        seed: 11
      }))
      const crash = Option.getOrThrow(violation.crash)
      // Only a failed fsync shows it, under every crash model: the first is KeepAll.
      expect(crash.sequence).toBe("FsyncFailure")
      expect(crash.crashModel).toEqual({ data: "KeepAll", loseDirectoryEntries: false })
      // The first put's fsync, the last operation before its acknowledgement.
      expect(crash.at).toBe(yield* operationsAtFirstAcknowledgement(KvLog.retryFailedFsync))
      // The killed process's page cache still had the record; the disk never did.
      expect(violation.stage).toBe("recovery after a later power loss")
      expect(violation.acknowledged).toEqual(ENTRIES)
      expect((Option.getOrThrow(violation.recovered) as ReadonlyMap<string, string>).has("k0")).toBe(false)
    }))

  it.live("a write program that fails on a healthy disk is reported before any crash", () =>
    Effect.gen(function*() {
      const violation = yield* Effect.flip(CrashHarness.check({
        write: () => Effect.fail("disk full"),
        recover: KvLog.recover,
        invariant: () => true
      }))
      expect(violation.stage).toBe("write")
      expect(Option.isNone(violation.crash)).toBe(true)
    }))
})
