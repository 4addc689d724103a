/**
 * How a log is configured: disabled (the zero-cost default: nothing is
 * opened), or enabled with a directory, a sync mode and a segment size.
 * Loadable from the environment through Effect's `Config`.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Data from "effect/Data"
import * as Either from "effect/Either"
import * as Option from "effect/Option"

/**
 * When commits become durable.
 *
 * - `PerCommit` (default): each commit is written and fsynced before it
 *   returns. Concurrent commits share fsyncs.
 * - `Group`: commits are written to the OS; a background fiber fsyncs every
 *   `intervalMs`. A crash can lose the last interval's commits.
 * - `None`: never fsync (rotation still does). For data you can rebuild.
 *
 * @since 0.1.0
 * @category models
 */
export type SyncMode = Data.TaggedEnum<{
  PerCommit: {}
  Group: { readonly intervalMs: number }
  None: {}
}>

/**
 * Constructors and matchers for {@link SyncMode}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const SyncMode = Data.taggedEnum<SyncMode>()

/**
 * Parses `per-commit`, `group:MS` or `none`, as the CLI and environment
 * spell sync modes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const parseSyncMode = (text: string): Either.Either<SyncMode, string> => {
  const value = text.trim().toLowerCase()
  if (value === "per-commit" || value === "percommit") return Either.right(SyncMode.PerCommit())
  if (value === "none") return Either.right(SyncMode.None())
  const group = /^group:([0-9]+)$/.exec(value)
  if (group !== null) {
    const intervalMs = Number(group[1])
    if (intervalMs >= 1 && intervalMs <= 3_600_000) return Either.right(SyncMode.Group({ intervalMs }))
    return Either.left(`group interval must be 1..3600000 ms, got ${intervalMs}`)
  }
  return Either.left(`expected per-commit, group:<ms> or none, got ${JSON.stringify(text)}`)
}

/**
 * Spells a sync mode the way {@link parseSyncMode} reads it.
 *
 * @since 0.1.0
 * @category utils
 */
export const formatSyncMode: (mode: SyncMode) => string = SyncMode.$match({
  PerCommit: () => "per-commit",
  Group: ({ intervalMs }) => `group:${intervalMs}`,
  None: () => "none"
})

/**
 * lora-wal's default segment size: 8 MiB.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_SEGMENT_TARGET_BYTES = 8 * 1024 * 1024

/**
 * Whether and how to run the log: `Disabled` opens nothing (so a service can
 * ship with the log off), `Enabled` names the directory, sync mode and
 * segment size. `Wal.layerConfig` turns one into a layer.
 *
 * @since 0.1.0
 * @category models
 */
export type WalConfig = Data.TaggedEnum<{
  Disabled: {}
  Enabled: { readonly dir: string; readonly syncMode: SyncMode; readonly segmentTargetBytes: number }
}>

/**
 * Constructors and matchers for {@link WalConfig}; {@link enabled} fills in
 * the defaults.
 *
 * @since 0.1.0
 * @category constructors
 */
export const WalConfig = Data.taggedEnum<WalConfig>()

/**
 * An enabled configuration with lora-wal's defaults (PerCommit, 8 MiB).
 *
 * @since 0.1.0
 * @category constructors
 */
export const enabled = (
  dir: string,
  options?: { readonly syncMode?: SyncMode; readonly segmentTargetBytes?: number }
): WalConfig =>
  WalConfig.Enabled({
    dir,
    syncMode: options?.syncMode ?? SyncMode.PerCommit(),
    segmentTargetBytes: options?.segmentTargetBytes ?? DEFAULT_SEGMENT_TARGET_BYTES
  })

const syncModeConfig: Config.Config<SyncMode> = Config.string("SYNC_MODE").pipe(
  Config.mapOrFail((text) =>
    Either.mapLeft(parseSyncMode(text), (message) => ConfigError.InvalidData([], message))
  ),
  Config.withDefault(SyncMode.PerCommit())
)

/**
 * Reads the configuration from `WAL_DIR` (unset: disabled), `WAL_SYNC_MODE`
 * (`per-commit`, `group:<ms>`, `none`; default per-commit) and
 * `WAL_SEGMENT_TARGET_BYTES` (default 8 MiB). Bad values fail with a
 * `ConfigError` naming the variable.
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<WalConfig> = Config.all({
  dir: Config.option(Config.nonEmptyString("DIR")),
  syncMode: syncModeConfig,
  segmentTargetBytes: Config.integer("SEGMENT_TARGET_BYTES").pipe(
    Config.validate({ message: "must be a whole number of bytes from 64 to 2^32", validation: (n) => n >= 64 && n <= 2 ** 32 }),
    Config.withDefault(DEFAULT_SEGMENT_TARGET_BYTES)
  )
}).pipe(
  Config.map(({ dir, segmentTargetBytes, syncMode }) =>
    Option.match(dir, {
      onNone: () => WalConfig.Disabled(),
      onSome: (dir) => WalConfig.Enabled({ dir, syncMode, segmentTargetBytes })
    })
  ),
  Config.nested("WAL")
)
