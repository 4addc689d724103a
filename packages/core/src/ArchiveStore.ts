/**
 * Where a log is archived beyond its machine: a store of immutable objects
 * (S3-protocol object storage, or a directory on another mount) that the
 * archiver writes segments to and restore reads them from.
 *
 * Objects are written once: `putIfAbsent` never replaces one, so an upload
 * retried after its answer was lost finds its own object, and two logs
 * pointed at one prefix by mistake cannot overwrite each other. Every
 * object carries its SHA-256, checked by the store when it is written and
 * by `get` when it is read back, so a restore never builds a log from bytes
 * that changed on the way.
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Stream from "effect/Stream"
import type { ArchiveStoreError } from "./ArchiveError.js"
import * as FileSystemStore from "./internal/archiveStore/fileSystem.js"
import * as Keys from "./internal/archiveStore/keys.js"
import * as MemoryStore from "./internal/archiveStore/memory.js"

/**
 * Brands every {@link ArchiveStore}, whichever storage implements it.
 *
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("@lora-wal/core/ArchiveStore")

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * An object as `list` sees it: its key and size.
 *
 * @since 0.1.0
 * @category models
 */
export interface ListedObject {
  readonly key: string
  readonly size: number
}

/**
 * An object as `head` sees it: also its SHA-256 (lowercase hex). Listing
 * leaves it out, as S3's listing does (it would take a request per object).
 *
 * @since 0.1.0
 * @category models
 */
export interface ObjectInfo extends ListedObject {
  readonly sha256: string
}

/**
 * A store of immutable objects under `/`-separated keys.
 *
 * @since 0.1.0
 * @category models
 */
export interface ArchiveStore {
  readonly [TypeId]: TypeId
  /**
   * Stores `bytes` under `key` unless an object is already there, in which
   * case nothing is written and the answer is `"exists"`. `sha256` (hex)
   * is checked by the store against what it received: a mismatch fails with
   * `ChecksumMismatch` and stores nothing. Once it answers `"created"` the
   * object is durable.
   */
  readonly putIfAbsent: (
    key: string,
    bytes: Uint8Array,
    sha256: string
  ) => Effect.Effect<"created" | "exists", ArchiveStoreError>
  /** The object's bytes, checked against its SHA-256 before the stream ends (`ChecksumMismatch` if they differ). */
  readonly get: (key: string) => Stream.Stream<Uint8Array, ArchiveStoreError>
  /** The object under `key`, with its SHA-256, if there is one. */
  readonly head: (key: string) => Effect.Effect<ObjectInfo | undefined, ArchiveStoreError>
  /** Every object whose key starts with `prefix`, in key order. */
  readonly list: (prefix: string) => Stream.Stream<ListedObject, ArchiveStoreError>
  /** Deletes the object under `key`; deleting a missing object succeeds. */
  readonly remove: (key: string) => Effect.Effect<void, ArchiveStoreError>
}

/**
 * The tag the archiver and restore read the store from.
 *
 * @since 0.1.0
 * @category tags
 */
export const ArchiveStore: Context.Tag<ArchiveStore, ArchiveStore> = Context.GenericTag<ArchiveStore>(
  "@lora-wal/core/ArchiveStore"
)

/**
 * A store from its operations: what an implementation over other storage
 * provides.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (operations: Omit<ArchiveStore, TypeId>): ArchiveStore => ({ [TypeId]: TypeId, ...operations })

/**
 * The SHA-256 of `bytes` as lowercase hex, through Web Crypto (in Node,
 * Deno, Bun and browsers alike): what `putIfAbsent` takes.
 *
 * @since 0.1.0
 * @category utils
 */
export const sha256Hex = (bytes: Uint8Array): Effect.Effect<string> =>
  Effect.promise(async () => {
    const digest = new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", bytes))
    let hex = ""
    for (const byte of digest) hex += byte.toString(16).padStart(2, "0")
    return hex
  })

/**
 * A `Refused` error for a key that no store accepts, or undefined for a
 * good one: `/`-separated names of letters, digits, `.`, `_` and `-`, no
 * `.` or `..` names, none starting with `.tmp-`, not ending in `.sha256`,
 * 1 to 1024 characters. Every store applies it, so a key names the same
 * object in a directory and in a bucket; an implementation for other
 * storage should too.
 *
 * @since 0.1.0
 * @category utils
 */
export const checkKey: (key: string) => ArchiveStoreError | undefined = Keys.checkKey

/**
 * Whether `name` may be one `/`-separated name of a key (or of a prefix
 * that ends before a key's next name).
 *
 * @since 0.1.0
 * @category utils
 */
export const isKeyName: (name: string) => boolean = Keys.isName

/**
 * A store in this process's memory, for tests: objects vanish with it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemory: Effect.Effect<ArchiveStore> = Effect.sync(() => make(MemoryStore.make(sha256Hex)))

/**
 * {@link makeMemory} as a layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory: Layer.Layer<ArchiveStore> = Layer.effect(ArchiveStore, makeMemory)

/**
 * A store in a directory, for an archive on another mount (a second disk,
 * NFS): each object is a file at its key's path, its SHA-256 beside it in
 * `<key>.sha256` (the format `sha256sum -c` reads). An object is written to
 * a temporary file, fsynced, and hard-linked into place (which fails if the
 * key exists), then its directory is fsynced, so a crash leaves either the
 * whole object or none.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeFileSystem = (
  directory: string
): Effect.Effect<ArchiveStore, never, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    return make(FileSystemStore.make({ fs, path, root: path.resolve(directory), sha256Hex }))
  })

/**
 * {@link makeFileSystem} as a layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFileSystem = (
  directory: string
): Layer.Layer<ArchiveStore, never, FileSystem.FileSystem | Path.Path> =>
  Layer.effect(ArchiveStore, makeFileSystem(directory))
