/**
 * The DirLock behaviours the log relies on, as tests. Each test locks fresh
 * temporary directories made through the layer's filesystem (the one the
 * lock sees) and removed when the test ends. They run on the live clock:
 * a lock may wait real time between attempts.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import { expect, it } from "@effect/vitest"
import { DirLock, LOCK_FILE } from "@lora-wal/core/DirLock"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"

export const dirLockCases = <E>(layer: Layer.Layer<DirLock | FileSystem.FileSystem, E>): void => {
  const withLock = <A, E2>(
    f: (lock: Context.Tag.Service<typeof DirLock>, fs: FileSystem.FileSystem) => Effect.Effect<A, E2, Scope.Scope>
  ) =>
    Effect.gen(function*() {
      return yield* f(yield* DirLock, yield* FileSystem.FileSystem)
    }).pipe(Effect.scoped, Effect.provide(layer))

  /** Tries to lock `dir` (releasing at once on success): `"acquired"`, or the error's tag. */
  const attempt = (lock: Context.Tag.Service<typeof DirLock>, dir: string) =>
    Effect.match(Effect.scoped(lock.acquire(dir)), { onFailure: (error) => error._tag, onSuccess: () => "acquired" })

  it.live("a second acquire of a held directory fails with AlreadyOpen, and leaves the lock held", () =>
    withLock((lock, fs) =>
      Effect.gen(function*() {
        const dir = yield* fs.makeTempDirectoryScoped()
        yield* lock.acquire(dir)
        expect(yield* attempt(lock, dir)).toBe("AlreadyOpen")
        expect(yield* attempt(lock, dir)).toBe("AlreadyOpen")
      })))

  it.live("closing the holder's scope releases the lock; the next holder excludes others again", () =>
    withLock((lock, fs) =>
      Effect.gen(function*() {
        const dir = yield* fs.makeTempDirectoryScoped()
        const holder = yield* Scope.make()
        yield* Scope.extend(lock.acquire(dir), holder)
        expect(yield* attempt(lock, dir)).toBe("AlreadyOpen")
        yield* Scope.close(holder, Exit.void)
        expect(yield* attempt(lock, dir)).toBe("acquired")
        yield* lock.acquire(dir)
        expect(yield* attempt(lock, dir)).toBe("AlreadyOpen")
      })))

  it.live("locks on different directories are independent", () =>
    withLock((lock, fs) =>
      Effect.gen(function*() {
        const first = yield* fs.makeTempDirectoryScoped()
        const second = yield* fs.makeTempDirectoryScoped()
        yield* lock.acquire(first)
        expect(yield* attempt(lock, second)).toBe("acquired")
        yield* lock.acquire(second)
        expect(yield* attempt(lock, first)).toBe("AlreadyOpen")
        expect(yield* attempt(lock, second)).toBe("AlreadyOpen")
      })))

  it.live(`acquiring creates ${LOCK_FILE} in the directory, and it stays after release`, () =>
    withLock((lock, fs) =>
      Effect.gen(function*() {
        const dir = yield* fs.makeTempDirectoryScoped()
        const path = `${dir}/${LOCK_FILE}`
        expect(yield* fs.exists(path)).toBe(false)
        expect(yield* attempt(lock, dir)).toBe("acquired")
        expect(yield* fs.exists(path)).toBe(true)
        expect((yield* fs.stat(path)).type).toBe("File")
      })))
}
