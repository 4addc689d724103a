import { NodeContext, NodePath } from "@effect/platform-node"
import * as Contracts from "@lora-wal/testkit/Contracts"
import * as Layer from "effect/Layer"
import * as NodeDirLock from "../src/NodeDirLock.js"
import * as NodeSyncFileSystem from "../src/NodeSyncFileSystem.js"

// The log keeps the promises it keeps on memory (packages/testkit/test/Contracts.test.ts) on the
// Node stacks: the platform's own filesystem, and NodeWal's default I/O (synchronous writes,
// fsyncs on the thread pool). The lock is NodeDirLock.layer, as NodeWal takes it. Each test's
// directory is a temporary one made through the filesystem and removed when the test ends.
Contracts.wal("node", Layer.merge(NodeContext.layer, NodeDirLock.layer))
Contracts.wal(
  "node, NodeWal's default I/O (syncWrites)",
  Layer.mergeAll(NodeSyncFileSystem.layerSyncWrites, NodePath.layer, NodeDirLock.layer)
)
