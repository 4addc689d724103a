import * as FileSystem from "@effect/platform/FileSystem"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { platforms } from "./layers.js"

/**
 * The FileSystem behaviours the log relies on, checked against the Node layer
 * and the memory layer alike, so tests on memory mean something on disk.
 */
for (const platform of platforms) {
  describe(`FileSystem contract (${platform.name})`, () => {
    const withDir = <A, E>(f: (fs: FileSystem.FileSystem, dir: string) => Effect.Effect<A, E, any>) =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = platform.freshDir()
        yield* fs.makeDirectory(dir, { recursive: true })
        return yield* f(fs, dir)
      }).pipe(Effect.scoped, Effect.provide(platform.layer())) as Effect.Effect<A, E>

    it.effect("exclusive create refuses an existing file", () =>
      withDir((fs, dir) =>
        Effect.gen(function*() {
          yield* fs.open(`${dir}/a`, { flag: "wx", mode: 0o600 })
          const second = yield* Effect.either(fs.open(`${dir}/a`, { flag: "wx" }))
          expect(second._tag === "Left" && second.left._tag === "SystemError" && second.left.reason).toBe("AlreadyExists")
        })))

    it.effect("opening a missing file for reading is NotFound", () =>
      withDir((fs, dir) =>
        Effect.gen(function*() {
          const missing = yield* Effect.either(fs.open(`${dir}/nope`, { flag: "r" }))
          expect(missing._tag === "Left" && missing.left._tag === "SystemError" && missing.left.reason).toBe("NotFound")
          const listing = yield* Effect.either(fs.readDirectory(`${dir}/nope`))
          expect(listing._tag === "Left" && listing.left._tag === "SystemError" && listing.left.reason).toBe("NotFound")
        })))

    it.effect("writes go at the position, reads come back, seek and truncate behave", () =>
      withDir((fs, dir) =>
        Effect.gen(function*() {
          const file = yield* fs.open(`${dir}/f`, { flag: "w+" })
          yield* file.writeAll(Uint8Array.of(1, 2, 3, 4, 5))
          yield* file.seek(1, "start")
          yield* file.writeAll(Uint8Array.of(9))
          yield* file.seek(0, "start")
          const buffer = new Uint8Array(10)
          expect(Number(yield* file.read(buffer))).toBe(5)
          expect(buffer.subarray(0, 5)).toEqual(Uint8Array.of(1, 9, 3, 4, 5))
          yield* file.truncate(3)
          expect(Number((yield* file.stat).size)).toBe(3)
          yield* file.seek(3, "start")
          yield* file.writeAll(Uint8Array.of(7))
          yield* file.sync
          expect(Array.from(yield* fs.readFile(`${dir}/f`))).toEqual(Array.from(Uint8Array.of(1, 9, 3, 7)))
          expect(Number(yield* file.read(buffer))).toBe(0)
        })))

    it.effect("r+ opens an existing file without truncating it", () =>
      withDir((fs, dir) =>
        Effect.gen(function*() {
          yield* fs.writeFile(`${dir}/g`, Uint8Array.of(1, 2, 3))
          const file = yield* fs.open(`${dir}/g`, { flag: "r+" })
          yield* file.seek(3, "start")
          yield* file.writeAll(Uint8Array.of(4))
          expect(Array.from(yield* fs.readFile(`${dir}/g`))).toEqual(Array.from(Uint8Array.of(1, 2, 3, 4)))
        })))

    it.effect("a directory opens read-only and its handle can be fsynced", () =>
      withDir((fs, dir) =>
        Effect.gen(function*() {
          const handle = yield* fs.open(dir, { flag: "r" })
          yield* handle.sync
        })))

    it.effect("readDirectory lists names, remove and rename change the listing", () =>
      withDir((fs, dir) =>
        Effect.gen(function*() {
          yield* fs.writeFile(`${dir}/x`, Uint8Array.of(1))
          yield* fs.writeFile(`${dir}/y`, Uint8Array.of(2))
          expect((yield* fs.readDirectory(dir)).sort()).toEqual(["x", "y"])
          yield* fs.remove(`${dir}/x`)
          yield* fs.rename(`${dir}/y`, `${dir}/z`)
          expect((yield* fs.readDirectory(dir)).sort()).toEqual(["z"])
          expect(Array.from(yield* fs.readFile(`${dir}/z`))).toEqual(Array.from(Uint8Array.of(2)))
          expect(yield* fs.exists(`${dir}/x`)).toBe(false)
        })))

    it.effect("recursive makeDirectory is idempotent and stat tells files from directories", () =>
      withDir((fs, dir) =>
        Effect.gen(function*() {
          yield* fs.makeDirectory(`${dir}/a/b`, { recursive: true })
          yield* fs.makeDirectory(`${dir}/a/b`, { recursive: true })
          yield* fs.writeFile(`${dir}/a/b/c`, Uint8Array.of(1))
          expect((yield* fs.stat(`${dir}/a/b`)).type).toBe("Directory")
          expect((yield* fs.stat(`${dir}/a/b/c`)).type).toBe("File")
        })))

    it.effect("a new file gets the requested mode", () =>
      withDir((fs, dir) =>
        Effect.gen(function*() {
          yield* fs.open(`${dir}/m`, { flag: "wx", mode: 0o600 })
          expect((yield* fs.stat(`${dir}/m`)).mode & 0o777).toBe(0o600)
        })))

    it.effect("an open handle keeps reading after its path is removed", () =>
      withDir((fs, dir) =>
        Effect.gen(function*() {
          yield* fs.writeFile(`${dir}/h`, Uint8Array.of(5, 6))
          const file = yield* fs.open(`${dir}/h`, { flag: "r" })
          yield* fs.remove(`${dir}/h`)
          const buffer = new Uint8Array(2)
          expect(Number(yield* file.read(buffer))).toBe(2)
          expect(buffer).toEqual(Uint8Array.of(5, 6))
        })))
  })
}
