/**
 * @since 0.1.0
 */
export * as Bytes from "./Bytes.js"
/**
 * @since 0.1.0
 */
export * as EventCodec from "./EventCodec.js"
/**
 * @since 0.1.0
 */
export * as Checkpoint from "./Checkpoint.js"
/**
 * @since 0.1.0
 */
export * as DirLock from "./DirLock.js"
/**
 * @since 0.1.0
 */
export * as Inspect from "./Inspect.js"
/**
 * @since 0.1.0
 */
export * as LoraCodec from "./LoraCodec.js"
/**
 * @since 0.1.0
 */
export * as LoraJson from "./LoraJson.js"
/**
 * @since 0.1.0
 */
export * as Lsn from "./Lsn.js"
/**
 * @since 0.1.0
 */
export * as MutationEvent from "./MutationEvent.js"
/**
 * @since 0.1.0
 */
export * as PropertyValue from "./PropertyValue.js"
/**
 * @since 0.1.0
 */
export * as WalRecord from "./WalRecord.js"
/**
 * @since 0.1.0
 */
export * as Replay from "./Replay.js"
/**
 * @since 0.1.0
 */
export * as ReplayReport from "./ReplayReport.js"
/**
 * @since 0.1.0
 */
export * as Segment from "./Segment.js"
/**
 * @since 0.1.0
 */
export * as Wal from "./Wal.js"
/**
 * @since 0.1.0
 */
export * as WalConfig from "./WalConfig.js"
/**
 * @since 0.1.0
 */
export * as WalMetrics from "./WalMetrics.js"
/**
 * @since 0.1.0
 */
export * as WalRecorder from "./WalRecorder.js"
/**
 * @since 0.1.0
 */
export * as WalError from "./WalError.js"
