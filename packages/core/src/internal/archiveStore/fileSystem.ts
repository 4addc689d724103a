/**
 * An archive store in a directory. An object is the file at its key's path;
 * its SHA-256 is beside it in `<key>.sha256` (`sha256sum -c` format).
 * Writing one: the bytes to a fresh temporary file, fsynced; the checksum
 * the same way, renamed into place, the directory fsynced; the object
 * hard-linked into place, which fails if the key exists (the
 * put-if-absent); the directory fsynced again.
 * A crash leaves the whole object or none, and at worst a temporary file
 * that the next write of the key does not trip over.
 */
import type { PlatformError } from "@effect/platform/Error"
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { ArchiveStore, ListedObject, ObjectInfo, TypeId } from "../../ArchiveStore.js"
import { ArchiveStoreError } from "../../ArchiveError.js"
import { makeDirectoryDurably, syncDirectory } from "../durable.js"
import { CHECKSUM_SUFFIX, checkKey, checksumMismatch, notFound, TEMP_PREFIX } from "./keys.js"

const storeError = (key: string) => (error: PlatformError): ArchiveStoreError =>
  new ArchiveStoreError({
    reason: error._tag === "SystemError" && error.reason === "NotFound"
      ? "NotFound"
      : error._tag === "SystemError" && (error.reason === "PermissionDenied" || error.reason === "BadResource")
      ? "Refused"
      : "Unavailable",
    key,
    description: error.message
  })

/** `sha256sum` line: the hex digest, two spaces, the file's name. */
const checksumLine = (sha256: string, name: string) => `${sha256}  ${name}\n`

/** @internal */
export const make = (options: {
  readonly fs: FileSystem.FileSystem
  readonly path: Path.Path
  readonly root: string
  readonly sha256Hex: (bytes: Uint8Array) => Effect.Effect<string>
}): Omit<ArchiveStore, TypeId> => {
  const { fs, path, root, sha256Hex } = options
  const pathOf = (key: string) => path.join(root, ...key.split("/"))
  let temporaries = 0
  const temporaryIn = (dir: string) =>
    path.join(dir, `${TEMP_PREFIX}${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${temporaries++}`)

  const withKey = <A>(key: string, f: (file: string) => Effect.Effect<A, ArchiveStoreError | PlatformError>) =>
    Effect.suspend(() => {
      const fault = checkKey(key)
      return fault === undefined ? f(pathOf(key)) : Effect.fail(fault)
    }).pipe(Effect.catchIf((e): e is PlatformError => e._tag !== "ArchiveStoreError", (e) => Effect.fail(storeError(key)(e))))

  /** Writes `bytes` to a new temporary file in `dir`, fsynced; its path. */
  const writeTemporary = (dir: string, bytes: Uint8Array) =>
    Effect.gen(function*() {
      const file = temporaryIn(dir)
      yield* Effect.scoped(Effect.gen(function*() {
        const handle = yield* fs.open(file, { flag: "wx", mode: 0o644 })
        // @effect/platform-node's writeAll fails on zero bytes (WriteZero).
        if (bytes.length > 0) yield* handle.writeAll(bytes)
        yield* handle.sync
      })).pipe(Effect.onError(() => Effect.ignore(fs.remove(file, { force: true }))))
      return file
    })

  const readChecksum = (key: string, file: string) =>
    Effect.map(fs.readFileString(`${file}${CHECKSUM_SUFFIX}`), (line) => line.slice(0, 64)).pipe(
      Effect.catchIf(
        (e) => e._tag === "SystemError" && e.reason === "NotFound",
        () => Effect.fail(checksumMismatch(key, "a checksum file", "none"))
      )
    )

  const info = (key: string, file: string) =>
    Effect.gen(function*() {
      const stat = yield* fs.stat(file)
      return { key, size: Number(stat.size), sha256: yield* readChecksum(key, file) } satisfies ObjectInfo
    })

  /** Writes `<file>.sha256` for `sha256` (temporary file, fsync, rename, directory fsync). */
  const writeChecksum = (file: string, sha256: string) =>
    Effect.gen(function*() {
      const dir = path.dirname(file)
      const checksum = yield* writeTemporary(dir, new TextEncoder().encode(checksumLine(sha256, path.basename(file))))
      yield* fs.rename(checksum, `${file}${CHECKSUM_SUFFIX}`)
      yield* syncDirectory(fs, dir)
    })

  /**
   * Makes the key's checksum file say `sha256`, the object's, if it does
   * not. A put of other bytes racing for the key may have replaced it
   * before its link lost (or crashed in between): the object, once linked,
   * is what the key holds. Both sides check, the winner after its link and
   * the loser after losing, so a crash of either still leaves it true.
   */
  const keepChecksumTrue = (file: string, sha256: string) =>
    Effect.gen(function*() {
      const recorded = yield* Effect.orElseSucceed(fs.readFileString(`${file}${CHECKSUM_SUFFIX}`), () => "")
      if (recorded.slice(0, 64) !== sha256) yield* writeChecksum(file, sha256)
    })

  /** The key is taken: its checksum file made true to the object there. */
  const exists = (file: string) =>
    Effect.flatMap(fs.readFile(file), sha256Hex).pipe(
      Effect.flatMap((actual) => keepChecksumTrue(file, actual)),
      Effect.as("exists" as const)
    )

  const putIfAbsent = (key: string, bytes: Uint8Array, sha256: string) =>
    withKey(key, (file) =>
      Effect.gen(function*() {
        const actual = yield* sha256Hex(bytes)
        if (actual !== sha256) return yield* Effect.fail(checksumMismatch(key, sha256, actual))
        if (yield* fs.exists(file)) return yield* exists(file)
        const dir = path.dirname(file)
        yield* makeDirectoryDurably(fs, path, dir)
        const object = yield* writeTemporary(dir, bytes)
        const created = yield* Effect.gen(function*() {
          // The checksum's entry is durable before the object can appear: an object is never found without it.
          yield* writeChecksum(file, sha256)
          return yield* fs.link(object, file).pipe(
            Effect.as(true),
            Effect.catchIf((e) => e._tag === "SystemError" && e.reason === "AlreadyExists", () => Effect.succeed(false))
          )
        }).pipe(Effect.ensuring(Effect.ignore(fs.remove(object, { force: true }))))
        if (!created) return yield* exists(file)
        yield* keepChecksumTrue(file, sha256)
        yield* syncDirectory(fs, dir)
        return "created" as const
      }))

  const get = (key: string) =>
    Stream.unwrap(withKey(key, (file) =>
      Effect.gen(function*() {
        if (!(yield* fs.exists(file))) return yield* Effect.fail(notFound(key))
        const expected = yield* readChecksum(key, file)
        const bytes = yield* fs.readFile(file)
        const actual = yield* sha256Hex(bytes)
        if (actual !== expected) return yield* Effect.fail(checksumMismatch(key, expected, actual))
        return Stream.make(bytes)
      })))

  const head = (key: string) =>
    withKey(key, (file) =>
      Effect.flatMap(fs.exists(file), (exists) => exists ? info(key, file) : Effect.succeed(undefined)))

  /** The objects under `dir`, whose keys start with `keyPrefix`, depth first. */
  const objectsUnder = (dir: string, keyPrefix: string): Effect.Effect<Array<ListedObject>, PlatformError> =>
    Effect.gen(function*() {
      const objects: Array<ListedObject> = []
      for (const name of yield* fs.readDirectory(dir)) {
        if (name.startsWith(TEMP_PREFIX) || name.endsWith(CHECKSUM_SUFFIX)) continue
        const full = path.join(dir, name)
        const stat = yield* fs.stat(full)
        if (stat.type === "Directory") objects.push(...(yield* objectsUnder(full, `${keyPrefix}${name}/`)))
        else if (stat.type === "File") objects.push({ key: `${keyPrefix}${name}`, size: Number(stat.size) })
      }
      return objects
    })

  const list = (prefix: string) =>
    Stream.unwrap(Effect.gen(function*() {
      // The deepest directory every matching key lies in.
      const slash = prefix.lastIndexOf("/")
      const dirKey = slash === -1 ? "" : prefix.slice(0, slash + 1)
      const dir = dirKey === "" ? root : pathOf(dirKey.slice(0, -1))
      if (!(yield* fs.exists(dir))) return Stream.empty
      const objects = (yield* objectsUnder(dir, dirKey)).filter((o) => o.key.startsWith(prefix))
      return Stream.fromIterable(objects.sort((a, b) => (a.key < b.key ? -1 : 1)))
    })).pipe(Stream.mapError(storeError(prefix)))

  const remove = (key: string) =>
    withKey(key, (file) =>
      Effect.gen(function*() {
        yield* fs.remove(file, { force: true })
        yield* fs.remove(`${file}${CHECKSUM_SUFFIX}`, { force: true })
        const dir = path.dirname(file)
        if (yield* fs.exists(dir)) yield* syncDirectory(fs, dir)
      }))

  return { putIfAbsent, get, head, list, remove }
}
