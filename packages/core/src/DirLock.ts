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
import * as Path from "@effect/platform/Path"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { AlreadyOpen, Io } from "./WalError.js"

/**
 * The lock file's name inside the log directory.
 *
 * @since 0.1.0
 * @category constants
 */
export const LOCK_FILE = ".lora-wal.lock"

/**
 * Brands every {@link DirLock}, whichever platform implemented it.
 *
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("@lora-wal/core/DirLock")

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * The service a log takes its directory lock from. Use the Node layer
 * (`NodeDirLock.layer`) in production and {@link layerMemory} over a memory
 * filesystem; {@link make} builds one for another platform.
 *
 * @since 0.1.0
 * @category models
 */
export interface DirLock {
  readonly [TypeId]: TypeId
  /** Holds the lock on `dir` until the scope closes. */
  readonly acquire: (dir: string) => Effect.Effect<void, AlreadyOpen | Io, Scope.Scope>
}

/**
 * The tag `Wal.make` reads the lock from: provide a layer of it beside the
 * filesystem.
 *
 * @since 0.1.0
 * @category tags
 */
export const DirLock: Context.Tag<DirLock, DirLock> = Context.GenericTag<DirLock>("@lora-wal/core/DirLock")

/**
 * A lock from its `acquire`: what an implementation for another platform
 * provides.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (acquire: DirLock["acquire"]): DirLock => ({ [TypeId]: TypeId, acquire })

/**
 * Creates the (empty, owner-only) lock file if it is missing, as lora-wal
 * does; it stays after release. For implementations of {@link DirLock}.
 *
 * @since 0.1.0
 * @category utils
 */
export const touchLockFile = (
  fs: FileSystem.FileSystem,
  path: Path.Path,
  dir: string
): Effect.Effect<string, Io> =>
  Effect.gen(function*() {
    const file = path.join(dir, LOCK_FILE)
    if (!(yield* fs.exists(file))) yield* fs.writeFile(file, new Uint8Array(0), { mode: 0o600 })
    return file
  }).pipe(Effect.mapError(Io.fromPlatform))

/**
 * An in-process lock: exclusive within this process only. For tests and for
 * filesystems (like the memory one) that no other process can see.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemory: Effect.Effect<DirLock, never, FileSystem.FileSystem | Path.Path> = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const held = new Set<string>()
  return make((dir) =>
    Effect.gen(function*() {
      const file = yield* touchLockFile(fs, path, dir)
      yield* Effect.acquireRelease(
        Effect.suspend(() => {
          if (held.has(file)) return Effect.fail(new AlreadyOpen({ dir }))
          held.add(file)
          return Effect.void
        }),
        () => Effect.sync(() => held.delete(file))
      )
    })
  )
})

/**
 * The in-process lock ({@link makeMemory}) as a layer, for tests over a
 * memory filesystem.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory: Layer.Layer<DirLock, never, FileSystem.FileSystem | Path.Path> = Layer.effect(
  DirLock,
  makeMemory
)
