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
import type * as Effect from "effect/Effect"
import type { ArchiveError, ArchiveStoreError } from "./ArchiveError.js"
import type { ArchiveStore } from "./ArchiveStore.js"
import * as ArchivePass from "./internal/archive/archiveOnce.js"
import * as ArchiveRestore from "./internal/archive/restore.js"
import type { Lsn } from "./Lsn.js"
import type { Io } from "./WalError.js"

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
 * durable: right for a log no process has open, not for a live one, whose
 * unsynced tail a power loss can still take back (the live archiver passes
 * its handle's durable LSN).
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
 * What a restore wrote.
 *
 * @since 0.1.0
 * @category models
 */
export interface Restored {
  /** The segment files written, oldest first. */
  readonly files: ReadonlyArray<string>
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
 * with `Damaged`. The files are fsynced before it returns. Restore stops at
 * the first gap in the archive and says so in `gap`.
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
