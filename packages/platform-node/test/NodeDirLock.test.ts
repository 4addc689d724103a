import * as FileSystem from "@effect/platform/FileSystem"
import { NodeFileSystem } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { DirLock, LOCK_FILE } from "@lora-wal/core/DirLock"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as NodeDirLock from "../src/NodeDirLock.js"

const fsExt = createRequire(import.meta.url)("fs-ext") as { flockSync(fd: number, flags: "exnb" | "un"): void }
const withoutFsExt = fileURLToPath(new URL("./withoutFsExt.mjs", import.meta.url))

/** Whether the kernel lock on `file` is held, probed through an open file description of our own. */
const kernelLockHeld = (file: string): boolean => {
  const fd = fs.openSync(file, "r")
  try {
    fsExt.flockSync(fd, "exnb")
    fsExt.flockSync(fd, "un")
    return false
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EWOULDBLOCK" || (e as NodeJS.ErrnoException).code === "EAGAIN") return true
    throw e
  } finally {
    fs.closeSync(fd)
  }
}

/** What a lock layer takes on a fresh directory: pid-file claims, and whether the kernel lock is held. */
const lockTakenBy = <E>(lockLayer: Layer.Layer<DirLock, E>) =>
  Effect.gen(function*() {
    const dir = yield* (yield* FileSystem.FileSystem).makeTempDirectoryScoped()
    const lock = yield* Effect.provide(DirLock, lockLayer)
    yield* lock.acquire(dir)
    const ownerDir = path.join(dir, ".lora-wal.owner")
    return {
      claims: fs.existsSync(ownerDir) ? fs.readdirSync(ownerDir).length : 0,
      kernelLockHeld: kernelLockHeld(path.join(dir, LOCK_FILE))
    }
  }).pipe(Effect.provide(NodeFileSystem.layer))

const env = (entries: Record<string, string>) => ConfigProvider.fromMap(new Map(Object.entries(entries)))
const kernel = { claims: 0, kernelLockHeld: true }
const pidFile = { claims: 1, kernelLockHeld: false }

describe("NodeDirLock.layer reads LORA_WAL_LOCK when it is built", () => {
  const cases: ReadonlyArray<[string, Record<string, string>, typeof kernel]> = [
    ["unset: the kernel lock", {}, kernel],
    ["auto: the kernel lock, fs-ext loading here", { LORA_WAL_LOCK: "auto" }, kernel],
    ["flock: the kernel lock", { LORA_WAL_LOCK: "flock" }, kernel],
    ["pidfile: the pid-file fallback", { LORA_WAL_LOCK: "pidfile" }, pidFile]
  ]
  for (const [name, entries, expected] of cases) {
    it.scoped(name, () =>
      Effect.gen(function*() {
        expect(yield* lockTakenBy(NodeDirLock.layer)).toEqual(expected)
      }).pipe(Effect.withConfigProvider(env(entries))))
  }

  it.scoped("an unknown value fails building the layer with a ConfigError on that variable", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(lockTakenBy(NodeDirLock.layer))
      expect(error).toMatchObject({ _tag: "ConfigError", _op: "InvalidData", path: ["LORA_WAL_LOCK"] })
    }).pipe(Effect.withConfigProvider(env({ LORA_WAL_LOCK: "sometimes" }))))
})

describe("NodeDirLock.layerWith takes the kind as an argument", () => {
  it.scoped("whatever LORA_WAL_LOCK says", () =>
    Effect.gen(function*() {
      expect(yield* lockTakenBy(NodeDirLock.layerWith({ kind: "flock" })).pipe(
        Effect.withConfigProvider(env({ LORA_WAL_LOCK: "pidfile" }))
      )).toEqual(kernel)
      expect(yield* lockTakenBy(NodeDirLock.layerWith({ kind: "pidfile" })).pipe(
        Effect.withConfigProvider(env({ LORA_WAL_LOCK: "flock" }))
      )).toEqual(pidFile)
    }))

  it.scoped("where fs-ext cannot load, auto falls back to the pid file and flock fails with Io", () =>
    Effect.gen(function*() {
      const dir = yield* (yield* FileSystem.FileSystem).makeTempDirectoryScoped()
      const report = JSON.parse(execFileSync(process.execPath, [withoutFsExt, dir], { encoding: "utf8" }))
      expect(report).toEqual({ nativeLockAvailable: false, auto: "pid file", flock: "failed: Io", pidfile: "pid file" })
    }).pipe(Effect.provide(NodeFileSystem.layer)))
})
