/**
 * @since 0.1.0
 */
export * as Cli from "./Cli.js"
/**
 * @since 0.1.0
 */
export * as NodeDirLock from "./NodeDirLock.js"
/**
 * @since 0.1.0
 */
export * as NodeWal from "./NodeWal.js"
/**
 * @since 0.1.0
 */
export * as NodeSyncFileSystem from "./NodeSyncFileSystem.js"
