/**
 * The segment files of a directory as `Verify` takes them, with what each
 * one is before any record is read: a segment to walk, the file an
 * interrupted rotation left (the newest, with no valid header and nothing
 * else: open removes it), one shorter than its header, or one that cannot
 * even be examined. Unlike the replay listing it does not fail on the first
 * bad file: a file that cannot be examined is one problem among others; only
 * a directory that cannot be listed fails.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Segment from "../Segment.js"
import { Io } from "../WalError.js"
import { listSegmentNames } from "./segments.js"

export type Role =
  | { readonly _tag: "Walk"; readonly size: number; readonly newest: boolean }
  | { readonly _tag: "Interrupted"; readonly size: number }
  | { readonly _tag: "Short"; readonly size: number }
  | { readonly _tag: "Unreadable"; readonly reason: string }

export interface Entry {
  readonly id: Segment.SegmentId
  readonly name: string
  readonly path: string
  readonly role: Role
}

/** A segment file as listed: its size, or why it could not be stat'ed. */
interface Found {
  readonly id: Segment.SegmentId
  readonly name: string
  readonly path: string
  readonly size: number | string
}

/** The `<digits>.wal` files of `dir` that are files (or cannot be stat'ed), oldest first. */
const listNames = (fs: FileSystem.FileSystem, path: Path.Path, dir: string): Effect.Effect<Array<Found>, Io> =>
  Effect.gen(function*() {
    const found: Array<Found> = []
    for (const { id, name } of yield* listSegmentNames(fs, dir)) {
      const file = path.join(dir, name)
      const info = yield* Effect.either(fs.stat(file))
      if (Either.isLeft(info)) found.push({ id, name, path: file, size: Io.fromPlatform(info.left).description })
      else if (info.right.type === "File") found.push({ id, name, path: file, size: Number(info.right.size) })
    }
    return found
  })

/** Whether a header-only newest segment holds a valid header (else it is an interrupted creation, as replay decides). */
const headerValid = (fs: FileSystem.FileSystem, file: string): Effect.Effect<Either.Either<boolean, string>> =>
  fs.readFile(file).pipe(
    Effect.map((bytes) => Either.isRight(Segment.decodeHeader(bytes))),
    Effect.mapError((error) => Io.fromPlatform(error).description),
    Effect.either
  )

/** The segment files of `dir`, oldest first, each with its role. */
export const listEntries = (
  fs: FileSystem.FileSystem,
  path: Path.Path,
  dir: string
): Effect.Effect<Array<Entry>, Io> =>
  Effect.gen(function*() {
    const found = yield* listNames(fs, path, dir)
    const last = found[found.length - 1]
    let interrupted = false
    let lastReason: string | undefined
    if (last !== undefined && typeof last.size === "number") {
      if (last.size < Segment.HEADER_LEN) interrupted = true
      else if (last.size === Segment.HEADER_LEN) {
        const valid = yield* headerValid(fs, last.path)
        if (Either.isLeft(valid)) lastReason = valid.left
        else interrupted = !valid.right
      }
    }
    const lastIndex = found.length - 1
    const newestIndex = interrupted ? lastIndex - 1 : lastIndex
    return found.map(({ size, ...file }, i): Entry => {
      if (typeof size === "string") return { ...file, role: { _tag: "Unreadable", reason: size } }
      if (i === lastIndex && lastReason !== undefined) return { ...file, role: { _tag: "Unreadable", reason: lastReason } }
      if (i === lastIndex && interrupted) return { ...file, role: { _tag: "Interrupted", size } }
      if (size < Segment.HEADER_LEN) return { ...file, role: { _tag: "Short", size } }
      return { ...file, role: { _tag: "Walk", size, newest: i === newestIndex } }
    })
  })
