import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { NodeFileSystem, NodePath } from "@effect/platform-node"
import { onTestFinished } from "@effect/vitest"
import { DirLock, layerMemory as memoryDirLock } from "@lora-wal/core/DirLock"
import { MemoryFileSystem } from "@lora-wal/testkit"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as NodeDirLock from "../src/NodeDirLock.js"
import * as NodeSyncFileSystem from "../src/NodeSyncFileSystem.js"

/** A filesystem + lock pair that a contract test runs against, with a fresh directory per call. */
export interface Platform {
  readonly name: string
  readonly layer: () => Layer.Layer<FileSystem.FileSystem | Path.Path | DirLock>
  /** A directory of its own for the calling test (on disk: removed when that test finishes). */
  readonly freshDir: () => string
}

/** A new directory on disk, removed with its contents when the test that asked for it finishes. */
const diskDir = (): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lora-wal-test-"))
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** The kernel lock, chosen in code so that `LORA_WAL_LOCK` in the environment cannot change what is tested. */
const kernelLock = NodeDirLock.layerWith({ kind: "flock" }).pipe(Layer.orDie)

const onDisk = (name: string, fileSystem: Layer.Layer<FileSystem.FileSystem>): Platform => ({
  name,
  layer: () => Layer.mergeAll(fileSystem, NodePath.layer, kernelLock),
  freshDir: diskDir
})

let counter = 0

export const nodePlatform: Platform = onDisk("node", NodeFileSystem.layer)

export const nodeSyncPlatform: Platform = onDisk("node-sync-io", NodeSyncFileSystem.layer)

export const nodeSyncWritesPlatform: Platform = onDisk("node-sync-writes", NodeSyncFileSystem.layerSyncWrites)

export const memoryPlatform: Platform = {
  name: "memory",
  layer: () => Layer.provideMerge(memoryDirLock, Layer.merge(MemoryFileSystem.layer, Path.layer)),
  freshDir: () => `/data/wal-${counter++}`
}

export const platforms: ReadonlyArray<Platform> = [nodePlatform, nodeSyncPlatform, nodeSyncWritesPlatform, memoryPlatform]

/** Copies a directory from the real disk into whatever filesystem is provided. */
export const copyIn = (from: string, to: string) =>
  Effect.gen(function*() {
    const target = yield* FileSystem.FileSystem
    yield* target.makeDirectory(to, { recursive: true })
    for (const name of fs.readdirSync(from)) {
      yield* target.writeFile(`${to}/${name}`, new Uint8Array(fs.readFileSync(path.join(from, name))))
    }
  })

/** Every file of a directory with its bytes. */
export const snapshot = (dir: string) =>
  Effect.gen(function*() {
    const target = yield* FileSystem.FileSystem
    const names = (yield* target.readDirectory(dir)).sort()
    const out: Record<string, Uint8Array> = {}
    for (const name of names) out[name] = yield* target.readFile(`${dir}/${name}`)
    return out
  })

export const sizes = (files: Record<string, Uint8Array>) =>
  Object.fromEntries(Object.entries(files).map(([k, v]) => [k, v.length]))

export const diskSnapshot = (dir: string): Record<string, Uint8Array> =>
  Object.fromEntries(
    fs.readdirSync(dir).sort().map((name) => [name, new Uint8Array(fs.readFileSync(path.join(dir, name)))])
  )
