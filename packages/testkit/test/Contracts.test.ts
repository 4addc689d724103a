import * as Path from "@effect/platform/Path"
import * as ArchiveStore from "@lora-wal/core/ArchiveStore"
import * as DirLock from "@lora-wal/core/DirLock"
import * as Contracts from "@lora-wal/testkit/Contracts"
import * as Layer from "effect/Layer"
import { MemoryFileSystem } from "../src/index.js"

// The memory layers meet the same contracts as the Node ones
// (packages/platform-node/test/*Contract.test.ts), so tests on memory mean something on disk.
const memoryPlatform = Layer.provideMerge(DirLock.layerMemory, Layer.merge(MemoryFileSystem.layer, Path.layer))

Contracts.fileSystem("memory", MemoryFileSystem.layer)
Contracts.dirLock("memory", memoryPlatform)
// Each test builds the platform once: one simulated disk that every reopen of the test sees.
Contracts.wal("memory", memoryPlatform)

Contracts.archiveStore("memory", ArchiveStore.layerMemory)
Contracts.archiveStore(
  "directory, memory filesystem",
  Layer.provide(ArchiveStore.layerFileSystem("/archive"), Layer.merge(MemoryFileSystem.layer, Path.layer))
)
