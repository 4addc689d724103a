import { NodeFileSystem } from "@effect/platform-node"
import type { DirLock } from "@lora-wal/core/DirLock"
import * as Contracts from "@lora-wal/testkit/Contracts"
import * as Layer from "effect/Layer"
import * as NodeDirLock from "../src/NodeDirLock.js"

// The Node lock keeps the promises the memory lock keeps (packages/testkit/test/Contracts.test.ts):
// as the default layer chooses it, and in each of its two modes whatever LORA_WAL_LOCK says.
const withNodeFileSystem = <E>(lock: Layer.Layer<DirLock, E>) => Layer.merge(NodeFileSystem.layer, lock)

Contracts.dirLock("node, default", withNodeFileSystem(NodeDirLock.layer))
Contracts.dirLock("node, flock", withNodeFileSystem(NodeDirLock.layerWith({ kind: "flock" })))
Contracts.dirLock("node, pid-file fallback", withNodeFileSystem(NodeDirLock.layerWith({ kind: "pidfile" })))
