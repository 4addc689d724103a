import type * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import { Io } from "../WalError.js"

/**
 * Reads from `file`'s current position into `into` until it is full or the
 * file ends, and returns how many bytes it read.
 */
export const readFully = (file: FileSystem.File, into: Uint8Array): Effect.Effect<number, Io> =>
  Effect.gen(function*() {
    let filled = 0
    while (filled < into.length) {
      const n = Number(yield* file.read(into.subarray(filled)).pipe(Effect.mapError(Io.fromPlatform)))
      if (n === 0) break
      filled += n
    }
    return filled
  })

/** Up to `length` bytes from file offset `at`, in a buffer of their own (moves the file position). */
export const readAt = (file: FileSystem.File, at: number, length: number): Effect.Effect<Uint8Array, Io> =>
  Effect.zipRight(
    file.seek(at, "start"),
    Effect.suspend(() => {
      const out = new Uint8Array(Math.max(0, length))
      return Effect.map(readFully(file, out), (filled) => out.subarray(0, filled))
    })
  )
