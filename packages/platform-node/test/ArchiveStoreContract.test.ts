import { NodeContext } from "@effect/platform-node"
import * as FileSystem from "@effect/platform/FileSystem"
import * as ArchiveStore from "@lora-wal/core/ArchiveStore"
import * as Contracts from "@lora-wal/testkit/Contracts"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

// A directory store in a fresh temporary directory for each test, on the Node filesystem.
Contracts.archiveStore(
  "directory, node",
  Layer.unwrapScoped(Effect.map(
    Effect.flatMap(FileSystem.FileSystem, (fs) => fs.makeTempDirectoryScoped({ prefix: "lora-wal-archive-" })),
    (dir) => ArchiveStore.layerFileSystem(dir)
  )).pipe(Layer.provide(NodeContext.layer))
)
