/**
 * The services a program gets on a simulated machine: its filesystem, POSIX
 * paths, and an in-process lock table of its own, as a new process has.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as DirLock from "@lora-wal/core/DirLock"
import * as Effect from "effect/Effect"

/** The platform's POSIX paths, taken once from its (pure) layer. */
const posix: Path.Path = Effect.runSync(Effect.provide(Path.Path, Path.layer))

/**
 * Runs `effect` as one process of the machine whose filesystem is `fs`.
 * Services rather than a layer: building a layer costs more than many a
 * small case, and crash tests run thousands.
 */
export const provideMachine = (fs: FileSystem.FileSystem) =>
<A, E>(
  effect: Effect.Effect<A, E, FileSystem.FileSystem | Path.Path | DirLock.DirLock>
): Effect.Effect<A, E> =>
  Effect.flatMap(
    DirLock.makeMemory.pipe(Effect.provideService(FileSystem.FileSystem, fs), Effect.provideService(Path.Path, posix)),
    (lock) =>
      effect.pipe(
        Effect.provideService(DirLock.DirLock, lock),
        Effect.provideService(FileSystem.FileSystem, fs),
        Effect.provideService(Path.Path, posix)
      )
  )
