/**
 * A tailer as a stream: poll, and when nothing is new, wait for a sign
 * that something changed. The stream pulls: a slow consumer leaves the
 * rest on disk, so it never holds up a writer and holds at most one
 * poll's transactions in memory.
 */
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { FollowError } from "../../WalError.js"
import type { Transaction } from "../transactionAssembler.js"
import type { Tailer } from "./tailer.js"

/** A wake-up signal: armed before each look at the disk, fired by whatever may have changed it. */
export interface Signal {
  /** Arms the signal: a change from now on ends the next `wait` at once. */
  readonly arm: Effect.Effect<void>
  /** Waits for a change since the last `arm`, or the poll interval, whichever comes first. */
  readonly wait: Effect.Effect<void>
}

/** A signal fired by `subscribe`'s callback, with `interval` as a fallback. */
const makeSignal = (
  interval: Duration.DurationInput,
  subscribe: (fire: () => void) => Effect.Effect<void, never, Scope.Scope>
): Effect.Effect<Signal, never, Scope.Scope> =>
  Effect.gen(function*() {
    const latch = yield* Effect.makeLatch(false)
    yield* subscribe(() => latch.unsafeOpen())
    return { arm: latch.close, wait: Effect.raceFirst(latch.await, Effect.sleep(Duration.decode(interval))) }
  })

const transactions = <E>(options: {
  readonly tailer: Tailer<E>
  readonly signal: Signal
  /** The highest commit LSN that may be emitted now; all of them when absent. */
  readonly limit?: Effect.Effect<bigint> | undefined
  /** Whether no more can come (the live log closed): the stream ends once it has emitted what it may. */
  readonly ended?: Effect.Effect<boolean> | undefined
}): Stream.Stream<Transaction<E>, FollowError> => {
  const { signal, tailer } = options
  const held: Array<Transaction<E>> = []
  const pull = Effect.gen(function*() {
    for (;;) {
      yield* signal.arm
      const limit = options.limit === undefined ? undefined : yield* options.limit
      let ready = 0
      while (ready < held.length && (limit === undefined || held[ready]!.commitLsn <= limit)) ready++
      if (ready > 0) return Chunk.unsafeFromArray(held.splice(0, ready))
      // Read on only while nothing read is waiting for the durable LSN: memory stays one poll's worth.
      if (held.length === 0) {
        const found = yield* tailer.poll
        if (found.length > 0) {
          held.push(...found)
          continue
        }
      }
      if (options.ended !== undefined && (yield* options.ended)) return yield* Effect.fail(Option.none())
      yield* signal.wait
    }
  }).pipe(Effect.mapError((e) => (Option.isOption(e) ? e : Option.some(e))))
  return Stream.repeatEffectChunkOption(pull)
}

/**
 * Follows a log with `tailer` (closed with the stream), woken by
 * `subscribe`'s callback or every `pollInterval`, emitting up to `limit`,
 * ending once `ended` says so. @internal
 */
export const follow = <E>(options: {
  readonly tailer: () => Tailer<E>
  readonly pollInterval: Duration.DurationInput
  readonly subscribe: (fire: () => void) => Effect.Effect<void, never, Scope.Scope>
  readonly limit?: Effect.Effect<bigint> | undefined
  readonly ended?: Effect.Effect<boolean> | undefined
}): Stream.Stream<Transaction<E>, FollowError> =>
  Stream.unwrapScoped(Effect.gen(function*() {
    const tailer = options.tailer()
    yield* Effect.addFinalizer(() => tailer.close)
    const signal = yield* makeSignal(options.pollInterval, options.subscribe)
    return transactions({ tailer, signal, limit: options.limit, ended: options.ended })
  }))
