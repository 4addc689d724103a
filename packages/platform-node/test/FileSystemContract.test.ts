import { NodeFileSystem } from "@effect/platform-node"
import { MemoryFileSystem } from "@lora-wal/testkit"
import * as Contracts from "@lora-wal/testkit/Contracts"
import * as NodeSyncFileSystem from "../src/NodeSyncFileSystem.js"

// The FileSystem behaviours the log relies on, checked against every Node
// layer and the memory layer alike, so tests on memory mean something on disk.
Contracts.fileSystem("node", NodeFileSystem.layer)
Contracts.fileSystem("node-sync-io", NodeSyncFileSystem.layer)
Contracts.fileSystem("node-sync-writes", NodeSyncFileSystem.layerSyncWrites)
Contracts.fileSystem("memory", MemoryFileSystem.layer)
