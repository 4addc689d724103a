import * as FileSystem from "@effect/platform/FileSystem"
import type { PlatformError } from "@effect/platform/Error"
import * as Effect from "effect/Effect"
import { parentOf } from "./segments.js"

/** fsyncs a directory, making its entries (creates, removes, renames) durable. */
export const syncDirectory = (fs: FileSystem.FileSystem, dir: string): Effect.Effect<void, PlatformError> =>
  Effect.scoped(Effect.flatMap(fs.open(dir, { flag: "r" }), (handle) => handle.sync))

/**
 * Creates `dir` and any missing ancestors so that each survives a crash:
 * every new directory's entry is fsynced into its parent.
 */
export const makeDirectoryDurably = (fs: FileSystem.FileSystem, dir: string): Effect.Effect<void, PlatformError> =>
  Effect.gen(function*() {
    const missing: Array<string> = []
    for (let at = dir; !(yield* fs.exists(at)); at = parentOf(at)) {
      missing.unshift(at)
      if (parentOf(at) === at) break
    }
    for (const path of missing) {
      yield* fs.makeDirectory(path)
      yield* syncDirectory(fs, parentOf(path))
    }
  })
