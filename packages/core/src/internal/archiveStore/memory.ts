/**
 * An archive store in a Map: the reference the contract suite is written
 * against, and a store for tests.
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { ArchiveStore, ObjectInfo, TypeId } from "../../ArchiveStore.js"
import type { ArchiveStoreError } from "../../ArchiveError.js"
import { checkKey, checksumMismatch, notFound } from "./keys.js"

/** @internal */
export const make = (sha256Hex: (bytes: Uint8Array) => Effect.Effect<string>): Omit<ArchiveStore, TypeId> => {
  const objects = new Map<string, { readonly bytes: Uint8Array; readonly sha256: string }>()
  const withKey = <A, E>(key: string, f: () => Effect.Effect<A, E>) =>
    Effect.suspend((): Effect.Effect<A, E | ArchiveStoreError> => {
      const fault = checkKey(key)
      return fault === undefined ? f() : Effect.fail(fault)
    })
  const info = (key: string): ObjectInfo | undefined => {
    const object = objects.get(key)
    return object === undefined ? undefined : { key, size: object.bytes.length, sha256: object.sha256 }
  }
  return {
    putIfAbsent: (key, bytes, sha256) =>
      withKey(key, () =>
        Effect.flatMap(sha256Hex(bytes), (actual) => {
          if (actual !== sha256) return Effect.fail(checksumMismatch(key, sha256, actual))
          if (objects.has(key)) return Effect.succeed("exists" as const)
          objects.set(key, { bytes: bytes.slice(), sha256 })
          return Effect.succeed("created" as const)
        })),
    get: (key) =>
      Stream.unwrap(withKey(key, () => {
        const object = objects.get(key)
        return object === undefined ? Effect.fail(notFound(key)) : Effect.succeed(Stream.make(object.bytes.slice()))
      })),
    head: (key) => withKey(key, () => Effect.sync(() => info(key))),
    list: (prefix) =>
      Stream.suspend(() =>
        Stream.fromIterable(
          Array.from(objects.keys()).filter((key) => key.startsWith(prefix)).sort().map((key) => ({
            key,
            size: objects.get(key)!.bytes.length
          }))
        )
      ),
    remove: (key) => withKey(key, () => Effect.sync(() => void objects.delete(key)))
  }
}
