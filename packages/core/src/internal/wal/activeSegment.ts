/**
 * The segment the log appends to: created exclusively with its header and
 * fsynced, or resumed after recovery; sealed when the log rotates. The open
 * file lives in a `ScopedRef`, so replacing it closes the previous one and
 * the handle's scope closes the last one.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as ScopedRef from "effect/ScopedRef"
import { unsafeMake as unsafeLsn } from "../../Lsn.js"
import * as Segment from "../../Segment.js"
import { Io } from "../../WalError.js"

/** The open segment file and what the log knows about it. @internal */
export interface OpenSegment {
  readonly file: FileSystem.File
  readonly id: Segment.SegmentId
  readonly baseLsn: bigint
  /** Bytes handed to the OS so far, header included. */
  size: number
}

/** @internal */
export interface ActiveSegment {
  /** The segment being appended to (defined once recovery has created or resumed one). */
  readonly current: OpenSegment
  /** Creates segment `id` (never clobbering a file) with its header, fsynced; it becomes current. */
  readonly create: (id: Segment.SegmentId, baseLsn: bigint) => Effect.Effect<void, Io>
  /** Reopens an existing segment for appending at `size`; it becomes current. */
  readonly resume: (segment: { readonly path: string; readonly id: Segment.SegmentId; readonly baseLsn: bigint; readonly size: number }) => Effect.Effect<void, Io>
  /** fsyncs the current segment, then marks its header sealed and fsyncs again. */
  readonly seal: Effect.Effect<void, Io>
  readonly pathOf: (id: Segment.SegmentId) => string
}

const io = Effect.mapError(Io.fromPlatform)

/** @internal */
export const make = (
  fs: FileSystem.FileSystem,
  path: Path.Path,
  dir: string
): Effect.Effect<ActiveSegment, never, Scope.Scope> =>
  Effect.map(ScopedRef.make((): OpenSegment | undefined => undefined), (ref) => {
    let current: OpenSegment | undefined
    const pathOf = (id: Segment.SegmentId) => path.join(dir, Segment.fileName(id))

    /**
     * Closes the previous segment's file, then opens the next in a scope of its own (the order of
     * `ScopedRef.set`). If opening fails, the caller poisons the log, so the closed file is never used again.
     */
    const replaceWith = (open: Effect.Effect<OpenSegment, Io, Scope.Scope>) =>
      Effect.flatMap(ScopedRef.set(ref, open), () => ScopedRef.get(ref)).pipe(
        Effect.map((segment) => void (current = segment))
      )

    const create = (id: Segment.SegmentId, baseLsn: bigint) =>
      replaceWith(Effect.gen(function*() {
        const file = yield* io(fs.open(pathOf(id), { flag: "wx", mode: 0o600 }))
        yield* io(file.writeAll(Segment.encodeHeader({ baseLsn: unsafeLsn(baseLsn) })))
        yield* io(file.sync)
        return { file, id, baseLsn, size: Segment.HEADER_LEN }
      }))

    const resume: ActiveSegment["resume"] = (segment) =>
      replaceWith(Effect.gen(function*() {
        const file = yield* io(fs.open(segment.path, { flag: "r+", mode: 0o600 }))
        yield* io(file.seek(segment.size, "start"))
        return { file, id: segment.id, baseLsn: segment.baseLsn, size: segment.size }
      }))

    const seal = Effect.suspend(() => {
      const { file, baseLsn } = current!
      return io(Effect.gen(function*() {
        yield* file.sync
        yield* file.seek(0, "start")
        yield* file.writeAll(Segment.encodeHeader({ baseLsn: unsafeLsn(baseLsn), flags: Segment.FLAG_SEALED }))
        yield* file.sync
      }))
    })

    return {
      get current() {
        return current!
      },
      create,
      resume,
      seal,
      pathOf
    }
  })
