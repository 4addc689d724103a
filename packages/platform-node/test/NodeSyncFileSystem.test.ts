import * as FileSystem from "@effect/platform/FileSystem"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as NodeSyncFileSystem from "../src/NodeSyncFileSystem.js"

const text = (bytes: Option.Option<Uint8Array>) => Option.map(bytes, (b) => new TextDecoder().decode(b))

const layers = [["layer", NodeSyncFileSystem.layer], ["layerSyncWrites", NodeSyncFileSystem.layerSyncWrites]] as const

for (const [name, layer] of layers) {
  describe(`NodeSyncFileSystem.${name}`, () => {
    it.scoped("readAlloc reads at the position that read and seek share, and advances it", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const file = `${yield* fs.makeTempDirectoryScoped()}/data`
        yield* fs.writeFileString(file, "0123456789")
        const handle = yield* fs.open(file)
        expect(text(yield* handle.readAlloc(4))).toEqual(Option.some("0123"))
        const two = new Uint8Array(2)
        yield* handle.read(two)
        expect(new TextDecoder().decode(two)).toBe("45")
        expect(text(yield* handle.readAlloc(1))).toEqual(Option.some("6"))
        yield* handle.seek(1, "current")
        // A short read returns only the bytes that were there.
        expect(text(yield* handle.readAlloc(10))).toEqual(Option.some("89"))
        expect(yield* handle.readAlloc(4)).toEqual(Option.none())
        yield* handle.seek(2, "start")
        expect(text(yield* handle.readAlloc(3))).toEqual(Option.some("234"))
      }).pipe(Effect.provide(layer)))
  })
}
