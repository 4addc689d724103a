/**
 * Everything a Node application needs for a log, in one layer built from a
 * `WalConfig`: the Node filesystem, the kernel directory lock and the log
 * itself (or nothing at all when the configuration is disabled).
 *
 * @since 0.1.0
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as Wal from "@lora-wal/core/Wal"
import type { WalConfig } from "@lora-wal/core/WalConfig"
import * as WalConfigModule from "@lora-wal/core/WalConfig"
import type { OpenError } from "@lora-wal/core/WalError"
import type { ConfigError } from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as NodeCrc32 from "./NodeCrc32.js"
import * as NodeDirLock from "./NodeDirLock.js"
import * as NodeSyncFileSystem from "./NodeSyncFileSystem.js"

/**
 * How the log's open files reach the disk on Node:
 * - `"syncWrites"` (default): reads and writes are synchronous system calls
 *   (a write only copies into the page cache, microseconds), fsyncs run on
 *   the thread pool so the event loop never waits on the disk.
 * - `"sync"`: fsyncs are synchronous too: the fastest single committer, but
 *   the event loop is blocked for every fsync.
 * - `"async"`: everything through the thread pool (`NodeFileSystem`): each
 *   write costs a round trip, so None and Group commits are ~4x slower.
 *
 * @since 0.1.0
 * @category models
 */
export type Io = "syncWrites" | "sync" | "async"

const fileSystems = {
  syncWrites: NodeSyncFileSystem.layerSyncWrites,
  sync: NodeSyncFileSystem.layer,
  async: NodeFileSystem.layer
} satisfies Record<Io, unknown>

/**
 * The log described by `config`, on the file I/O that `options.io` picks.
 * The lock's kind comes from `LORA_WAL_LOCK` (see `NodeDirLock.layer`).
 *
 * @example
 * ```ts
 * import { NodeRuntime } from "@effect/platform-node"
 * import { type MutationEvent, Wal, WalConfig } from "@lora-wal/core"
 * import { NodeWal } from "@lora-wal/platform-node"
 * import { Effect } from "effect"
 *
 * declare const applyToStore: (event: MutationEvent.MutationEvent) => void // yours
 *
 * const WalLive = NodeWal.layer(
 *   WalConfig.enabled("/var/lib/app/wal", { syncMode: WalConfig.SyncMode.Group({ intervalMs: 10 }) }),
 *   { io: "syncWrites" }
 * )
 *
 * const program = Effect.gen(function*() {
 *   const wal = yield* Wal.Wal
 *   for (const event of wal.recovery.committedEvents) applyToStore(event) // before any new append
 *   yield* wal.commitTx([{ _tag: "CreateNode", id: 1n, labels: ["Person"], properties: new Map() }])
 * })
 *
 * program.pipe(Effect.provide(WalLive), NodeRuntime.runMain)
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  config: WalConfig,
  options?: { readonly io?: Io | undefined }
): Layer.Layer<Wal.Wal, OpenError | ConfigError> =>
  Wal.layerConfig(config).pipe(
    Layer.provide(NodeDirLock.layer),
    Layer.provide(Layer.mergeAll(fileSystems[options?.io ?? "syncWrites"], NodePath.layer, NodeCrc32.layer))
  )

/**
 * The log configured from the environment (`WAL_DIR`, `WAL_SYNC_MODE`,
 * `WAL_SEGMENT_TARGET_BYTES`; see `WalConfig.config`), on the default file
 * I/O: a service that ships with the log off unless `WAL_DIR` is set.
 *
 * @example
 * ```ts
 * import { NodeRuntime } from "@effect/platform-node"
 * import { Wal } from "@lora-wal/core"
 * import { NodeWal } from "@lora-wal/platform-node"
 * import { Effect } from "effect"
 *
 * // WAL_DIR=/var/lib/app/wal WAL_SYNC_MODE=group:10 node main.js
 * const program = Effect.gen(function*() {
 *   const wal = yield* Wal.Wal // without WAL_DIR, the no-op log
 *   const status = yield* wal.status
 *   yield* Effect.log(`durable up to lsn ${status.durableLsn}`)
 * })
 *
 * program.pipe(Effect.provide(NodeWal.layerFromEnv), NodeRuntime.runMain)
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFromEnv: Layer.Layer<Wal.Wal, OpenError | ConfigError> = Layer.unwrapEffect(
  Effect.map(WalConfigModule.config, layer)
)
