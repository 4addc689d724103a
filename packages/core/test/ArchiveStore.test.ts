import * as Path from "@effect/platform/Path"
import { describe, expect, it } from "@effect/vitest"
import { CrashHarness, MemoryFileSystem } from "@lora-wal/testkit"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as ArchiveStore from "../src/ArchiveStore.js"

const storeOn = (machine: MemoryFileSystem.MemoryState) =>
  Layer.provide(ArchiveStore.layerFileSystem("/archive"), Layer.merge(MemoryFileSystem.layerWith(machine), Path.layer))

const KEY = "segments/0000000007.wal"
const BYTES = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) % 251)
const OTHER_KEY = "segments/0000000006.wal"
const OTHER = Uint8Array.from({ length: 1000 }, (_, i) => i % 13)

const put = (bytes: Uint8Array, key = KEY) =>
  Effect.flatMap(ArchiveStore.ArchiveStore, (store) =>
    Effect.flatMap(ArchiveStore.sha256Hex(bytes), (sha256) => store.putIfAbsent(key, bytes, sha256)))

/** What the store holds under `key`: its bytes, "missing", or the reason reading it failed. */
const contents = (key = KEY) => Effect.flatMap(ArchiveStore.ArchiveStore, (store) =>
  Stream.runCollect(store.get(key)).pipe(
    Effect.map((chunks) => Buffer.concat(Chunk.toReadonlyArray(chunks))),
    Effect.catchAll((e) => Effect.succeed(e.reason === "NotFound" ? "missing" : e.reason))
  ))

describe("the directory archive store across crashes", () => {
  for (const model of MemoryFileSystem.crashModels) {
    it.effect(`${model.data}${model.loseDirectoryEntries ? " + lost entries" : ""}: a put interrupted anywhere leaves the whole object or none, and a put after reboot completes it`, () =>
      Effect.gen(function*() {
        let points = 0
        for (let crashAt = 1; ; crashAt++) {
          const machine = new MemoryFileSystem.MemoryState()
          // Another object is already there, durably: the crash must not touch it.
          yield* Effect.provide(put(OTHER, OTHER_KEY), storeOn(machine))
          machine.crashAt(crashAt, model, CrashHarness.prng(crashAt))
          const answer = yield* put(BYTES).pipe(Effect.provide(storeOn(machine)), Effect.orElseSucceed(() => "failed"))
          const after = machine.crashed ?? machine.crash(model, CrashHarness.prng(crashAt))
          expect(yield* Effect.provide(contents(OTHER_KEY), storeOn(after))).toEqual(Buffer.from(OTHER))
          const found = yield* Effect.provide(contents(), storeOn(after))
          if (answer === "created") expect(found, `crash before operation ${crashAt}`).toEqual(Buffer.from(BYTES))
          else expect([Buffer.from(BYTES), "missing"], `crash before operation ${crashAt}`).toContainEqual(found)
          // The put is retried after the reboot, as the archiver does: the object ends up whole.
          expect(["created", "exists"]).toContain(yield* Effect.provide(put(BYTES), storeOn(after)))
          expect(yield* Effect.provide(contents(), storeOn(after))).toEqual(Buffer.from(BYTES))
          points++
          if (machine.crashed === undefined) break
        }
        expect(points).toBeGreaterThan(5)
      }))
  }
})
