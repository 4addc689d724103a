/**
 * A lock for the log's state that costs a flag check when nobody holds it.
 *
 * Effect's `Semaphore` costs a few microseconds per use, which is most of a
 * commit under None or Group with synchronous writes. Every section runs
 * uninterruptibly, waiting included: a section that hands bytes to the OS
 * must not stop halfway (the bytes could be written twice), and a waiter
 * that cannot be interrupted can never be handed the lock after it left.
 */
import type * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"

/** @internal */
export interface Mutex {
  readonly withLock: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

/** @internal */
export const make = (): Mutex => {
  let held = false
  const waiters: Array<() => void> = []
  const release = () => {
    const next = waiters.shift()
    if (next === undefined) held = false
    else next()
  }
  // Checks and registers in one step: the holder may release between the
  // check in `withLock` and this registration (the fiber can yield there).
  const acquire = Effect.async<void>((resume) => {
    if (held) {
      waiters.push(() => resume(Effect.void))
    } else {
      held = true
      resume(Effect.void)
    }
  })
  // Cheaper than `Effect.ensuring`, which is safe here because the section cannot be interrupted.
  const releasing = {
    onFailure: <E>(cause: Cause.Cause<E>) => {
      release()
      return Effect.failCause(cause)
    },
    onSuccess: <A>(value: A) => {
      release()
      return Effect.succeed(value)
    }
  }
  return {
    withLock: <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      Effect.uninterruptible(Effect.suspend(() => {
        const section = Effect.matchCauseEffect(effect, releasing) as Effect.Effect<A, E, R>
        if (held) return Effect.zipRight(acquire, section)
        held = true
        return section
      }))
  }
}

/**
 * Callbacks waiting for one event, here the completion of an fsync: cheaper
 * than a `Deferred` when, as usual, nobody waits. Like a `Deferred`, it
 * remembers that the event happened.
 *
 * @internal
 */
export class Waiters {
  /** Undefined once the event has happened: a later `wait` returns at once. */
  private resumes: Array<() => void> | undefined = []

  readonly wait: Effect.Effect<void> = Effect.async<void>((resume) => {
    if (this.resumes === undefined) resume(Effect.void)
    else this.resumes.push(() => resume(Effect.void))
  })

  wakeAll(): void {
    const resumes = this.resumes
    this.resumes = undefined
    if (resumes !== undefined) for (const resume of resumes) resume()
  }
}
