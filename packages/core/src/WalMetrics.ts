/**
 * The log's metrics, as Effect `Metric`s: export them with any Effect
 * metrics exporter (e.g. `@effect/opentelemetry`), or read them in-process
 * with `Metric.value`. The log also emits spans (`lora-wal.open`,
 * `lora-wal.replay`, `lora-wal.commit`, `lora-wal.fsync`, `lora-wal.rotate`,
 * `lora-wal.truncate`, `lora-wal.checkpoint`) for whichever tracer is
 * installed; under Effect's built-in tracer, which exports nothing, none
 * are made, so they cost nothing until someone collects them.
 *
 * @since 0.1.0
 */
import * as Metric from "effect/Metric"

const latencyBoundaries = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000]

/**
 * Milliseconds from `commitTx` (or `commitAll`) called to returned (including the fsync wait under PerCommit).
 *
 * @since 0.1.0
 * @category metrics
 */
export const commitLatency = Metric.timerWithBoundaries(
  "lora_wal_commit_latency_ms",
  latencyBoundaries,
  "commitTx and commitAll latency in milliseconds"
)

/**
 * Milliseconds per fsync of a segment.
 *
 * @since 0.1.0
 * @category metrics
 */
export const fsyncDuration = Metric.timerWithBoundaries(
  "lora_wal_fsync_duration_ms",
  latencyBoundaries,
  "segment fsync duration in milliseconds"
)

/**
 * Bytes handed to the OS.
 *
 * @since 0.1.0
 * @category metrics
 */
export const bytesWritten = Metric.counter("lora_wal_bytes_written", { description: "bytes written to segments", incremental: true })

/**
 * Records appended.
 *
 * @since 0.1.0
 * @category metrics
 */
export const recordsWritten = Metric.counter("lora_wal_records_written", { description: "records appended", incremental: true })

/**
 * Segments sealed by rotation.
 *
 * @since 0.1.0
 * @category metrics
 */
export const segmentsRotated = Metric.counter("lora_wal_segments_rotated", { description: "segments sealed by rotation", incremental: true })

/**
 * Bytes read by replay (progress of a long replay).
 *
 * @since 0.1.0
 * @category metrics
 */
export const replayBytes = Metric.counter("lora_wal_replay_bytes", { description: "bytes read by replay", incremental: true })

/**
 * Fsynced LSNs not yet in the archive (`Archive.archiver`), updated after
 * every pass, failed ones too: how much a lost machine would take with it.
 *
 * @since 0.1.0
 * @category metrics
 */
export const archiveLagLsns = Metric.gauge("lora_wal_archive_lag_lsns", {
  description: "durable LSNs not yet in the archive, after the last pass",
  bigint: true
})

/**
 * Bytes of the log's files the archive did not hold after the last pass
 * that ran: the active segment's records past what an fsync covers, or a
 * damaged tail.
 *
 * @since 0.1.0
 * @category metrics
 */
export const archiveLagBytes = Metric.gauge("lora_wal_archive_lag_bytes", {
  description: "bytes of the log not in the archive after the last pass"
})

/**
 * Seconds since the archive last held everything fsynced, updated after
 * every pass, failed ones too: it grows while the store does not answer.
 *
 * @since 0.1.0
 * @category metrics
 */
export const archiveLagSeconds = Metric.gauge("lora_wal_archive_lag_seconds", {
  description: "seconds since the archive last held everything durable"
})

/**
 * Objects the archiver uploaded.
 *
 * @since 0.1.0
 * @category metrics
 */
export const archiveUploads = Metric.counter("lora_wal_archive_uploads", { description: "objects uploaded", incremental: true })

/**
 * Archive passes that failed, each retry counted.
 *
 * @since 0.1.0
 * @category metrics
 */
export const archiveFailures = Metric.counter("lora_wal_archive_failures", {
  description: "archive passes that failed",
  incremental: true
})
