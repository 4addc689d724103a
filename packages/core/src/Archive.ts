/**
 * A log's copy beyond its machine: the archiver uploads each sealed
 * segment once, checked record by record, and the active segment's durable
 * prefix as it grows; restore builds a log directory back from the copy, up
 * to any LSN. The store is an {@link ArchiveStore.ArchiveStore}: a
 * directory on another mount, or S3-protocol object storage.
 *
 * What a restore gives back is always a prefix of the log, cut at a record:
 * opened, it replays exactly the transactions committed at or below the
 * LSN it was restored to, and among those, all that had reached the
 * archive.
 *
 * @since 0.1.0
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type { ArchiveError, ArchiveStoreError } from "./ArchiveError.js"
import type { ArchiveStore } from "./ArchiveStore.js"
import * as ArchivePass from "./internal/archive/archiveOnce.js"
import * as ArchiveLoop from "./internal/archive/archiver.js"
import * as ArchiveRestore from "./internal/archive/restore.js"
import { type Lsn, unsafeMake as unsafeLsn } from "./Lsn.js"
import * as Wal from "./Wal.js"
import type { DirLock } from "./DirLock.js"
import type { AlreadyOpen, Io } from "./WalError.js"

/**
 * What one archiving pass did.
 *
 * @since 0.1.0
 * @category models
 */
export interface Pass {
  /** Keys stored by this pass. */
  readonly uploaded: ReadonlyArray<string>
  /** The highest LSN the archive holds after the pass, if it holds any record. */
  readonly archivedLsn: bigint | undefined
  /** Why the active segment's copy stops before the end of its file (a torn or damaged tail), if it does. */
  readonly activeFault: string | undefined
  /**
   * The highest LSN up to which every segment in the directory is archived
   * whole (sealed): truncating the log up to it loses nothing the archive
   * lacks.
   */
  readonly sealedThroughLsn: bigint | undefined
  /** Bytes of the log's segment files the archive does not hold after the pass (the active segment's tail past `durableLsn`). */
  readonly unarchivedBytes: number
}

/**
 * Uploads what the archive lacks of the log in `dir`: every sealed segment
 * (after checking its header and every record's CRC; a damaged one fails
 * with `Damaged` and is never uploaded), and the active segment's intact
 * records up to `durableLsn` as a partial object, when that prefix grew.
 * Objects go under `prefix` (e.g. `"prod/wal/"`): `segments/<file>` and
 * `segments/<file>.partial-<bytes>`. Partial objects are removed once a
 * longer one, or the sealed segment, is stored.
 *
 * Without `durableLsn` the active segment's intact records are taken as
 * durable, which only {@link archiveOnceAtRest} can promise (it fsyncs
 * them first). For a live handle pass `status.syncedLsn`, what a completed
 * fsync covers (as the archiver does): under None, `durableLsn` counts
 * records only written.
 *
 * @since 0.1.0
 * @category archiving
 */
export const archiveOnce = (options: {
  readonly dir: string
  readonly prefix?: string | undefined
  readonly durableLsn?: Lsn | bigint | undefined
}): Effect.Effect<Pass, ArchiveError | ArchiveStoreError | Io, ArchiveStore | FileSystem.FileSystem | Path.Path> =>
  ArchivePass.archiveOnce({ dir: options.dir, prefix: options.prefix ?? "", durableLsn: options.durableLsn })

/**
 * One pass over a log that no process has open: the directory lock is held
 * for the pass (a writer that tries to open meanwhile gets `AlreadyOpen`,
 * and so does this if one has it open), and the newest segment is fsynced
 * before it is read, so that what a killed writer left in the page cache is
 * durable before it is shipped. Then everything intact is archived.
 *
 * @since 0.1.0
 * @category archiving
 */
export const archiveOnceAtRest = (options: {
  readonly dir: string
  readonly prefix?: string | undefined
}): Effect.Effect<
  Pass,
  ArchiveError | ArchiveStoreError | Io | AlreadyOpen,
  ArchiveStore | FileSystem.FileSystem | Path.Path | DirLock
> => ArchivePass.archiveOnceAtRest({ dir: options.dir, prefix: options.prefix ?? "" })

/**
 * What a restore wrote.
 *
 * @since 0.1.0
 * @category models
 */
export interface Restored {
  /** The segment files written, oldest first. */
  readonly files: ReadonlyArray<string>
  /**
   * Where the restored log starts. Above 1, the archive began after the log
   * had been truncated (archiving was turned on later): the log opens with
   * a fence of `firstLsn - 1` (and the snapshot taken there), as the
   * original did.
   */
  readonly firstLsn: bigint | undefined
  /** The highest LSN in the restored log, if it holds any record. */
  readonly lastLsn: bigint | undefined
  /** Why the restore stopped before the archive's end, if a gap stopped it. */
  readonly gap: string | undefined
}

/**
 * Builds a log in `dir` (missing or empty: anything else fails with
 * `NotEmpty`) from the archive under `prefix`, cut after the last record at
 * or below `toLsn` (default: everything archived). Every object is checked
 * against its SHA-256 and every record against its CRC; a damaged one fails
 * with `Damaged`. The log is built in a hidden directory inside `dir` (the
 * same filesystem, a mount point included) and its files moved into place
 * once complete and fsynced: a restore that fails or is interrupted leaves
 * no segment in `dir` (and a later one clears what a crash left). One that
 * meets a partial copy the archiver replaced since the listing lists again. Restore stops at the first gap in the archive and
 * says so in `gap`.
 *
 * @since 0.1.0
 * @category restoring
 */
export const restore = (options: {
  readonly dir: string
  readonly prefix?: string | undefined
  readonly toLsn?: Lsn | bigint | undefined
}): Effect.Effect<Restored, ArchiveError | ArchiveStoreError | Io, ArchiveStore | FileSystem.FileSystem | Path.Path> =>
  ArchiveRestore.restore({ dir: options.dir, prefix: options.prefix ?? "", toLsn: options.toLsn })

/**
 * What the archiver has done so far.
 *
 * @since 0.1.0
 * @category models
 */
export interface ArchiverStatus {
  /** Passes that succeeded, and the last of them. */
  readonly passes: number
  readonly lastPass: Pass | undefined
  /** Every segment up to this LSN is archived whole: truncation may go this far. */
  readonly sealedThroughLsn: bigint
  /** Passes that failed (each retry counts). */
  readonly failures: number
  readonly lastFailure: ArchiveError | ArchiveStoreError | Io | undefined
}

/**
 * The archiver running next to a log.
 *
 * @since 0.1.0
 * @category models
 */
export interface Archiver {
  /** Runs a pass now, after the one in progress if any (e.g. before a planned shutdown). */
  readonly archiveNow: Effect.Effect<Pass, ArchiveError | ArchiveStoreError | Io>
  readonly status: Effect.Effect<ArchiverStatus>
}

/**
 * How the archiver runs.
 *
 * @since 0.1.0
 * @category models
 */
export interface ArchiverOptions {
  /** Where the log's objects go in the store, e.g. `"prod/wal/"`. Default: the store's root. */
  readonly prefix?: string | undefined
  /**
   * How often the active segment's durable prefix is shipped: with a
   * healthy store, the archive is never more than about this far behind the
   * log's durable LSN (the loss window if the machine is lost). Default: 1 s.
   */
  readonly interval?: Duration.DurationInput | undefined
  /**
   * How a pass that failed because the store or the disk did not answer is
   * retried. Default: exponential from 200 ms, jittered, each wait capped at
   * 30 s, forever. Other failures (a damaged segment, a conflict) wait for
   * the next interval.
   */
  readonly retry?: Schedule.Schedule<unknown, unknown> | undefined
}

/**
 * Starts the archiver for `wal` in the current scope: a pass now and every
 * `interval` after it, and a last one when the scope closes. Failures are
 * retried, logged and counted (`lora_wal_archive_failures`); the lag
 * behind the durable LSN is a metric (`lora_wal_archive_lag_lsns`,
 * `lora_wal_archive_lag_seconds`), and so are uploads
 * (`lora_wal_archive_uploads`). The log itself is never poisoned by the
 * archive.
 *
 * @since 0.1.0
 * @category archiving
 */
export const archiver = <A>(
  wal: Wal.Wal<A>,
  options?: ArchiverOptions
): Effect.Effect<Archiver, never, ArchiveStore | FileSystem.FileSystem | Path.Path | Scope.Scope> =>
  ArchiveLoop.start(wal, {
    prefix: options?.prefix ?? "",
    interval: Duration.decode(options?.interval ?? "1 second"),
    retry: options?.retry ?? ArchiveLoop.defaultRetry
  })

/**
 * `wal` with its truncation held back to what `archiver` has archived
 * whole: `truncateUpTo(fence)` removes only segments that are in the
 * archive, however far `fence` goes (later calls remove the rest).
 *
 * @since 0.1.0
 * @category archiving
 */
export const guardTruncation = <A>(wal: Wal.Wal<A>, archiver: Archiver): Wal.Wal<A> => ({
  ...wal,
  truncateUpTo: (fence) =>
    Effect.flatMap(archiver.status, ({ sealedThroughLsn }) =>
      wal.truncateUpTo(unsafeLsn(fence < sealedThroughLsn ? fence : sealedThroughLsn)))
})

/**
 * The archiver as a layer over the log of `Wal.Wal`: it runs for as long as
 * the layer, and the `Wal.Wal` it provides is the log with its truncation
 * held back to what is archived ({@link guardTruncation}), so that
 * checkpoints built on it never delete a segment the archive lacks.
 *
 * @example
 * ```ts
 * import { NodeContext } from "@effect/platform-node"
 * import { Archive, ArchiveStore, Wal } from "@lora-wal/core"
 * import { NodeDirLock } from "@lora-wal/platform-node"
 * import { Layer } from "effect"
 *
 * const platform = Layer.merge(NodeContext.layer, NodeDirLock.layer)
 * const ArchivedWal = Archive.layer({ prefix: "prod/wal/", interval: "1 second" }).pipe(
 *   Layer.provide(Wal.layer({ dir: "/var/lib/app/wal" })),
 *   Layer.provide(ArchiveStore.layerFileSystem("/mnt/backup/app")),
 *   Layer.provide(platform)
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options?: ArchiverOptions
): Layer.Layer<Wal.Wal, never, Wal.Wal | ArchiveStore | FileSystem.FileSystem | Path.Path> =>
  Layer.scoped(
    Wal.Wal,
    Effect.gen(function*() {
      const wal = yield* Wal.Wal
      return guardTruncation(wal, yield* archiver(wal, options))
    })
  )
