import { type PlatformError, SystemError } from "@effect/platform/Error"
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"

/** fsyncs a directory, making its entries (creates, removes, renames) durable. */
export const syncDirectory = (fs: FileSystem.FileSystem, dir: string): Effect.Effect<void, PlatformError> =>
  Effect.scoped(Effect.flatMap(fs.open(dir, { flag: "r" }), (handle) => handle.sync))

/**
 * Creates `dir` and any missing ancestors so that each survives a crash:
 * every new directory's entry is fsynced into its parent.
 */
export const makeDirectoryDurably = (
  fs: FileSystem.FileSystem,
  path: Path.Path,
  dir: string
): Effect.Effect<void, PlatformError> =>
  Effect.gen(function*() {
    const missing: Array<string> = []
    for (let at = dir; !(yield* fs.exists(at)); at = path.dirname(at)) {
      missing.unshift(at)
      if (path.dirname(at) === at) break
    }
    for (const created of missing) {
      // Another writer may create it between the check and here: it exists all the same.
      yield* fs.makeDirectory(created).pipe(
        Effect.catchIf((e) => e._tag === "SystemError" && e.reason === "AlreadyExists", () => Effect.void)
      )
      yield* syncDirectory(fs, path.dirname(created))
    }
  })

/**
 * Replaces `path` by a fresh, fsynced copy of its first `size` bytes,
 * written to `<path>.tmp` and renamed over it (the caller fsyncs the
 * directory). The copy's pages are new, so its fsync really writes them,
 * whatever a failed fsync of the old file left in the page cache.
 */
export const rewriteDurably = (
  fs: FileSystem.FileSystem,
  path: string,
  size: number
): Effect.Effect<void, PlatformError> =>
  Effect.gen(function*() {
    const temporary = `${path}.tmp`
    yield* fs.remove(temporary, { force: true })
    yield* Effect.scoped(Effect.gen(function*() {
      const source = yield* fs.open(path, { flag: "r" })
      const target = yield* fs.open(temporary, { flag: "wx", mode: 0o600 })
      const chunk = new Uint8Array(Math.max(1, Math.min(size, COPY_CHUNK)))
      for (let copied = 0; copied < size;) {
        const n = Number(yield* source.read(chunk.subarray(0, Math.min(chunk.length, size - copied))))
        if (n === 0) {
          return yield* new SystemError({
            reason: "UnexpectedEof",
            module: "FileSystem",
            method: "read",
            pathOrDescriptor: path,
            description: `${path} ended after ${copied} of ${size} bytes while it was copied`
          })
        }
        yield* target.writeAll(chunk.subarray(0, n))
        copied += n
      }
      yield* target.sync
    })).pipe(Effect.onError(() => Effect.ignore(fs.remove(temporary, { force: true }))))
    yield* fs.rename(temporary, path)
  })

const COPY_CHUNK = 1 << 20
