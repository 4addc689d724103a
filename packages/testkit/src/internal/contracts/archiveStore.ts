/**
 * The ArchiveStore behaviours the archiver and restore rely on, as tests.
 * Each test runs on a fresh build of the layer (an empty store).
 */
import { expect, it } from "@effect/vitest"
import { ArchiveStore, sha256Hex } from "@lora-wal/core/ArchiveStore"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"

const bytesOf = (text: string) => new TextEncoder().encode(text)

export const archiveStoreCases = <E>(layer: Layer.Layer<ArchiveStore, E>): void => {
  const withStore = <A, E2>(f: (store: ArchiveStore) => Effect.Effect<A, E2>) =>
    Effect.flatMap(ArchiveStore, f).pipe(Effect.provide(layer))

  const put = (store: ArchiveStore, key: string, text: string) =>
    Effect.flatMap(sha256Hex(bytesOf(text)), (sha256) => store.putIfAbsent(key, bytesOf(text), sha256))

  const read = (store: ArchiveStore, key: string) =>
    Effect.map(Stream.runCollect(store.get(key)), (chunks) =>
      new TextDecoder().decode(Buffer.concat(Chunk.toReadonlyArray(chunks))))

  const reasonOf = <A>(effect: Effect.Effect<A, { readonly reason: string }>) =>
    Effect.match(effect, { onFailure: (e) => e.reason, onSuccess: () => "succeeded" })

  it.effect("an object put is read back whole, and head and list describe it", () =>
    withStore((store) =>
      Effect.gen(function*() {
        expect(yield* put(store, "segments/0000000001.wal", "first")).toBe("created")
        expect(yield* read(store, "segments/0000000001.wal")).toBe("first")
        const sha256 = yield* sha256Hex(bytesOf("first"))
        expect(yield* store.head("segments/0000000001.wal")).toEqual({ key: "segments/0000000001.wal", size: 5, sha256 })
        expect(Chunk.toReadonlyArray(yield* Stream.runCollect(store.list("segments/")))).toEqual([
          { key: "segments/0000000001.wal", size: 5 }
        ])
      })))

  it.effect("a second put of a key answers exists and changes nothing, whatever its bytes", () =>
    withStore((store) =>
      Effect.gen(function*() {
        expect(yield* put(store, "a", "one")).toBe("created")
        expect(yield* put(store, "a", "one")).toBe("exists")
        expect(yield* put(store, "a", "two")).toBe("exists")
        expect(yield* read(store, "a")).toBe("one")
      })))

  it.effect("a put whose checksum does not match its bytes fails with ChecksumMismatch and stores nothing", () =>
    withStore((store) =>
      Effect.gen(function*() {
        const wrong = yield* sha256Hex(bytesOf("other"))
        expect(yield* reasonOf(store.putIfAbsent("a", bytesOf("one"), wrong))).toBe("ChecksumMismatch")
        expect(yield* store.head("a")).toBeUndefined()
        expect(yield* put(store, "a", "one")).toBe("created")
      })))

  it.effect("a missing object is NotFound to get and undefined to head; removing one succeeds", () =>
    withStore((store) =>
      Effect.gen(function*() {
        expect(yield* reasonOf(Stream.runDrain(store.get("missing")))).toBe("NotFound")
        expect(yield* store.head("missing")).toBeUndefined()
        yield* store.remove("missing")
        yield* put(store, "x/y", "bytes")
        yield* store.remove("x/y")
        expect(yield* reasonOf(Stream.runDrain(store.get("x/y")))).toBe("NotFound")
        expect(yield* put(store, "x/y", "again")).toBe("created")
        expect(yield* read(store, "x/y")).toBe("again")
      })))

  it.effect("list gives the keys that start with the prefix, nested or not, in key order", () =>
    withStore((store) =>
      Effect.gen(function*() {
        for (const key of ["b/2", "a/bc", "a/b/x", "a/b/y", "a/a", "c"]) yield* put(store, key, key)
        const keys = (prefix: string) =>
          Effect.map(Stream.runCollect(store.list(prefix)), (infos) => Chunk.toReadonlyArray(infos).map((i) => i.key))
        expect(yield* keys("")).toEqual(["a/a", "a/b/x", "a/b/y", "a/bc", "b/2", "c"])
        expect(yield* keys("a/b")).toEqual(["a/b/x", "a/b/y", "a/bc"])
        expect(yield* keys("a/b/")).toEqual(["a/b/x", "a/b/y"])
        expect(yield* keys("d")).toEqual([])
        expect(yield* keys("nothing/here/")).toEqual([])
      })))

  it.effect("an empty object is an object", () =>
    withStore((store) =>
      Effect.gen(function*() {
        expect(yield* put(store, "empty", "")).toBe("created")
        expect(yield* read(store, "empty")).toBe("")
        expect((yield* store.head("empty"))?.size).toBe(0)
      })))

  it.effect("keys that are not plain /-separated names are Refused", () =>
    withStore((store) =>
      Effect.gen(function*() {
        for (const key of ["", "/abs", "a//b", "../x", "a/./b", "x.sha256", ".tmp-1", "sp ace", "a/"]) {
          expect([key, yield* reasonOf(put(store, key, "x"))]).toEqual([key, "Refused"])
          expect([key, yield* reasonOf(Stream.runDrain(store.get(key)))]).toEqual([key, "Refused"])
        }
      })))
}
