/**
 * One pass of the archiver: every sealed segment not yet in the store is
 * checked and uploaded; the active segment's intact prefix (up to the
 * durable LSN, when the caller knows it) is uploaded as a partial object
 * if it grew; partial objects that a longer one or the sealed segment
 * replaces are removed once their replacement is stored.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import type { Pass } from "../../Archive.js"
import * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { ArchiveError, type ArchiveStoreError } from "../../ArchiveError.js"
import { ArchiveStore, sha256Hex } from "../../ArchiveStore.js"
import { Crc32 } from "../../Crc32.js"
import { unsafeMake as unsafeLsn } from "../../Lsn.js"
import * as Segment from "../../Segment.js"
import { DirLock } from "../../DirLock.js"
import { type AlreadyOpen, Io } from "../../WalError.js"
import { listSegments, type SegmentFile } from "../segments.js"
import { parseKey, partialKey, scan, type SegmentObject, sealedKey, segmentsPrefix } from "./objects.js"

/** Stores `bytes` under `key`, or finds them there already; other bytes there are a conflict. */
const store = (key: string, bytes: Uint8Array) =>
  Effect.gen(function*() {
    const archive = yield* ArchiveStore
    const sha256 = yield* sha256Hex(bytes)
    if ((yield* archive.putIfAbsent(key, bytes, sha256)) === "created") return true
    const existing = yield* archive.head(key)
    if (existing !== undefined && existing.sha256 !== sha256) {
      return yield* new ArchiveError({
        reason: "Conflict",
        message: `${key} is already archived with other bytes (sha256 ${existing.sha256}, here ${sha256}): is another log archived under the same prefix?`
      })
    }
    return false
  })

/** The objects already archived, by segment id. */
const archivedObjects = (prefix: string) =>
  Effect.flatMap(ArchiveStore, (archive) =>
    Stream.runFold(archive.list(segmentsPrefix(prefix)), new Map<bigint, Array<SegmentObject>>(), (byId, info) => {
      const object = parseKey(prefix, info.key)
      if (object !== undefined) byId.set(object.id, [...(byId.get(object.id) ?? []), object])
      return byId
    }))

/**
 * Fails unless every partial copy is a prefix of `bytes`, the header aside
 * (sealing sets its flag after the partial copies were taken): one that is
 * not was cut from another log under the same prefix, or from a tail this
 * log lost and rewrote, and removing or extending it would hide that.
 */
const checkPartials = (segment: SegmentFile, bytes: Uint8Array, baseLsn: bigint, partials: ReadonlyArray<SegmentObject>) =>
  Effect.forEach(partials, (partial) =>
    Effect.gen(function*() {
      const length = partial.partialLength!
      const archived = (yield* (yield* ArchiveStore).head(partial.key))?.sha256
      if (archived === undefined) return
      if (length <= bytes.length) {
        const copy = bytes.slice(0, length)
        if ((yield* sha256Hex(copy)) === archived) return
        copy.set(Segment.encodeHeader({ baseLsn: unsafeLsn(baseLsn) }), 0)
        if ((yield* sha256Hex(copy)) === archived) return
      }
      return yield* new ArchiveError({
        reason: "Conflict",
        message: `${partial.key} is not a prefix of ${segment.path}: is another log archived under the same prefix, or did this one lose records it had archived?`
      })
    }), { discard: true })

const damaged = (segment: SegmentFile, fault: string) =>
  new ArchiveError({ reason: "Damaged", message: `${segment.path}: ${fault}; it is not archived` })

interface PassState {
  readonly prefix: string
  readonly uploaded: Array<string>
}

/** Stores `bytes` under `key` if it is not there yet, noting an upload. */
const upload = (state: PassState, key: string, bytes: Uint8Array) =>
  Effect.map(store(key, bytes), (created) => void (created && state.uploaded.push(key)))

const removeAll = (objects: ReadonlyArray<SegmentObject>) =>
  Effect.flatMap(ArchiveStore, (archive) => Effect.forEach(objects, (object) => archive.remove(object.key), { discard: true }))

/**
 * Archives one segment read whole: sealed (or older than the newest
 * segment), it must be intact and is stored whole; the newest one unsealed,
 * its intact prefix up to `upToLsn` is stored as a partial copy if it grew.
 * Returns what it found, and whether the segment is now archived whole.
 */
const archiveSegment = (
  state: PassState,
  segment: SegmentFile,
  objects: ReadonlyArray<SegmentObject>,
  newest: boolean,
  upToLsn: bigint | undefined
) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const bytes = yield* fs.readFile(segment.path).pipe(Effect.mapError(Io.fromPlatform))
    const scanned = scan(bytes, yield* Crc32, newest ? upToLsn : undefined)
    // A newest file holding at most a header that is not valid is a creation a crash cut short
    // (recovery sets it aside, as it holds nothing): there is nothing to ship.
    if (typeof scanned === "string" && newest && bytes.length <= Segment.HEADER_LEN) return undefined
    if (typeof scanned === "string") return yield* damaged(segment, scanned)
    const partials = objects.filter((o) => o.partialLength !== undefined)
    yield* checkPartials(segment, bytes, scanned.baseLsn, partials)
    const whole = scanned.fault === undefined && scanned.end === bytes.length
    if (whole && (!newest || scanned.sealed)) {
      if (!objects.some((o) => o.partialLength === undefined)) yield* upload(state, sealedKey(state.prefix, segment.name), bytes)
      yield* removeAll(partials)
      return { scanned, sealed: true, size: bytes.length }
    }
    if (!newest) return yield* damaged(segment, scanned.fault ?? "the segment is not sealed though a newer one follows it")
    if (scanned.end > Math.max(Segment.HEADER_LEN, ...partials.map((o) => o.partialLength!))) {
      yield* upload(state, partialKey(state.prefix, segment.name, scanned.end), bytes.subarray(0, scanned.end))
      yield* removeAll(partials)
    }
    return { scanned, sealed: false, size: bytes.length }
  })

/** @internal */
export const archiveOnce = (options: {
  readonly dir: string
  readonly prefix: string
  readonly durableLsn: bigint | undefined
}): Effect.Effect<Pass, ArchiveError | ArchiveStoreError | Io, ArchiveStore | FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const segments = yield* listSegments(yield* FileSystem.FileSystem, yield* Path.Path, options.dir)
    const archived = yield* archivedObjects(options.prefix)
    const state: PassState = { prefix: options.prefix, uploaded: [] }
    let archivedLsn: bigint | undefined
    let activeFault: string | undefined
    let sealedThroughLsn: bigint | undefined
    let unarchivedBytes = 0
    for (const [i, segment] of segments.entries()) {
      const objects = archived.get(segment.id) ?? []
      const newest = i === segments.length - 1
      // An older segment already archived whole is not read again; stale partial copies of it go.
      if (!newest && objects.some((o) => o.partialLength === undefined)) {
        yield* removeAll(objects.filter((o) => o.partialLength !== undefined))
        continue
      }
      const shipped = yield* archiveSegment(state, segment, objects, newest, options.durableLsn)
      if (shipped === undefined) break
      const { scanned, sealed, size } = shipped
      if (!sealed) {
        activeFault = scanned.fault
        unarchivedBytes += size - scanned.end
      }
      if (!sealed && sealedThroughLsn === undefined) sealedThroughLsn = scanned.baseLsn - 1n
      if (scanned.lastLsn !== undefined) archivedLsn = scanned.lastLsn
    }
    return { uploaded: state.uploaded, archivedLsn, activeFault, sealedThroughLsn: sealedThroughLsn ?? archivedLsn, unarchivedBytes }
  })

/** @internal */
export const archiveOnceAtRest = (options: {
  readonly dir: string
  readonly prefix: string
}): Effect.Effect<Pass, ArchiveError | ArchiveStoreError | Io | AlreadyOpen, ArchiveStore | FileSystem.FileSystem | Path.Path | DirLock> =>
  Effect.scoped(Effect.gen(function*() {
    yield* (yield* DirLock).acquire(options.dir)
    const fs = yield* FileSystem.FileSystem
    const newest = (yield* listSegments(fs, yield* Path.Path, options.dir)).at(-1)
    if (newest !== undefined) {
      yield* Effect.scoped(Effect.flatMap(fs.open(newest.path, { flag: "r" }), (file) => file.sync)).pipe(
        Effect.mapError(Io.fromPlatform)
      )
    }
    return yield* archiveOnce({ dir: options.dir, prefix: options.prefix, durableLsn: undefined })
  }))
