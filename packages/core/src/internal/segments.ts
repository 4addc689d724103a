import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import * as Segment from "../Segment.js"
import { Io, Malformed } from "../WalError.js"

/** A segment file found in the log directory. */
export interface SegmentFile {
  readonly id: Segment.SegmentId
  readonly name: string
  readonly path: string
  readonly size: number
}

/** The `<digits>.wal` names in `dir` with their ids, oldest first: one directory read, no stat (what a poller needs). */
export const listSegmentNames = (
  fs: FileSystem.FileSystem,
  dir: string
): Effect.Effect<Array<{ readonly id: Segment.SegmentId; readonly name: string }>, Io> =>
  Effect.map(fs.readDirectory(dir), (names) =>
    names.flatMap((name) => {
      const id = Segment.parseFileName(name)
      return id === undefined ? [] : [{ id, name }]
    }).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))).pipe(Effect.mapError(Io.fromPlatform))

/** Every `<digits>.wal` file in `dir`, oldest first, with its size. */
export const listSegments = (
  fs: FileSystem.FileSystem,
  path: Path.Path,
  dir: string
): Effect.Effect<Array<SegmentFile>, Io> =>
  Effect.gen(function*() {
    const found: Array<SegmentFile> = []
    for (const { id, name } of yield* listSegmentNames(fs, dir)) {
      const file = path.join(dir, name)
      const info = yield* fs.stat(file).pipe(Effect.mapError(Io.fromPlatform))
      if (info.type === "File") found.push({ id, name, path: file, size: Number(info.size) })
    }
    return found
  })

/** The segments replay reads, and a newest one set aside as an interrupted creation. */
export interface Replayable {
  readonly segments: ReadonlyArray<SegmentFile>
  readonly interrupted: SegmentFile | undefined
}

/**
 * The segments replay reads, after the recovery rules this library adds to
 * lora-wal's: ids must be contiguous (a deleted middle segment is data loss,
 * not something to skip), and a newest segment shorter than its header, or
 * holding nothing but an invalid header (`newestHeaderValid` false: its
 * creation was cut before the header reached the disk), is an interrupted
 * rotation that never held a record, so it is set aside.
 */
export const replayable = (
  segments: ReadonlyArray<SegmentFile>,
  newestHeaderValid: boolean | undefined = undefined
): Replayable | Malformed => {
  for (let i = 1; i < segments.length; i++) {
    const previous = segments[i - 1]!
    const current = segments[i]!
    if (current.id !== previous.id + 1n) {
      const missing = (previous.id + 1n) as Segment.SegmentId
      return new Malformed({
        reason: `segment ${missing} (${Segment.fileName(missing)}) is missing between ${previous.name} and ${current.name}`
      })
    }
  }
  const newest = segments[segments.length - 1]
  const interrupted = newest !== undefined &&
      (newest.size < Segment.HEADER_LEN || (newest.size === Segment.HEADER_LEN && newestHeaderValid === false))
    ? newest
    : undefined
  const kept = interrupted === undefined ? segments : segments.slice(0, -1)
  for (const segment of kept) {
    if (segment.size < Segment.HEADER_LEN) {
      return new Malformed({
        reason: `segment ${segment.path} is shorter than its ${Segment.HEADER_LEN}-byte header (${segment.size} bytes)`
      })
    }
  }
  return { segments: kept, interrupted }
}

/** The segments to replay (the newest one's header is read only when it decides whether it was an interrupted creation). */
export const listReplayable = (
  fs: FileSystem.FileSystem,
  path: Path.Path,
  dir: string
): Effect.Effect<Replayable, Io | Malformed> =>
  Effect.gen(function*() {
    const segments = yield* listSegments(fs, path, dir)
    const newest = segments[segments.length - 1]
    const headerValid = newest === undefined || newest.size !== Segment.HEADER_LEN
      ? undefined
      : Segment.decodeHeader(yield* fs.readFile(newest.path).pipe(Effect.mapError(Io.fromPlatform)))._tag === "Right"
    const listed = replayable(segments, headerValid)
    return listed instanceof Malformed ? yield* listed : listed
  })
