import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Mutex from "../src/internal/mutex.js"
import { MIN_BUDGET } from "./scheduling.js"

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

  it.effect("a wait that starts after the event returns at once", () =>
    Effect.gen(function*() {
      const waiters = new Mutex.Waiters()
      waiters.wakeAll()
      const late = yield* Effect.fork(waiters.wait)
      yield* Effect.yieldNow()
      expect(Option.isSome(yield* Fiber.poll(late))).toBe(true)
    }))

  it.live("no lost wakeup: 16 fibers × 20 sections finish under every yield budget from 10 to 64", () =>
    Effect.gen(function*() {
      for (let budget = MIN_BUDGET; budget <= 64; budget++) {
        const { withLock } = Mutex.make()
        let inside = 0
        let done = 0
        const worker = (w: number) =>
          Effect.gen(function*() {
            for (let i = 0; i < 20; i++) {
              yield* withLock(Effect.gen(function*() {
                expect(++inside).toBe(1)
                for (let y = 0; y < (w + i) % 3; y++) yield* Effect.yieldNow()
                inside--
              }))
              done++
            }
          })
        yield* Effect.all(Array.from({ length: 16 }, (_, w) => worker(w)), { concurrency: "unbounded" }).pipe(
          Effect.withMaxOpsBeforeYield(budget),
          // Sections are uninterruptible: a hung one is left behind rather than awaited.
          Effect.disconnect,
          Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => `hung with a yield budget of ${budget}: ${done} of 320 sections done` })
        )
        expect(done).toBe(320)
      }
    }))
})
