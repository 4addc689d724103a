/**
 * Deleting history a snapshot covers: sealed segments whose whole LSN range
 * is at or below the fence. Segment i covers its base LSN up to the next
 * segment's base minus one, so each candidate's successor header is read.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { Lsn } from "../../Lsn.js"
import * as Segment from "../../Segment.js"
import { BadSegmentHeader, Io, type TruncateError } from "../../WalError.js"
import { listSegments } from "../segments.js"
import { withSpan } from "../tracing.js"
import { type LogState, whenHealthy } from "./state.js"

const readBaseLsn = (fs: FileSystem.FileSystem, path: string): Effect.Effect<bigint, Io | BadSegmentHeader> =>
  Effect.scoped(Effect.gen(function*() {
    const file = yield* fs.open(path, { flag: "r" })
    const header = new Uint8Array(Segment.HEADER_LEN)
    const n = Number(yield* file.read(header))
    return Segment.decodeHeader(header.subarray(0, n))
  })).pipe(
    Effect.mapError(Io.fromPlatform),
    Effect.flatMap((decoded) =>
      Either.isRight(decoded)
        ? Effect.succeed(decoded.right.baseLsn)
        : Effect.fail(decoded.left._tag === "Truncated" ? new BadSegmentHeader({ reason: "truncated header" }) : decoded.left)
    )
  )

/**
 * Deletes sealed segments wholly at or below `fence`, keeping the active
 * segment and the one before it; fsyncs the directory when it deleted any.
 *
 * @internal
 */
export const make = (
  state: LogState,
  fs: FileSystem.FileSystem,
  path: Path.Path,
  syncDir: Effect.Effect<void, Io>
) =>
(fence: Lsn): Effect.Effect<void, TruncateError> =>
  state.locked(whenHealthy(state, () =>
    Effect.gen(function*() {
      const entries = yield* listSegments(fs, path, state.dir)
      const removed: Array<bigint> = []
      for (let i = 0; i + 1 < entries.length; i++) {
        const entry = entries[i]!
        if (entry.id >= state.segment.current.id - 1n) break
        const nextBase = yield* readBaseLsn(fs, entries[i + 1]!.path)
        if (nextBase - 1n <= fence) {
          yield* fs.remove(entry.path).pipe(Effect.mapError(Io.fromPlatform))
          removed.push(entry.id)
        }
      }
      for (const id of removed) {
        if (id >= state.oldestId) state.oldestId = id + 1n
      }
      if (removed.length > 0) yield* syncDir
    }))).pipe(withSpan("lora-wal.truncate", { captureStackTrace: false }))
