/**
 * The `lora-wal` command-line tool an operator runs against a log directory,
 * as an `@effect/cli` command.
 *
 * @since 0.1.0
 * @category tools
 */
export * as Cli from "./Cli.js"
/**
 * zlib's native CRC-32 for long records, provided to the log as its `Crc32`.
 *
 * @since 0.1.0
 * @category layers
 */
export * as NodeCrc32 from "./NodeCrc32.js"
/**
 * The directory lock on Node: kernel `flock` on the lock file, the same lock
 * lora-wal takes.
 *
 * @since 0.1.0
 * @category layers
 */
export * as NodeDirLock from "./NodeDirLock.js"
/**
 * Everything a Node application needs for a log in one layer, built from a
 * `WalConfig`.
 *
 * @since 0.1.0
 * @category layers
 */
export * as NodeWal from "./NodeWal.js"
/**
 * The Node filesystem with synchronous reads and writes on open files, so a
 * commit skips libuv's thread pool: `NodeWal`'s default.
 *
 * @since 0.1.0
 * @category layers
 */
export * as NodeSyncFileSystem from "./NodeSyncFileSystem.js"
// S3ArchiveStore (an ArchiveStore in an S3 bucket) is not exported here: it
// imports @aws-sdk/client-s3, an optional peer dependency that only those who
// archive to S3 install. Import it as "@lora-wal/platform-node/S3ArchiveStore".
