/**
 * @since 0.1.0
 */
export * as Arbitraries from "./Arbitraries.js"
/**
 * @since 0.1.0
 */
export * as SimulatedDisk from "./SimulatedDisk.js"
/**
 * @since 0.1.0
 */
export * as MemoryFileSystem from "./MemoryFileSystem.js"
/**
 * @since 0.1.0
 */
export * as FaultyFileSystem from "./FaultyFileSystem.js"
/**
 * @since 0.1.0
 */
export * as CrashHarness from "./CrashHarness.js"
/**
 * @since 0.1.0
 */
export * as ManualClock from "./ManualClock.js"
