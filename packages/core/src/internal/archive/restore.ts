/**
 * Builds a log directory from an archive: for each segment id in order,
 * its sealed object or else its longest partial one, each checked against
 * its SHA-256 (by the store) and record by record, cut after the last
 * record at or below `toLsn`. It stops at the first gap (a segment missing,
 * or one starting past where the one before it ends): what follows a gap
 * cannot be replayed, and a transaction cut by it was never committed as
 * far as the restored log knows.
 */
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import type { Restored } from "../../Archive.js"
import * as Path from "@effect/platform/Path"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { ArchiveError, type ArchiveStoreError } from "../../ArchiveError.js"
import { ArchiveStore } from "../../ArchiveStore.js"
import { Crc32 } from "../../Crc32.js"
import { Io } from "../../WalError.js"
import { makeDirectoryDurably, syncDirectory } from "../durable.js"
import { parseKey, scan, type SegmentObject, segmentsPrefix } from "./objects.js"

/** Per segment id, the object to restore it from: sealed, else the longest partial. */
const chosenObjects = (prefix: string) =>
  Effect.flatMap(ArchiveStore, (archive) =>
    Effect.map(
      Stream.runFold(archive.list(segmentsPrefix(prefix)), new Map<bigint, SegmentObject>(), (chosen, info) => {
        const object = parseKey(prefix, info.key)
        if (object === undefined) return chosen
        const current = chosen.get(object.id)
        const better = current === undefined ||
          (current.partialLength !== undefined &&
            (object.partialLength === undefined || object.partialLength > current.partialLength))
        if (better) chosen.set(object.id, object)
        return chosen
      }),
      (chosen) => Array.from(chosen.values()).sort((a, b) => (a.id < b.id ? -1 : 1))
    ))

const readObject = (key: string) =>
  Effect.flatMap(ArchiveStore, (archive) =>
    Effect.map(Stream.runCollect(archive.get(key)), (chunks) => {
      const parts = Chunk.toReadonlyArray(chunks)
      if (parts.length === 1) return parts[0]!
      const bytes = new Uint8Array(parts.reduce((n, part) => n + part.length, 0))
      let at = 0
      for (const part of parts) {
        bytes.set(part, at)
        at += part.length
      }
      return bytes
    }))

/** Where a restore builds the log inside its target, hidden from the log's own listing. */
const BUILDING_PREFIX = ".restoring-"

/**
 * Fails unless `dir` is missing or empty; what a restore cut short by a
 * crash left (its hidden build directory) does not count, and goes.
 */
const checkTarget = (fs: FileSystem.FileSystem, path: Path.Path, dir: string) =>
  Effect.gen(function*() {
    if (!(yield* fs.exists(dir))) return
    const names = yield* fs.readDirectory(dir)
    if (names.some((name) => !name.startsWith(BUILDING_PREFIX))) {
      return yield* new ArchiveError({ reason: "NotEmpty", message: `${dir} is not empty: restore writes a new log into an empty directory` })
    }
    for (const name of names) yield* fs.remove(path.join(dir, name), { recursive: true })
  }).pipe(Effect.catchTag("BadArgument", "SystemError", (e) => Effect.fail(Io.fromPlatform(e))))

const writeDurably = (fs: FileSystem.FileSystem, file: string, bytes: Uint8Array) =>
  Effect.scoped(Effect.gen(function*() {
    const handle = yield* fs.open(file, { flag: "wx", mode: 0o600 })
    yield* handle.writeAll(bytes)
    yield* handle.sync
  })).pipe(Effect.mapError(Io.fromPlatform))

/** What writing the log from the archive into a directory found. */
interface Written {
  readonly names: ReadonlyArray<string>
  readonly firstLsn: bigint | undefined
  readonly lastLsn: bigint | undefined
  readonly gap: string | undefined
}

/** Writes the segments the archive holds, in order, into `dir` (see the module's documentation). */
const writeSegments = (dir: string, prefix: string, toLsn: bigint | undefined) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const crc32 = yield* Crc32
    const names: Array<string> = []
    let firstLsn: bigint | undefined
    let lastLsn: bigint | undefined
    let previous: SegmentObject | undefined
    let gap: string | undefined
    for (const object of yield* chosenObjects(prefix)) {
      if (previous?.partialLength !== undefined) {
        gap = `segment ${previous.id} is archived only up to byte ${previous.partialLength} (its sealed copy is not in the archive yet)`
        break
      }
      if (previous !== undefined && object.id !== previous.id + 1n) {
        gap = `segment ${previous.id + 1n} is not in the archive`
        break
      }
      const bytes = yield* readObject(object.key)
      const scanned = scan(bytes, crc32, toLsn)
      if (typeof scanned === "string" || scanned.fault !== undefined) {
        const fault = typeof scanned === "string" ? scanned : scanned.fault
        return yield* new ArchiveError({ reason: "Damaged", message: `${object.key}: ${fault}` })
      }
      if (toLsn !== undefined && scanned.baseLsn > toLsn) break
      if (lastLsn !== undefined && scanned.baseLsn > lastLsn + 1n) {
        gap = `${object.key} starts at lsn ${scanned.baseLsn}, but the archive holds the log only up to lsn ${lastLsn}`
        break
      }
      yield* writeDurably(fs, path.join(dir, object.name), bytes.subarray(0, scanned.end))
      names.push(object.name)
      firstLsn ??= scanned.baseLsn
      if (scanned.lastLsn !== undefined) lastLsn = scanned.lastLsn
      previous = object
      if (scanned.end < bytes.length) break
    }
    yield* syncDirectory(fs, dir).pipe(Effect.mapError(Io.fromPlatform))
    return { names, firstLsn, lastLsn, gap } satisfies Written
  })

/** A partial copy the archiver replaced between the listing and the read: the listing is stale, not the archive. */
const replacedMeanwhile = (e: ArchiveError | ArchiveStoreError | Io) =>
  e._tag === "ArchiveStoreError" && e.reason === "NotFound" && e.key.includes(".partial-")

/** @internal */
export const restore = (options: {
  readonly dir: string
  readonly prefix: string
  readonly toLsn: bigint | undefined
}): Effect.Effect<Restored, ArchiveError | ArchiveStoreError | Io, ArchiveStore | FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const dir = path.resolve(options.dir)
    yield* checkTarget(fs, path, dir)
    yield* makeDirectoryDurably(fs, path, dir).pipe(Effect.mapError(Io.fromPlatform))
    // Built in a hidden directory inside the target (the same filesystem, even for a mount point) and
    // moved into place once whole and fsynced: a failed or interrupted restore leaves no segment in it.
    const building = path.join(dir, `${BUILDING_PREFIX}${Math.random().toString(36).slice(2)}`)
    const io = <A>(effect: Effect.Effect<A, PlatformError>) => Effect.mapError(effect, Io.fromPlatform)
    const build = Effect.zipRight(io(fs.makeDirectory(building)), writeSegments(building, options.prefix, options.toLsn)).pipe(
      Effect.onError(() => Effect.ignore(fs.remove(building, { recursive: true, force: true }))),
      Effect.retry({ times: 3, while: replacedMeanwhile })
    )
    const written = yield* build
    yield* Effect.forEach(written.names, (name) => io(fs.rename(path.join(building, name), path.join(dir, name))), { discard: true })
    yield* io(fs.remove(building, { recursive: true }))
    yield* io(syncDirectory(fs, dir))
    return {
      files: written.names.map((name) => path.join(dir, name)),
      firstLsn: written.firstLsn,
      lastLsn: written.lastLsn,
      gap: written.gap
    }
  })
