/**
 * A clock that only moves when told to, without real timers.
 *
 * Effect's `TestClock` lets woken fibers run by waiting on real `setTimeout`
 * ticks, which costs about a millisecond per adjustment; a crash property
 * test that advances time thousands of times pays that in minutes. This
 * clock wakes sleepers in time order and lets them run by yielding, so a
 * whole workload stays in memory and on the CPU.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

/**
 * A `Clock` whose time advances only through {@link ManualClock.adjust}: use
 * it in place of `TestClock` when a test moves time thousands of times (a
 * Group flusher under a crash workload, say). Install it with
 * {@link withManualClock}.
 *
 * @since 0.1.0
 * @category testing
 */
export class ManualClock implements Clock.Clock {
  readonly [Clock.ClockTypeId]: Clock.ClockTypeId = Clock.ClockTypeId
  private now = 0
  private readonly sleepers: Array<{ readonly at: number; readonly wake: Deferred.Deferred<void> }> = []

  unsafeCurrentTimeMillis(): number {
    return this.now
  }

  readonly currentTimeMillis: Effect.Effect<number> = Effect.sync(() => this.now)

  unsafeCurrentTimeNanos(): bigint {
    return BigInt(this.now) * 1_000_000n
  }

  readonly currentTimeNanos: Effect.Effect<bigint> = Effect.sync(() => this.unsafeCurrentTimeNanos())

  sleep(duration: Duration.DurationInput): Effect.Effect<void> {
    return Effect.flatMap(Deferred.make<void>(), (wake) => {
      this.sleepers.push({ at: this.now + Duration.toMillis(duration), wake })
      return Deferred.await(wake)
    })
  }

  /**
   * Moves time forward by `millis`, waking every sleeper that falls due, in
   * order, and letting each woken fiber run (`yields` scheduler turns) before
   * the next, so a periodic fiber fires once per period it covers.
   */
  adjust(millis: number, yields = 16): Effect.Effect<void> {
    const target = this.now + millis
    const self = this
    const settle = Effect.repeatN(Effect.yieldNow(), yields)
    return Effect.gen(function*() {
      // Let fibers forked since the last turn reach their sleeps first.
      yield* settle
      for (;;) {
        self.sleepers.sort((a, b) => a.at - b.at)
        const next = self.sleepers[0]
        if (next === undefined || next.at > target) break
        self.sleepers.shift()
        self.now = Math.max(self.now, next.at)
        yield* Deferred.succeed(next.wake, undefined)
        yield* settle
      }
      self.now = target
    })
  }
}

/**
 * Runs `effect` with a fresh manual clock, handing the clock to it.
 *
 * @since 0.1.0
 * @category testing
 */
export const withManualClock = <A, E, R>(f: (clock: ManualClock) => Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.suspend(() => {
    const clock = new ManualClock()
    return Effect.withClock(f(clock), clock)
  })
