/**
 * Contract suites: what `@lora-wal/core` relies on from the services it is
 * given, as @effect/vitest tests parameterised by a layer. Call one inside a
 * test file to check your own layer (a `FileSystem` over other storage, a
 * `DirLock` for another platform) the way this repository checks its Node
 * and memory layers:
 *
 * ```ts
 * import { NodeFileSystem } from "@effect/platform-node"
 * import * as Contracts from "@lora-wal/testkit/Contracts"
 *
 * Contracts.fileSystem("node", NodeFileSystem.layer)
 * ```
 *
 * This module imports `@effect/vitest`, and through it `vitest`, so it is an
 * entry point of its own (`@lora-wal/testkit/Contracts`): the rest of the
 * testkit never loads it. A `Wal` contract suite joins these two once the
 * `Wal` API settles.
 *
 * @since 0.1.0
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import { describe } from "@effect/vitest"
import type { DirLock } from "@lora-wal/core/DirLock"
import type * as Layer from "effect/Layer"
import { dirLockCases } from "./internal/contracts/dirLock.js"
import { fileSystemCases } from "./internal/contracts/fileSystem.js"

/**
 * Declares the `FileSystem` contract tests for `layer`, in a `describe`
 * block named after `name`: exclusive create, NotFound and AlreadyExists
 * errors, positioned writes, seek and truncate, `r+`, fsync of a directory
 * handle, listing, remove, rename (replacing a target), recursive
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
