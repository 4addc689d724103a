import * as Path from "@effect/platform/Path"
import { CrashHarness, MemoryFileSystem } from "@lora-wal/testkit"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Checkpoint from "../src/Checkpoint.js"
import * as DirLock from "../src/DirLock.js"
import type { MutationEvent } from "../src/MutationEvent.js"
import * as Wal from "../src/Wal.js"

const event = (id: number): MutationEvent => ({ _tag: "CreateNode", id: BigInt(id), labels: [], properties: new Map() })
const ids = (events: ReadonlyArray<MutationEvent>) => events.map((e) => Number((e as { id: bigint }).id))
const layerFor = (state: MemoryFileSystem.MemoryState) =>
  Layer.provideMerge(DirLock.layerMemory, MemoryFileSystem.layerWith(state))
const encode = (state: ReadonlyArray<number>) => new TextEncoder().encode(JSON.stringify(state))
const decode = (bytes: Uint8Array): Array<number> => JSON.parse(new TextDecoder().decode(bytes))

const COMMITS = 12

/** Builds a log of COMMITS durable commits, then runs a checkpoint, crashing before its `crashAt`-th operation. */
const crashDuringCheckpoint = (crashAt: number, model: MemoryFileSystem.CrashModel, seed: number) =>
  Effect.gen(function*() {
    const machine = new MemoryFileSystem.MemoryState()
    const applied: Array<number> = []
    let checkpointed = false
    yield* Effect.scoped(Effect.gen(function*() {
      const wal = yield* Wal.make({ dir: "/db/wal", segmentTargetBytes: 128 })
      for (let i = 0; i < COMMITS; i++) {
        yield* wal.commitTx([event(i)])
        applied.push(i)
      }
      machine.crashAt(crashAt, model, CrashHarness.prng(seed))
      yield* Checkpoint.checkpoint(wal, { snapshotDir: "/db/snapshots", write: () => Effect.succeed(encode(applied)) })
      checkpointed = true
    })).pipe(Effect.catchAll(() => Effect.void), Effect.provide(Layer.provideMerge(layerFor(machine), Path.layer)))
    return { after: machine.crashed ?? machine.crash(model, CrashHarness.prng(seed)), checkpointed, applied }
  })

describe("a crash at every step of a checkpoint", () => {
  for (const model of MemoryFileSystem.crashModels) {
    it.effect(`${model.data}${model.loseDirectoryEntries ? " + lost entries" : ""}: recovers every durable commit; snapshots are never half-written`, () =>
      Effect.gen(function*() {
        let steps = 0
        for (let crashAt = 1; ; crashAt++) {
          const { after, applied, checkpointed } = yield* crashDuringCheckpoint(crashAt, model, crashAt)
          const recovered = yield* Effect.scoped(Effect.gen(function*() {
            // Every intact snapshot holds exactly the state at its LSN: 3 LSNs per commit.
            for (const snapshot of yield* Checkpoint.listSnapshots("/db/snapshots")) {
              expect(decode(snapshot.payload)).toEqual(applied.slice(0, Number(snapshot.lsn) / 3))
            }
            const { snapshot, wal } = yield* Checkpoint.recover<MutationEvent>({ dir: "/db/wal", snapshotDir: "/db/snapshots" })
            const base = Option.match(snapshot, { onNone: () => [], onSome: (s) => decode(s.payload) })
            return [...base, ...ids(wal.recovery.committedEvents as ReadonlyArray<MutationEvent>)]
          })).pipe(Effect.provide(Layer.provideMerge(layerFor(after), Path.layer)))
          expect(recovered, `crash before operation ${crashAt}`).toEqual(applied)
          steps++
          if (checkpointed) break
        }
        expect(steps).toBeGreaterThan(5)
      }))
  }

  it.effect("recovery warns when the log has a newer checkpoint marker than the snapshot found", () =>
    Effect.gen(function*() {
      const machine = new MemoryFileSystem.MemoryState()
      yield* Effect.scoped(Effect.gen(function*() {
        const wal = yield* Wal.make({ dir: "/db/wal" })
        yield* wal.commitTx([event(1)])
        yield* Checkpoint.checkpoint(wal, { snapshotDir: "/db/snapshots", write: () => Effect.succeed(encode([1])) })
      })).pipe(Effect.provide(Layer.provideMerge(layerFor(machine), Path.layer)))
      // The snapshot went missing (restored from an older backup, say).
      for (const name of machine.children("/db/snapshots")) machine.nodes.delete(`/db/snapshots/${name}`)
      const newer = yield* Effect.scoped(
        Effect.map(Checkpoint.recover({ dir: "/db/wal", snapshotDir: "/db/snapshots" }), (r) => r.newerCheckpointInLog)
      ).pipe(Effect.provide(Layer.provideMerge(layerFor(machine), Path.layer)))
      expect(newer).toEqual(Option.some(3n))
    }))
})

describe("recovery from an older snapshot", () => {
  it.effect("with the newest snapshot damaged, recovery falls back to the older one and finds every commit after it", () =>
    Effect.gen(function*() {
      const machine = new MemoryFileSystem.MemoryState()
      const committed: Array<number> = []
      const snapshots: Array<Array<number>> = []
      yield* Effect.scoped(Effect.gen(function*() {
        const wal = yield* Wal.make({ dir: "/wal", segmentTargetBytes: 64 })
        for (let round = 0; round < 3; round++) {
          for (let i = 0; i < 4; i++) {
            const id = round * 4 + i
            yield* wal.commitTx([event(id)])
            committed.push(id)
          }
          const state = committed.slice()
          yield* Checkpoint.checkpoint(wal, { snapshotDir: "/snap", write: () => Effect.succeed(encode(state)) })
          snapshots.push(state)
        }
        yield* Effect.forEach([100, 101], (id) => Effect.as(wal.commitTx([event(id)]), committed.push(id)))
      })).pipe(Effect.provide(Layer.provideMerge(layerFor(machine), Path.layer)))
      const names = machine.children("/snap").sort()
      expect(names).toHaveLength(2)
      const newest = `/snap/${names[1]}`
      const bytes = machine.read(newest)!
      bytes[bytes.length - 1]! ^= 0xff
      machine.write(newest, bytes)
      const rebuilt = yield* Effect.scoped(Effect.gen(function*() {
        const recovered = yield* Checkpoint.recover<MutationEvent>({ dir: "/wal", snapshotDir: "/snap", segmentTargetBytes: 64 })
        const base = decode(Option.getOrThrow(recovered.snapshot).payload)
        expect(base).toEqual(snapshots[1])
        return [...base, ...ids(recovered.wal.recovery.committedEvents)]
      })).pipe(Effect.provide(Layer.provideMerge(layerFor(machine), Path.layer)))
      expect(rebuilt).toEqual(committed)
    }))
})
