import * as FileSystem from "@effect/platform/FileSystem"
import { NodeFileSystem } from "@effect/platform-node"
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
  readonly layer: () => Layer.Layer<FileSystem.FileSystem | DirLock>
  readonly freshDir: () => string
}

let counter = 0

export const nodePlatform: Platform = {
  name: "node",
  layer: () => Layer.merge(NodeFileSystem.layer, NodeDirLock.layer),
  freshDir: () => fs.mkdtempSync(path.join(os.tmpdir(), "lora-wal-test-"))
}

export const nodeSyncPlatform: Platform = {
  name: "node-sync-io",
  layer: () => Layer.merge(NodeSyncFileSystem.layer, NodeDirLock.layer),
  freshDir: nodePlatform.freshDir
}

export const nodeSyncWritesPlatform: Platform = {
  name: "node-sync-writes",
  layer: () => Layer.merge(NodeSyncFileSystem.layerSyncWrites, NodeDirLock.layer),
  freshDir: nodePlatform.freshDir
}

export const memoryPlatform: Platform = {
  name: "memory",
  layer: () => {
    const fsLayer = MemoryFileSystem.layer
    return Layer.provideMerge(memoryDirLock, fsLayer)
  },
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
