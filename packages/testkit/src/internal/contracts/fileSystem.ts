/**
 * The FileSystem behaviours the log relies on, as tests. Each test runs in a
 * fresh temporary directory made through the filesystem under test and
 * removed when the test ends.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import { expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"

export const fileSystemCases = <E>(layer: Layer.Layer<FileSystem.FileSystem, E>): void => {
  const withDir = <A, E2>(f: (fs: FileSystem.FileSystem, dir: string) => Effect.Effect<A, E2, Scope.Scope>) =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      return yield* f(fs, yield* fs.makeTempDirectoryScoped())
    }).pipe(Effect.scoped, Effect.provide(layer))

  it.effect("exclusive create refuses an existing file", () =>
    withDir((fs, dir) =>
      Effect.gen(function*() {
        yield* fs.open(`${dir}/a`, { flag: "wx", mode: 0o600 })
        expect(yield* Effect.flip(fs.open(`${dir}/a`, { flag: "wx" }))).toMatchObject({
          _tag: "SystemError",
          reason: "AlreadyExists"
        })
      })))

  it.effect("opening or listing something missing is NotFound", () =>
    withDir((fs, dir) =>
      Effect.gen(function*() {
        const notFound = { _tag: "SystemError", reason: "NotFound" }
        expect(yield* Effect.flip(fs.open(`${dir}/nope`, { flag: "r" }))).toMatchObject(notFound)
        expect(yield* Effect.flip(fs.open(`${dir}/nope`, { flag: "r+" }))).toMatchObject(notFound)
        expect(yield* Effect.flip(fs.readDirectory(`${dir}/nope`))).toMatchObject(notFound)
        expect(yield* Effect.flip(fs.stat(`${dir}/nope`))).toMatchObject(notFound)
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
        expect(Array.from(buffer.subarray(0, 5))).toEqual([1, 9, 3, 4, 5])
        yield* file.truncate(3)
        expect(Number((yield* file.stat).size)).toBe(3)
        yield* file.seek(3, "start")
        yield* file.writeAll(Uint8Array.of(7))
        yield* file.sync
        expect(Array.from(yield* fs.readFile(`${dir}/f`))).toEqual([1, 9, 3, 7])
        expect(Number(yield* file.read(buffer))).toBe(0)
      })))

  it.effect("r+ opens an existing file without truncating it", () =>
    withDir((fs, dir) =>
      Effect.gen(function*() {
        yield* fs.writeFile(`${dir}/g`, Uint8Array.of(1, 2, 3))
        const file = yield* fs.open(`${dir}/g`, { flag: "r+" })
        yield* file.seek(3, "start")
        yield* file.writeAll(Uint8Array.of(4))
        expect(Array.from(yield* fs.readFile(`${dir}/g`))).toEqual([1, 2, 3, 4])
      })))

  it.effect("a directory opens read-only and its handle can be fsynced", () =>
    withDir((fs, dir) =>
      Effect.gen(function*() {
        const handle = yield* fs.open(dir, { flag: "r" })
        yield* handle.sync
        expect((yield* fs.stat(dir)).type).toBe("Directory")
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
        expect(Array.from(yield* fs.readFile(`${dir}/z`))).toEqual([2])
        expect(yield* fs.exists(`${dir}/x`)).toBe(false)
        expect(yield* fs.exists(`${dir}/z`)).toBe(true)
      })))

  it.effect("rename replaces an existing file (how files are rewritten atomically)", () =>
    withDir((fs, dir) =>
      Effect.gen(function*() {
        yield* fs.writeFile(`${dir}/old`, Uint8Array.of(1, 1))
        yield* fs.writeFile(`${dir}/new`, Uint8Array.of(2))
        yield* fs.rename(`${dir}/new`, `${dir}/old`)
        expect(Array.from(yield* fs.readFile(`${dir}/old`))).toEqual([2])
        expect((yield* fs.readDirectory(dir)).sort()).toEqual(["old"])
      })))

  it.effect("link gives a file a second name and never replaces one (how archive objects are put if absent)", () =>
    withDir((fs, dir) =>
      Effect.gen(function*() {
        yield* fs.writeFile(`${dir}/a`, Uint8Array.of(1, 2))
        yield* fs.writeFile(`${dir}/b`, Uint8Array.of(3))
        yield* fs.link(`${dir}/a`, `${dir}/c`)
        expect(Array.from(yield* fs.readFile(`${dir}/c`))).toEqual([1, 2])
        expect(yield* Effect.flip(fs.link(`${dir}/a`, `${dir}/b`))).toMatchObject({ _tag: "SystemError", reason: "AlreadyExists" })
        expect(Array.from(yield* fs.readFile(`${dir}/b`))).toEqual([3])
        yield* fs.remove(`${dir}/a`)
        expect(Array.from(yield* fs.readFile(`${dir}/c`))).toEqual([1, 2])
      })))

  it.effect("recursive makeDirectory is idempotent and stat tells files from directories", () =>
    withDir((fs, dir) =>
      Effect.gen(function*() {
        yield* fs.makeDirectory(`${dir}/a/b`, { recursive: true })
        yield* fs.makeDirectory(`${dir}/a/b`, { recursive: true })
        yield* fs.writeFile(`${dir}/a/b/c`, Uint8Array.of(1))
        expect((yield* fs.stat(`${dir}/a/b`)).type).toBe("Directory")
        expect((yield* fs.stat(`${dir}/a/b/c`)).type).toBe("File")
        expect(yield* Effect.flip(fs.makeDirectory(`${dir}/a/b`))).toMatchObject({
          _tag: "SystemError",
          reason: "AlreadyExists"
        })
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
        expect(Array.from(buffer)).toEqual([5, 6])
      })))
}
