import * as FileSystem from "@effect/platform/FileSystem"
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

export const joinPath = (dir: string, name: string): string => dir.endsWith("/") ? `${dir}${name}` : `${dir}/${name}`

/** The directory holding `path` ("." for a bare relative name). */
export const parentOf = (path: string): string => {
  const trimmed = path.replace(/\/+$/, "")
  const i = trimmed.lastIndexOf("/")
  return i < 0 ? "." : i === 0 ? "/" : trimmed.slice(0, i)
}

/** Every `<digits>.wal` file in `dir`, oldest first, with its size. */
export const listSegments = (dir: string): Effect.Effect<Array<SegmentFile>, Io, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const names = yield* fs.readDirectory(dir)
    const found: Array<SegmentFile> = []
    for (const name of names) {
      const id = Segment.parseFileName(name)
      if (id === undefined) continue
      const path = joinPath(dir, name)
      const info = yield* fs.stat(path)
      if (info.type !== "File") continue
      found.push({ id, name, path, size: Number(info.size) })
    }
    return found.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  }).pipe(Effect.mapError(Io.fromPlatform))

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
): { readonly segments: ReadonlyArray<SegmentFile>; readonly interrupted: SegmentFile | undefined } | Malformed => {
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

/** Whether the newest segment is header-only with an invalid header (read only when it matters). */
export const listReplayable = (dir: string) =>
  Effect.gen(function*() {
    const segments = yield* listSegments(dir)
    const newest = segments[segments.length - 1]
    if (newest === undefined || newest.size !== Segment.HEADER_LEN) return replayable(segments)
    const fs = yield* FileSystem.FileSystem
    const bytes = yield* fs.readFile(newest.path).pipe(Effect.mapError(Io.fromPlatform))
    return replayable(segments, Segment.decodeHeader(bytes)._tag === "Right")
  })
