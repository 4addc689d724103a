import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Mutex from "../src/internal/mutex.js"

describe("internal Mutex", () => {
  it.effect("runs one section at a time, in arrival order, and releases after a failure", () =>
    Effect.gen(function*() {
      const { withLock } = Mutex.make()
      let inside = 0
      let most = 0
      const order: Array<number> = []
      const section = (i: number) =>
        withLock(Effect.gen(function*() {
          inside++
          most = Math.max(most, inside)
          yield* Effect.yieldNow()
          yield* Effect.yieldNow()
          order.push(i)
          inside--
          if (i % 3 === 0) return yield* Effect.fail(`section ${i}`)
        }))
      const exits = yield* Effect.all(Array.from({ length: 12 }, (_, i) => Effect.exit(section(i))), {
        concurrency: "unbounded"
      })
      expect(most).toBe(1)
      expect(order).toEqual(Array.from({ length: 12 }, (_, i) => i))
      expect(exits.filter(Exit.isFailure)).toHaveLength(4)
      // Still free after the failures.
      expect(yield* withLock(Effect.succeed("free"))).toBe("free")
    }))

  it.effect("Waiters wakes everyone waiting, and only them", () =>
    Effect.gen(function*() {
      const waiters = new Mutex.Waiters()
      let woken = 0
      const fibers = yield* Effect.all(
        Array.from({ length: 5 }, () => Effect.fork(Effect.tap(waiters.wait, () => void woken++))),
        { concurrency: "unbounded" }
      )
      yield* Effect.yieldNow()
      expect(woken).toBe(0)
      waiters.wakeAll()
      yield* Effect.all(fibers.map((f) => f.await))
      expect(woken).toBe(5)
    }))
})
