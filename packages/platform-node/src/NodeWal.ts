/**
 * Everything a Node application needs for a log, in one layer built from a
 * `WalConfig`: the Node filesystem, the kernel directory lock and the log
 * itself (or nothing at all when the configuration is disabled).
 *
 * @since 0.1.0
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as Wal from "@lora-wal/core/Wal"
import type { WalConfig } from "@lora-wal/core/WalConfig"
import * as WalConfigModule from "@lora-wal/core/WalConfig"
import type { WalError } from "@lora-wal/core/WalError"
import type { ConfigError } from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as NodeDirLock from "./NodeDirLock.js"
import * as NodeSyncFileSystem from "./NodeSyncFileSystem.js"

/**
 * The log described by `config`. With `io: "sync"` its files use
 * synchronous system calls (`NodeSyncFileSystem`): more than twice the
 * single-committer throughput, at the price of blocking the event loop
 * during each fsync.
 *
 * @since 0.1.0
 */
export const layer = (
  config: WalConfig,
  options?: { readonly io?: "async" | "sync" | undefined }
): Layer.Layer<Wal.Wal, WalError> =>
  Wal.layerConfig(config).pipe(
    Layer.provide(NodeDirLock.layer),
    Layer.provide(options?.io === "sync" ? NodeSyncFileSystem.layer : NodeFileSystem.layer)
  )

/**
 * The log configured from the environment (`WAL_DIR`, `WAL_SYNC_MODE`,
 * `WAL_SEGMENT_TARGET_BYTES`).
 *
 * @since 0.1.0
 */
export const layerFromEnv: Layer.Layer<Wal.Wal, WalError | ConfigError> = Layer.unwrapEffect(
  Effect.map(WalConfigModule.config, layer)
)
