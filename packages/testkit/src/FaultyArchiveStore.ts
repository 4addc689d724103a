/**
 * Wraps an `ArchiveStore` to fail as object storage does: a request that
 * times out or gets a 5xx before the store acts on it, and one whose
 * answer is lost after the store did act on it (the put is stored, the
 * caller sees a failure and retries). Which requests fail is decided by a
 * function of the operation, the key and a count, so a property test can
 * draw it from a seed.
 *
 * @since 0.1.0
 */
import { ArchiveStoreError } from "@lora-wal/core/ArchiveError"
import * as ArchiveStore from "@lora-wal/core/ArchiveStore"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

/**
 * The store operations a {@link Fault} can hit.
 *
 * @since 0.1.0
 * @category models
 */
export type Operation = "putIfAbsent" | "get" | "head" | "list" | "remove"

/**
 * How a request fails: `"Unavailable"` before the store acts (a timeout,
 * a 503), `"LostAnswer"` after it acted (only puts and removes act).
 *
 * @since 0.1.0
 * @category models
 */
export type Fault = "Unavailable" | "LostAnswer"

/**
 * Decides the fate of each request: `n` counts the requests so far, from 1.
 *
 * @since 0.1.0
 * @category models
 */
export type Plan = (request: { readonly operation: Operation; readonly key: string; readonly n: number }) => Fault | undefined

/**
 * Requests seen and failed so far.
 *
 * @since 0.1.0
 * @category models
 */
export interface Counts {
  requests: number
  failed: number
  lostAnswers: number
}

const unavailable = (key: string, what: string) =>
  new ArchiveStoreError({ reason: "Unavailable", key, description: `${what} (injected)` })

/**
 * `store` failing as `plan` says; `counts` tells a test what happened.
 *
 * @since 0.1.0
 * @category constructors
 */
export const wrap = (store: ArchiveStore.ArchiveStore, plan: Plan, counts: Counts = { requests: 0, failed: 0, lostAnswers: 0 }) => {
  const fate = (operation: Operation, key: string): Fault | undefined => {
    const fault = plan({ operation, key, n: ++counts.requests })
    if (fault !== undefined) counts.failed++
    if (fault === "LostAnswer") counts.lostAnswers++
    return fault
  }
  /** Runs `request` unless it fails before acting; fails after it acted when the answer is lost. */
  const faulty = <A>(operation: Operation, key: string, request: Effect.Effect<A, ArchiveStoreError>) =>
    Effect.suspend(() => {
      const fault = fate(operation, key)
      if (fault === undefined) return request
      if (fault === "Unavailable") return Effect.fail(unavailable(key, "503 Service Unavailable"))
      return Effect.zipRight(request, Effect.fail(unavailable(key, "the connection closed before the answer")))
    })
  return {
    counts,
    store: ArchiveStore.make({
      putIfAbsent: (key, bytes, sha256) => faulty("putIfAbsent", key, store.putIfAbsent(key, bytes, sha256)),
      get: (key) => Stream.unwrap(faulty("get", key, Effect.succeed(store.get(key)))),
      head: (key) => faulty("head", key, store.head(key)),
      list: (prefix) => Stream.unwrap(faulty("list", prefix, Effect.succeed(store.list(prefix)))),
      remove: (key) => faulty("remove", key, store.remove(key))
    })
  }
}
