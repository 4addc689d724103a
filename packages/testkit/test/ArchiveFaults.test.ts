import * as Path from "@effect/platform/Path"
import { describe, expect, it } from "@effect/vitest"
import * as Archive from "@lora-wal/core/Archive"
import * as ArchiveStore from "@lora-wal/core/ArchiveStore"
import * as DirLock from "@lora-wal/core/DirLock"
import type { MutationEvent } from "@lora-wal/core/MutationEvent"
import * as Replay from "@lora-wal/core/Replay"
import * as Wal from "@lora-wal/core/Wal"
import { SyncMode } from "@lora-wal/core/WalConfig"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as fc from "effect/FastCheck"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import { Arbitraries, CrashHarness, FaultyArchiveStore, MemoryFileSystem, SimulatedDisk } from "../src/index.js"

const DIR = "/db/wal"

type Step =
  | { readonly _tag: "commit"; readonly events: ReadonlyArray<MutationEvent> }
  | { readonly _tag: "pass" }
  | { readonly _tag: "crash"; readonly model: SimulatedDisk.CrashModel | "ProcessCrash" }

const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: fc.array(Arbitraries.smallEvent, { minLength: 1, maxLength: 3 }).map((events) => ({ _tag: "commit" as const, events })), weight: 5 },
  { arbitrary: fc.constant({ _tag: "pass" as const }), weight: 3 },
  { arbitrary: fc.constantFrom<SimulatedDisk.CrashModel | "ProcessCrash">("ProcessCrash", ...SimulatedDisk.crashModels).map((model) => ({ _tag: "crash" as const, model })), weight: 1 }
)

interface Committed {
  readonly commitLsn: bigint
  readonly events: ReadonlyArray<MutationEvent>
}

const platformOn = (disk: MemoryFileSystem.MemoryState) =>
  Layer.provideMerge(DirLock.layerMemory, Layer.merge(MemoryFileSystem.layerWith(disk), Path.layer))

/** What a restore from `store` gives back, on a machine of its own. */
const restoreFrom = (store: ArchiveStore.ArchiveStore) =>
  Effect.gen(function*() {
    const restored = yield* Archive.restore({ dir: "/restored" })
    const replayed = yield* Replay.replayDir("/restored")
    return { restored, events: replayed.committedEvents }
  }).pipe(
    Effect.provideService(ArchiveStore.ArchiveStore, store),
    Effect.provide(platformOn(new MemoryFileSystem.MemoryState()))
  )

describe("archiving under crashes of the writer and a failing store", () => {
  it.effect.prop(
    "a restore is always a whole-transaction prefix of what was committed, and after a clean pass it holds everything durable",
    [fc.array(step, { minLength: 1, maxLength: 30 }), fc.constantFrom(SyncMode.PerCommit(), SyncMode.None()), fc.constantFrom(64, 256), fc.integer(), fc.double({ min: 0, max: 0.6, noNaN: true })],
    ([steps, syncMode, segmentTargetBytes, seed, faultRate]) =>
      Effect.gen(function*() {
        const random = CrashHarness.prng(seed)
        const durable = yield* ArchiveStore.makeMemory
        const faulty = FaultyArchiveStore.wrap(durable, () =>
          random() < faultRate ? (random() < 0.5 ? "Unavailable" : "LostAnswer") : undefined)
        let disk = new MemoryFileSystem.MemoryState()
        let history: Array<Committed> = []
        let scope = yield* Scope.make()
        const open = (machine: MemoryFileSystem.MemoryState, crash?: SimulatedDisk.CrashModel | "ProcessCrash") =>
          Effect.gen(function*() {
            const make = (repair: boolean) =>
              Wal.make({ dir: DIR, syncMode, segmentTargetBytes, repair }).pipe(Scope.extend(scope), Effect.provide(platformOn(machine)))
            // Torn sectors can leave garbage before valid unsynced records: open refuses that
            // (Corruption) and the operator repairs, as the crash harness does. Only there.
            const wal = yield* make(false).pipe(
              Effect.catchTag("Corruption", (e) =>
                typeof crash === "object" && crash.data === "SectorChaos" ? make(true) : Effect.fail(e))
            )
            // What recovery kept is the history now: a power loss may take the unsynced tail (None).
            history = history.filter((c) => c.commitLsn <= wal.recovery.summary.maxLsn)
            return wal
          })
        let wal = yield* open(disk)
        // The handle and the disk change at each crash: looked up when the pass runs.
        const pass = Effect.suspend(() =>
          Effect.flatMap(wal.status, ({ syncedLsn }) =>
            Archive.archiveOnce({ dir: DIR, durableLsn: syncedLsn }).pipe(
              Effect.provideService(ArchiveStore.ArchiveStore, faulty.store),
              Effect.provide(platformOn(disk))
            ))
        )
        for (const s of steps) {
          if (s._tag === "commit") {
            history.push({ commitLsn: Option.getOrThrow(yield* wal.commitTx(s.events)), events: s.events })
          } else if (s._tag === "pass") {
            const result = yield* Effect.either(pass)
            // The store's failures are the only ones: never damage, never a conflict.
            if (result._tag === "Left") expect(result.left).toMatchObject({ _tag: "ArchiveStoreError", reason: "Unavailable" })
          } else {
            yield* Scope.close(scope, Exit.void)
            disk = s.model === "ProcessCrash" ? disk.processCrash() : disk.crash(s.model, random)
            scope = yield* Scope.make()
            wal = yield* open(disk, s.model)
          }
          const { events, restored } = yield* restoreFrom(durable)
          expect(restored.gap).toBeUndefined()
          const upTo = restored.lastLsn ?? 0n
          expect(events).toEqual(history.filter((c) => c.commitLsn <= upTo).flatMap((c) => c.events))
        }
        // The store heals and the log is made durable: one clean pass holds everything.
        yield* wal.forceFsync
        yield* Effect.flatMap(wal.status, ({ syncedLsn }) =>
          Archive.archiveOnce({ dir: DIR, durableLsn: syncedLsn }).pipe(
            Effect.provideService(ArchiveStore.ArchiveStore, durable),
            Effect.provide(platformOn(disk))
          ))
        yield* Scope.close(scope, Exit.void)
        const { events } = yield* restoreFrom(durable)
        expect(events).toEqual(history.flatMap((c) => c.events))
      }),
    { fastCheck: { numRuns: 150 } }
  )
})
