/**
 * Contract suites: what `@lora-wal/core` relies on from the services it is
 * given, and what every layer that provides the log must honour, as
 * @effect/vitest tests parameterised by a layer. Call one inside a test file
 * to check your own layer (a `FileSystem` over other storage, a `DirLock`
 * for another platform, the whole stack a log runs on) the way this
 * repository checks its Node and memory layers:
 *
 * ```ts
 * import { NodeContext, NodeFileSystem } from "@effect/platform-node"
 * import { NodeDirLock } from "@lora-wal/platform-node"
 * import * as Contracts from "@lora-wal/testkit/Contracts"
 * import * as Layer from "effect/Layer"
 *
 * Contracts.fileSystem("node", NodeFileSystem.layer)
 * Contracts.dirLock("node", Layer.merge(NodeFileSystem.layer, NodeDirLock.layer))
 * Contracts.wal("node", Layer.merge(NodeContext.layer, NodeDirLock.layer))
 * ```
 *
 * This module imports `@effect/vitest`, and through it `vitest`, so it is an
 * entry point of its own (`@lora-wal/testkit/Contracts`): the rest of the
 * testkit never loads it.
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import { describe } from "@effect/vitest"
import type { ArchiveStore } from "@lora-wal/core/ArchiveStore"
import type { DirLock } from "@lora-wal/core/DirLock"
import * as Wal from "@lora-wal/core/Wal"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { archiveStoreCases } from "./internal/contracts/archiveStore.js"
import { dirLockCases } from "./internal/contracts/dirLock.js"
import { fileSystemCases } from "./internal/contracts/fileSystem.js"
import { walCases } from "./internal/contracts/wal.js"

/**
 * Declares the `FileSystem` contract tests for `layer`, in a `describe`
 * block named after `name`: exclusive create, NotFound and AlreadyExists
 * errors, positioned writes, seek and truncate, `r+`, fsync of a directory
 * handle, listing, remove, rename (replacing a target), link (never replacing one), recursive
 * makeDirectory, file modes, and handles that outlive their path. Every
 * test gets a fresh build of `layer` and a temporary directory made through
 * it (`makeTempDirectoryScoped`), removed when the test ends.
 *
 * @since 0.1.0
 * @category contracts
 */
export const fileSystem = <E>(name: string, layer: Layer.Layer<FileSystem.FileSystem, E>): void => {
  describe(`FileSystem contract (${name})`, () => fileSystemCases(layer))
}

/**
 * Declares the `ArchiveStore` contract tests for `layer`, in a `describe`
 * block named after `name`: objects read back whole with their size and
 * SHA-256, put-if-absent never replacing an object, a checksum that does
 * not match stores nothing, NotFound for a missing object, listing by
 * prefix in key order, empty objects, and the keys every store refuses.
 * Every test gets a fresh build of `layer`, which must be an empty store.
 *
 * @since 0.1.0
 * @category contracts
 */
export const archiveStore = <E>(name: string, layer: Layer.Layer<ArchiveStore, E>): void => {
  describe(`ArchiveStore contract (${name})`, () => archiveStoreCases(layer))
}

/**
 * Declares the `DirLock` contract tests for `layer`, in a `describe` block
 * named after `name`: a held directory refuses a second acquire with
 * `AlreadyOpen` (and stays held); closing the holder's scope releases it;
 * different directories are independent; acquiring creates the lock file.
 * The layer provides the filesystem the lock works on, which makes the
 * temporary directories: the Node lock with the Node filesystem, the memory
 * lock over the memory one. Every test gets a fresh build of `layer`.
 *
 * @since 0.1.0
 * @category contracts
 */
export const dirLock = <E>(name: string, layer: Layer.Layer<DirLock | FileSystem.FileSystem, E>): void => {
  describe(`DirLock contract (${name})`, () => dirLockCases(layer))
}

/**
 * How {@link wal} gets a directory and opens a log, for a stack the defaults
 * do not fit. Both are optional.
 *
 * @since 0.1.0
 * @category models
 */
export interface WalOptions {
  /**
   * A directory of the test's own on the platform's storage, removed when
   * its scope (the test) closes. The suite keeps its log in the
   * subdirectory `log` of it, which the first open creates. Default: the
   * platform filesystem's `makeTempDirectoryScoped()`.
   */
  readonly freshDir?: Effect.Effect<string, unknown, FileSystem.FileSystem | Path.Path | Scope.Scope> | undefined
  /**
   * The layer that provides the log, from the options the suite opens it
   * with (`dir` and `syncMode`, and `segmentTargetBytes` and `fence` in the
   * rotation case: pass them all through). Default: `Wal.layer`. Give your
   * own wrapper that provides `Wal.Wal` here to check it rather than the
   * bare log. It is built on the platform's services and must write through
   * them: the suite reads the directory back with `Replay` on the same
   * platform.
   */
  readonly open?:
    | ((options: Wal.LoraOptions) => Layer.Layer<Wal.Wal, unknown, FileSystem.FileSystem | Path.Path | DirLock>)
    | undefined
}

/**
 * Declares the contract of a live log for the stack it runs on, in a
 * `describe` block named after `name`: the promises every layer that
 * provides `Wal.Wal` must keep, whatever the filesystem, lock or wrapper
 * underneath, so the stack you deploy can be checked, not only its parts.
 *
 * `platform` provides what `Wal.make` needs (`FileSystem`, `Path`,
 * `DirLock`). It is built once per test and every open, close and reopen of
 * that test runs on that one build, so a memory filesystem keeps its files
 * across a reopen as a disk does. Under each sync mode (PerCommit, Group,
 * None), with flushed commits:
 *
 * - commits get strictly increasing LSNs, and `commitTx` (like
 *   `withTransaction`) returns the LSN of the TxCommit replay reports;
 * - an empty transaction returns no LSN and writes nothing;
 * - `withTransaction` commits the body's events as one transaction and
 *   returns `{ value, commitLsn }`; when the body fails, dies or is
 *   interrupted nothing is written and the log goes on working;
 * - everything committed replays in order after close and reopen (the
 *   handle's `recovery` and `Replay.replayDir` alike), and LSNs continue
 *   after the last one;
 * - a transaction begun but never committed is not replayed, and its LSNs
 *   are never reused;
 * - a second open of an open directory fails with `AlreadyOpen` and leaves
 *   the holder working; once the holder closes, it opens;
 * - a handle used after its scope closed fails with `Closed`, writing
 *   nothing;
 * - with small segments, many commits rotate into several segments that all
 *   replay; `truncateUpTo(fence)` removes only the oldest segments, each
 *   wholly at or below the fence, and replay above the fence is unchanged;
 * - PerCommit and None count a returned commit as durable, and
 *   `forceFsync` makes everything durable in every mode;
 * - in Group mode the background flusher makes commits durable once the
 *   interval passes (on the test clock; every other case runs on the live
 *   clock, since a lock may wait real time between attempts).
 *
 * Errors are checked by their `_tag`. See {@link WalOptions} for the
 * directory and for checking your own wrapper of the log.
 *
 * @example
 * ```ts
 * import { NodeContext } from "@effect/platform-node"
 * import { Wal } from "@lora-wal/core"
 * import { NodeDirLock } from "@lora-wal/platform-node"
 * import * as Contracts from "@lora-wal/testkit/Contracts"
 * import * as Effect from "effect/Effect"
 * import * as Layer from "effect/Layer"
 *
 * const platform = Layer.merge(NodeContext.layer, NodeDirLock.layer)
 *
 * // The log as Wal.make opens it, on the Node filesystem and lock.
 * Contracts.wal("node", platform)
 *
 * // Your own layer that provides Wal.Wal, on the same platform.
 * const MyWal = (options: Wal.LoraOptions) =>
 *   Wal.layer(options).pipe(Layer.tap(() => Effect.logDebug(`log open in ${options.dir}`)))
 * Contracts.wal("my log", platform, { open: MyWal })
 * ```
 *
 * @since 0.1.0
 * @category contracts
 */
export const wal = <E>(
  name: string,
  platform: Layer.Layer<FileSystem.FileSystem | Path.Path | DirLock, E>,
  options?: WalOptions
): void => {
  describe(`Wal contract (${name})`, () =>
    walCases({
      platform,
      freshDir: options?.freshDir ??
        Effect.flatMap(FileSystem.FileSystem, (fs) => fs.makeTempDirectoryScoped({ prefix: "lora-wal-contract-" })),
      open: options?.open ?? ((options) => Wal.layer(options))
    }))
}
