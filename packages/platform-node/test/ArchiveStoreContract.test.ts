import { NodeContext } from "@effect/platform-node"
import * as FileSystem from "@effect/platform/FileSystem"
import * as ArchiveStore from "@lora-wal/core/ArchiveStore"
import { describe, expect, it } from "@effect/vitest"
import * as Contracts from "@lora-wal/testkit/Contracts"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"

// A directory store in a fresh temporary directory for each test, on the Node filesystem.
Contracts.archiveStore(
  "directory, node",
  Layer.unwrapScoped(Effect.map(
    Effect.flatMap(FileSystem.FileSystem, (fs) => fs.makeTempDirectoryScoped({ prefix: "lora-wal-archive-" })),
    (dir) => ArchiveStore.layerFileSystem(dir)
  )).pipe(Layer.provide(NodeContext.layer))
)

describe("the directory store under concurrent puts of one key", () => {
  it.live("with different bytes: one answers created, the other exists, and the key always reads back whole", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const store = yield* ArchiveStore.makeFileSystem(yield* fs.makeTempDirectoryScoped({ prefix: "lora-wal-archive-race-" }))
      const put = (key: string, text: string) => {
        const bytes = new TextEncoder().encode(text)
        return Effect.flatMap(ArchiveStore.sha256Hex(bytes), (sha256) => store.putIfAbsent(key, bytes, sha256))
      }
      for (let i = 0; i < 20; i++) {
        const key = `race/object-${i}`
        const answers = yield* Effect.all([put(key, `first ${i}`), put(key, `second ${i}`)], { concurrency: 2 })
        expect([...answers].sort()).toEqual(["created", "exists"])
        const read = new TextDecoder().decode(Buffer.concat(Chunk.toReadonlyArray(yield* Stream.runCollect(store.get(key)))))
        expect([`first ${i}`, `second ${i}`]).toContain(read)
      }
    }).pipe(Effect.scoped, Effect.provide(NodeContext.layer)))
})
