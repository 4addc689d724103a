/**
 * fast-check arbitraries for LoraDB events and values, with the awkward cases
 * weighted in.
 *
 * @since 0.1.0
 * @category testing
 */
export * as Arbitraries from "./Arbitraries.js"
/**
 * A simulated machine's disk and the ways it can fail: what crash tests run
 * on.
 *
 * @since 0.1.0
 * @category testing
 */
export * as SimulatedDisk from "./SimulatedDisk.js"
/**
 * An in-memory platform `FileSystem` over a simulated disk, so tests can look
 * at the disk and crash it.
 *
 * @since 0.1.0
 * @category testing
 */
export * as MemoryFileSystem from "./MemoryFileSystem.js"
/**
 * Wraps any `FileSystem` to count operations and inject I/O failures (EIO,
 * ENOSPC, short writes).
 *
 * @since 0.1.0
 * @category testing
 */
export * as FaultyFileSystem from "./FaultyFileSystem.js"
/**
 * Wraps an archive store to fail as object storage does: timeouts and 5xx
 * before it acts, and answers lost after it did.
 *
 * @since 0.1.0
 * @category testing
 */
export * as FaultyArchiveStore from "./FaultyArchiveStore.js"
/**
 * Property tests of crash recovery: of the log itself, or of your own program
 * over it.
 *
 * @since 0.1.0
 * @category testing
 */
export * as CrashHarness from "./CrashHarness.js"
/**
 * A clock that moves only when told to, for Group-mode flushers and other
 * timers in tests.
 *
 * @since 0.1.0
 * @category testing
 */
export * as ManualClock from "./ManualClock.js"
