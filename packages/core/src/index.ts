/**
 * A log's copy beyond its machine: upload sealed segments and the durable
 * prefix of the active one, restore a log directory up to any LSN.
 *
 * @since 0.1.0
 * @category archive
 */
export * as Archive from "./Archive.js"
/**
 * Errors of archiving: the store's, and the archiver's and restore's own.
 *
 * @since 0.1.0
 * @category archive
 */
export * as ArchiveError from "./ArchiveError.js"
/**
 * Where an archive lives: a store of immutable, checksummed objects (a
 * directory, or S3-protocol object storage).
 *
 * @since 0.1.0
 * @category archive
 */
export * as ArchiveStore from "./ArchiveStore.js"
/**
 * Little-endian byte writer and bounds-checked reader, for writing an event
 * codec by hand.
 *
 * @since 0.1.0
 * @category encoding
 */
export * as Bytes from "./Bytes.js"
/**
 * How a log turns its events into record payloads and back: build a codec to
 * log events of your own.
 *
 * @since 0.1.0
 * @category events
 */
export * as EventCodec from "./EventCodec.js"
/**
 * Snapshots as LoraDB takes them (checkpoint, then truncate the log) and
 * recovery from the newest one.
 *
 * @since 0.1.0
 * @category log
 */
export * as Checkpoint from "./Checkpoint.js"
/**
 * Committed transactions as they happen, from a log another process writes
 * (`Follow.directory`); a live handle has the same as `wal.follow`.
 *
 * @since 0.1.0
 * @category log
 */
export * as Follow from "./Follow.js"
/**
 * The CRC-32 that frames records, as a service a platform can speed up with a
 * native implementation.
 *
 * @since 0.1.0
 * @category format
 */
export * as Crc32 from "./Crc32.js"
/**
 * The exclusive directory lock that makes one live handle the only writer of a
 * log.
 *
 * @since 0.1.0
 * @category services
 */
export * as DirLock from "./DirLock.js"
/**
 * A byte-level view of a log directory for operators: files, segment headers
 * and record framing.
 *
 * @since 0.1.0
 * @category diagnostics
 */
export * as Inspect from "./Inspect.js"
/**
 * The LoraDB event codec, writing lora-wal 0.8.3's payload format byte for
 * byte: the log's default.
 *
 * @since 0.1.0
 * @category events
 */
export * as LoraCodec from "./LoraCodec.js"
/**
 * The JSON form of LoraDB events and values used by lora-wal's golden fixtures
 * and the command-line tool.
 *
 * @since 0.1.0
 * @category events
 */
export * as LoraJson from "./LoraJson.js"
/**
 * Log sequence numbers: the exact u64 position of a record in the log.
 *
 * @since 0.1.0
 * @category format
 */
export * as Lsn from "./Lsn.js"
/**
 * LoraDB mutation events: the graph changes a transaction logs.
 *
 * @since 0.1.0
 * @category events
 */
export * as MutationEvent from "./MutationEvent.js"
/**
 * LoraDB property values, with their constructors: what nodes and
 * relationships carry.
 *
 * @since 0.1.0
 * @category events
 */
export * as PropertyValue from "./PropertyValue.js"
/**
 * Record framing (length, kind, LSNs, payload, CRC32), for tools that read the
 * format directly.
 *
 * @since 0.1.0
 * @category format
 */
export * as WalRecord from "./WalRecord.js"
/**
 * Read-only replay of a log directory: its committed transactions, collected,
 * streamed or handed to a callback.
 *
 * @since 0.1.0
 * @category log
 */
export * as Replay from "./Replay.js"
/**
 * The JSON reports of a replay and of an inspection, in the shape of
 * lora-wal's fixture results.
 *
 * @since 0.1.0
 * @category diagnostics
 */
export * as ReplayReport from "./ReplayReport.js"
/**
 * Segment files: their names and the 32-byte header each starts with.
 *
 * @since 0.1.0
 * @category format
 */
export * as Segment from "./Segment.js"
/**
 * Checks a log directory at rest and names every problem in it, each with
 * its file, offset and what opening the log would do about it.
 *
 * @since 0.1.0
 * @category diagnostics
 */
export * as Verify from "./Verify.js"
/**
 * The live, writable log: open with recovery, commit transactions, sync,
 * rotate and truncate.
 *
 * @since 0.1.0
 * @category log
 */
export * as Wal from "./Wal.js"
/**
 * How a log is configured (disabled, or a directory, sync mode and segment
 * size), also from the environment.
 *
 * @since 0.1.0
 * @category log
 */
export * as WalConfig from "./WalConfig.js"
/**
 * The log's metrics, as Effect `Metric`s for any exporter.
 *
 * @since 0.1.0
 * @category diagnostics
 */
export * as WalMetrics from "./WalMetrics.js"
/**
 * LoraDB's query bracket over the log: record a query's mutations, commit them
 * as one transaction.
 *
 * @since 0.1.0
 * @category log
 */
export * as WalRecorder from "./WalRecorder.js"
/**
 * The typed failures of the log, one class per lora-wal error variant.
 *
 * @since 0.1.0
 * @category errors
 */
export * as WalError from "./WalError.js"
