/**
 * Checkpoints as LoraDB takes them, and recovery from one.
 *
 * `checkpoint` makes everything logged so far durable, writes the caller's
 * snapshot stamped with the durable LSN atomically (temporary file, fsync,
 * rename, directory fsync), appends the Checkpoint marker and truncates the
 * log up to the snapshot. `recover` loads the newest intact snapshot and
 * opens the log with its LSN as the fence. A crash at any step leaves either
 * the previous snapshot or the new one, never half of one: snapshots carry a
 * CRC and only complete files are ever renamed into place.
 *
 * The caller must keep its state from changing while `checkpoint` runs
 * (LoraDB holds its store write lock), so the snapshot is exactly the state
 * at the durable LSN.
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import { Writer } from "./Bytes.js"
import type { DirLock } from "./DirLock.js"
import { crc32 } from "./internal/crc.js"
import { makeDirectoryDurably, syncDirectory } from "./internal/durable.js"
import { withSpan } from "./internal/tracing.js"
import { type Lsn, unsafeMake as unsafeLsn } from "./Lsn.js"
import type { MutationEvent } from "./MutationEvent.js"
import * as Wal from "./Wal.js"
import { Io, type OpenError, type SyncError, type TruncateError, type WriteError } from "./WalError.js"

const MAGIC = Uint8Array.from([0x4c, 0x57, 0x53, 0x4e, 0x41, 0x50, 0x31, 0x00]) // "LWSNAP1\0"
const FIXED = MAGIC.length + 8 + 8
const NAME = /^snapshot-([0-9]{20})\.snap$/

/**
 * A snapshot's file name: its LSN zero-padded to 20 digits, so names sort by LSN.
 *
 * @since 0.1.0
 * @category utils
 */
export const fileName = (lsn: Lsn): string => `snapshot-${lsn.toString().padStart(20, "0")}.snap`

/**
 * A snapshot file's bytes: magic, LSN, payload length, payload, CRC32 of all before it.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeSnapshot = (lsn: Lsn, payload: Uint8Array): Uint8Array => {
  const w = new Writer(FIXED + payload.length + 4)
  w.raw(MAGIC)
  w.u64(lsn)
  w.len(payload.length)
  w.raw(payload)
  w.u32(crc32(w.written))
  return w.written.slice()
}

/**
 * The LSN and payload of an intact snapshot file, or `undefined` for anything else.
 *
 * @since 0.1.0
 * @category encoding
 */
export const decodeSnapshot = (bytes: Uint8Array): { readonly lsn: Lsn; readonly payload: Uint8Array } | undefined => {
  if (bytes.length < FIXED + 4 || !MAGIC.every((b, i) => bytes[i] === b)) return undefined
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const length = view.getBigUint64(16, true)
  if (BigInt(bytes.length) !== BigInt(FIXED + 4) + length) return undefined
  if (view.getUint32(bytes.length - 4, true) !== crc32(bytes.subarray(0, bytes.length - 4))) return undefined
  return { lsn: unsafeLsn(view.getBigUint64(8, true)), payload: bytes.slice(FIXED, bytes.length - 4) }
}

const io = Io.fromPlatform

/**
 * Writes a snapshot atomically: a temporary file, fsynced, renamed into
 * place, then the directory fsynced.
 *
 * @since 0.1.0
 * @category snapshots
 */
export const writeSnapshot = (
  dir: string,
  lsn: Lsn,
  payload: Uint8Array
): Effect.Effect<string, Io, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const paths = yield* Path.Path
    // The snapshot directory's own entry must be durable before truncation relies on it.
    yield* makeDirectoryDurably(fs, paths, dir)
    const path = paths.join(dir, fileName(lsn))
    const temporary = `${path}.tmp`
    yield* fs.remove(temporary, { force: true })
    yield* Effect.scoped(Effect.gen(function*() {
      const file = yield* fs.open(temporary, { flag: "wx", mode: 0o600 })
      yield* file.writeAll(encodeSnapshot(lsn, payload))
      yield* file.sync
    }))
    yield* fs.rename(temporary, path)
    yield* syncDirectory(fs, dir)
    return path
  }).pipe(Effect.mapError(io))

/**
 * An intact snapshot file: its LSN, where it is, and the caller's payload.
 *
 * @since 0.1.0
 * @category models
 */
export interface Snapshot {
  readonly lsn: Lsn
  readonly path: string
  readonly payload: Uint8Array
}

/** Intact snapshots, newest first, reading no more files than it takes to find `limit` of them. */
const readSnapshots = (
  dir: string,
  limit: number
): Effect.Effect<Array<Snapshot>, Io, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const join = (yield* Path.Path).join
    if (!(yield* fs.exists(dir))) return []
    const names = (yield* fs.readDirectory(dir)).filter((n) => NAME.test(n)).sort().reverse()
    const found: Array<Snapshot> = []
    for (const name of names) {
      if (found.length >= limit) break
      const path = join(dir, name)
      const decoded = decodeSnapshot(yield* fs.readFile(path))
      if (decoded === undefined) {
        yield* Effect.logWarning(`lora-wal: ignoring damaged snapshot ${path}`)
        continue
      }
      found.push({ ...decoded, path })
    }
    return found
  }).pipe(Effect.mapError(io))

/**
 * Intact snapshots in `dir`, newest first (damaged or temporary files are skipped).
 *
 * @since 0.1.0
 * @category snapshots
 */
export const listSnapshots = (dir: string): Effect.Effect<Array<Snapshot>, Io, FileSystem.FileSystem | Path.Path> =>
  readSnapshots(dir, Infinity)

/**
 * LoraDB's checkpoint: forceFsync, snapshot at the durable LSN (written by
 * `write`), Checkpoint marker, truncate. Keeps the newest `keep` snapshots
 * (default 2) and truncates the log only below the oldest of them, so a
 * recovery that has to fall back to it (the newest damaged) finds every
 * record after it. Returns the snapshot's LSN.
 *
 * @example
 * ```ts
 * import { Checkpoint, Wal } from "@lora-wal/core"
 * import { Effect } from "effect"
 *
 * declare const serializeState: () => Uint8Array // yours: held unchanged while this runs
 *
 * const program = Effect.gen(function*() {
 *   const wal = yield* Wal.Wal
 *   const lsn = yield* Checkpoint.checkpoint(wal, {
 *     snapshotDir: "/var/lib/app/snapshots",
 *     write: () => Effect.sync(serializeState)
 *   })
 *   yield* Effect.log(`snapshot at lsn ${lsn}`)
 * })
 * ```
 *
 * @since 0.1.0
 * @category checkpoints
 */
export const checkpoint = <A, WE, WR>(
  wal: Wal.Wal<A>,
  options: {
    readonly snapshotDir: string
    readonly write: (lsn: Lsn) => Effect.Effect<Uint8Array, WE, WR>
    readonly keep?: number | undefined
  }
): Effect.Effect<Lsn, WriteError | SyncError | TruncateError | WE, WR | FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    yield* wal.forceFsync
    const lsn = yield* wal.durableLsn
    const payload = yield* options.write(lsn)
    yield* writeSnapshot(options.snapshotDir, lsn, payload)
    yield* wal.checkpointMarker(lsn)
    yield* wal.flush
    const snapshots = yield* listSnapshots(options.snapshotDir)
    const keep = Math.max(1, options.keep ?? 2)
    yield* wal.truncateUpTo(snapshots[Math.min(keep, snapshots.length) - 1]?.lsn ?? lsn)
    const fs = yield* FileSystem.FileSystem
    const older = snapshots.slice(keep)
    for (const snapshot of older) yield* fs.remove(snapshot.path).pipe(Effect.mapError(io))
    if (older.length > 0) yield* syncDirectory(fs, options.snapshotDir).pipe(Effect.mapError(io))
    return lsn
  }).pipe(withSpan("lora-wal.checkpoint"))

/**
 * What `recover` found.
 *
 * @since 0.1.0
 * @category models
 */
export interface Recovered<A> {
  readonly wal: Wal.Wal<A>
  /** The snapshot loaded (its LSN is the fence the log was replayed above). */
  readonly snapshot: Option.Option<{ readonly lsn: Lsn; readonly payload: Uint8Array }>
  /** A checkpoint marker in the log newer than the snapshot: a newer snapshot was lost or not found. */
  readonly newerCheckpointInLog: Option.Option<Lsn>
}

/**
 * Where the snapshots live.
 *
 * @since 0.1.0
 * @category options
 */
export interface SnapshotOptions {
  readonly snapshotDir: string
}

type Requirements = FileSystem.FileSystem | Path.Path | DirLock | Scope.Scope

const recoverWith = <A, E, R>(
  snapshotDir: string,
  open: (fence: Lsn) => Effect.Effect<Wal.Wal<A>, OpenError | E, Requirements | R>
): Effect.Effect<Recovered<A>, OpenError | E, Requirements | R> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    // A snapshot renamed into place by a process that died before its
    // directory fsync could still vanish: make it durable before relying on it.
    if (yield* fs.exists(snapshotDir).pipe(Effect.mapError(io))) {
      yield* syncDirectory(fs, snapshotDir).pipe(Effect.mapError(io))
    }
    const snapshot = Option.fromNullable((yield* readSnapshots(snapshotDir, 1))[0])
    const fence = Option.match(snapshot, { onNone: () => unsafeLsn(0n), onSome: (s) => s.lsn })
    const wal = yield* open(fence)
    const newerCheckpointInLog = Option.filter(wal.recovery.summary.checkpointLsnObserved, (marker) => marker > fence)
    if (Option.isSome(newerCheckpointInLog)) {
      yield* Effect.logWarning(
        `lora-wal: the log holds a checkpoint marker at lsn ${newerCheckpointInLog.value}, newer than the loaded ` +
          `snapshot (lsn ${fence}); replaying from the older snapshot is correct but slower`
      )
    }
    return {
      wal,
      snapshot: Option.map(snapshot, (s) => ({ lsn: s.lsn, payload: s.payload })),
      newerCheckpointInLog
    }
  })

/**
 * Loads the newest intact snapshot and opens the log with its LSN as the
 * fence. Apply the snapshot's payload, then `wal.recovery.committedEvents`
 * (or use `onTransaction`), before any new append. Fails with `Malformed`
 * when the log no longer reaches back to the snapshot (records between
 * them were removed): recovering would silently skip them.
 *
 * @example
 * ```ts
 * import { Checkpoint, type MutationEvent } from "@lora-wal/core"
 * import { Effect, Option } from "effect"
 *
 * declare const loadState: (payload: Uint8Array) => void // yours
 * declare const apply: (event: MutationEvent.MutationEvent) => void // yours
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const { snapshot, wal } = yield* Checkpoint.recover({
 *     dir: "/var/lib/app/wal",
 *     snapshotDir: "/var/lib/app/snapshots"
 *   })
 *   if (Option.isSome(snapshot)) loadState(snapshot.value.payload)
 *   for (const event of wal.recovery.committedEvents) apply(event)
 *   // ... serve, appending with wal.withTransaction, until the scope closes
 * }))
 * ```
 *
 * @since 0.1.0
 * @category recovery
 */
export function recover<E = never, R = never>(
  options: Omit<Wal.LoraOptions<E, R>, "fence"> & SnapshotOptions
): Effect.Effect<Recovered<MutationEvent>, OpenError | E, Requirements | R>
export function recover<A, E = never, R = never>(
  options: Omit<Wal.CodecOptions<A, E, R>, "fence"> & SnapshotOptions
): Effect.Effect<Recovered<A>, OpenError | E, Requirements | R>
export function recover<A, E, R>(
  options: (Omit<Wal.LoraOptions<E, R>, "fence"> | Omit<Wal.CodecOptions<A, E, R>, "fence">) & SnapshotOptions
): Effect.Effect<Recovered<MutationEvent> | Recovered<A>, OpenError | E, Requirements | R> {
  if (options.codec === undefined) {
    const lora = options
    return recoverWith(options.snapshotDir, (fence) => Wal.make({ ...lora, fence }))
  }
  const codec = options.codec
  const own = options
  return recoverWith(options.snapshotDir, (fence) => Wal.make({ ...own, codec, fence }))
}
