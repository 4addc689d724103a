/**
 * The exclusive lock that makes one live handle the only writer of a log
 * directory. A second open, in this process or another, fails with
 * `AlreadyOpen`; the lock is released when the holder's scope closes, and a
 * holder that dies (even by SIGKILL) must not block the next open.
 *
 * The Node implementation (`@lora-wal/platform-node`) uses kernel `flock` on
 * `.lora-wal.lock`, the same lock lora-wal takes, so the Rust crate and this
 * library also exclude each other.
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { joinPath } from "./internal/segments.js"
import { AlreadyOpen, Io } from "./WalError.js"

/**
 * The lock file's name inside the log directory.
 *
 * @since 0.1.0
 */
export const LOCK_FILE = ".lora-wal.lock"

/**
 * @since 0.1.0
 */
export interface DirLockShape {
  /** Holds the lock on `dir` until the scope closes. */
  readonly acquire: (dir: string) => Effect.Effect<void, AlreadyOpen | Io, Scope.Scope>
}

/**
 * @since 0.1.0
 */
export class DirLock extends Context.Tag("@lora-wal/core/DirLock")<DirLock, DirLockShape>() {}

/**
 * Creates the (empty, owner-only) lock file if it is missing, as lora-wal
 * does; it stays after release.
 *
 * @since 0.1.0
 */
export const touchLockFile = (dir: string): Effect.Effect<string, Io, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = joinPath(dir, LOCK_FILE)
    if (!(yield* fs.exists(path))) yield* fs.writeFile(path, new Uint8Array(0), { mode: 0o600 })
    return path
  }).pipe(Effect.mapError(Io.fromPlatform))

/**
 * An in-process lock: exclusive within this process only. For tests and for
 * filesystems (like the memory one) that no other process can see.
 *
 * @since 0.1.0
 */
export const makeMemory: Effect.Effect<DirLockShape, never, FileSystem.FileSystem> = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const held = new Set<string>()
  return {
    acquire: (dir) =>
      Effect.gen(function*() {
        const path = yield* touchLockFile(dir).pipe(Effect.provideService(FileSystem.FileSystem, fs))
        yield* Effect.acquireRelease(
          Effect.suspend(() => {
            if (held.has(path)) return Effect.fail(new AlreadyOpen({ dir }))
            held.add(path)
            return Effect.void
          }),
          () => Effect.sync(() => held.delete(path))
        )
      })
  }
})

/**
 * The in-process lock as a layer.
 *
 * @since 0.1.0
 */
export const layerMemory: Layer.Layer<DirLock, never, FileSystem.FileSystem> = Layer.effect(DirLock, makeMemory)
