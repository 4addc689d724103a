/**
 * The promises of a live log, as tests. Each test builds the platform layer
 * once, makes a fresh directory through it and opens, closes and reopens
 * logs in a subdirectory of it (`log`, which the first open creates), so a
 * reopen sees what the previous handle left, on disk or in a memory
 * filesystem alike. Logs are opened through `open` (by default `Wal.layer`),
 * so a wrapper that provides `Wal.Wal` is checked the same way.
 *
 * Every case runs under each sync mode, on the live clock (a lock may wait
 * real time between attempts). Group mode's interval is long enough that
 * its flusher never fires during those cases: what they replay was made
 * durable by `flush`, `forceFsync`, rotation or close, the same for all
 * modes. The flusher itself is checked once, on the test clock.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { describe, expect, it } from "@effect/vitest"
import type { DirLock } from "@lora-wal/core/DirLock"
import type { Lsn } from "@lora-wal/core/Lsn"
import type { MutationEvent } from "@lora-wal/core/MutationEvent"
import * as Replay from "@lora-wal/core/Replay"
import * as Wal from "@lora-wal/core/Wal"
import { formatSyncMode, SyncMode } from "@lora-wal/core/WalConfig"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import type * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"

/** What a log runs on: the services `Wal.make` needs. */
export type Platform = FileSystem.FileSystem | Path.Path | DirLock

/** What the cases are parameterised by (see `Contracts.wal`). */
export interface WalCasesOptions<E> {
  readonly platform: Layer.Layer<Platform, E>
  readonly freshDir: Effect.Effect<string, unknown, Platform | Scope.Scope>
  readonly open: (options: Wal.LoraOptions) => Layer.Layer<Wal.Wal, unknown, Platform>
}

/** A failure of a transaction body, told apart from the log's own errors by its tag. */
class BodyFailed extends Data.TaggedError("BodyFailed")<{}> {}

/** Small events of several shapes (with a property map), so replay compares more than one encoding. */
const event = (n: number): MutationEvent =>
  n % 3 === 0
    ? { _tag: "DeleteNode", nodeId: BigInt(n) }
    : n % 3 === 1
    ? {
      _tag: "CreateNode",
      id: BigInt(n),
      labels: ["Contract"],
      properties: new Map([["n", { _tag: "Int", value: BigInt(n) }]])
    }
    : { _tag: "SetNodeProperty", nodeId: BigInt(n), key: "name", value: { _tag: "String", value: `node ${n}` } }

const events = (from: number, count: number): Array<MutationEvent> =>
  Array.from({ length: count }, (_, i) => event(from + i))

const tagOf = (u: unknown): unknown => Predicate.hasProperty(u, "_tag") ? u._tag : u

/** The LSN a commit returned, which must be there. */
const someLsn = (lsn: Option.Option<Lsn>): Lsn => {
  expect(Option.isSome(lsn), "the commit returned no LSN").toBe(true)
  return Option.getOrThrow(lsn)
}

/** Waits in real time (whatever clock the test runs on) for `condition`, up to about two seconds. */
const eventually = (condition: Effect.Effect<boolean>) =>
  Effect.gen(function*() {
    for (let i = 0; i < 400; i++) {
      if (yield* condition) return true
      yield* Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 5)))
    }
    return yield* condition
  })

/** What `Replay.run` read: the committed transactions, in order, and the summary. */
interface Replayed {
  readonly transactions: ReadonlyArray<Replay.Transaction<MutationEvent>>
  readonly summary: Replay.Summary
}

/** What a test works with: logs opened on one build of the platform, in one directory. */
interface Stack {
  readonly dir: string
  /** Opens the log in `dir` for the enclosing scope. */
  readonly open: (options?: Partial<Wal.LoraOptions>) => Effect.Effect<Wal.Wal, unknown, Scope.Scope>
  /** Opens the log, runs `f` with it and closes it. */
  readonly session: <A, E>(
    f: (wal: Wal.Wal) => Effect.Effect<A, E, Scope.Scope>,
    options?: Partial<Wal.LoraOptions>
  ) => Effect.Effect<A, unknown>
  /** Reads the directory with `Replay.run`: every committed transaction and the summary. */
  readonly replay: (fence?: bigint) => Effect.Effect<Replayed, unknown>
  /** Reads the directory with `Replay.replayDir`. */
  readonly replayDir: (fence?: bigint) => Effect.Effect<Replay.Outcome<MutationEvent>, unknown>
}

export const walCases = <E>(options: WalCasesOptions<E>): void => {
  const withStack = <A, E2>(syncMode: SyncMode, f: (stack: Stack) => Effect.Effect<A, E2, Scope.Scope>) =>
    Effect.scoped(Effect.gen(function*() {
      const context = yield* Layer.build(options.platform)
      const base = yield* Effect.provide(options.freshDir, context)
      const dir = Context.get(context, Path.Path).join(base, "log")
      const open = (extra?: Partial<Wal.LoraOptions>) =>
        Effect.map(Layer.build(options.open({ dir, syncMode, ...extra })), Context.get(Wal.Wal)).pipe(
          Effect.provide(context)
        )
      const stack: Stack = {
        dir,
        open,
        session: (f, extra) => Effect.scoped(Effect.flatMap(open(extra), f)),
        replay: (fence) =>
          Effect.gen(function*() {
            const transactions: Array<Replay.Transaction<MutationEvent>> = []
            const summary = yield* Replay.run(dir, {
              fence,
              onTransaction: (transaction) => Effect.sync(() => void transactions.push(transaction))
            })
            return { transactions, summary }
          }).pipe(Effect.provide(context)),
        replayDir: (fence) => Effect.provide(Replay.replayDir(dir, { fence }), context)
      }
      return yield* f(stack)
    }))

  /** The sync modes every case runs under; Group's flusher stays out of the way (see above). */
  const modes: ReadonlyArray<SyncMode> = [
    SyncMode.PerCommit(),
    SyncMode.Group({ intervalMs: 60_000 }),
    SyncMode.None()
  ]

  for (const mode of modes) {
    describe(`syncMode ${formatSyncMode(mode)}`, () => casesFor(mode))
  }

  function casesFor(mode: SyncMode): void {
    const test = (name: string, f: (stack: Stack) => Effect.Effect<void, unknown, Scope.Scope>) =>
      it.live(name, () => withStack(mode, f))

    test("commits get strictly increasing LSNs, and commitTx returns the TxCommit's LSN", (stack) =>
      Effect.gen(function*() {
        const committed: Array<{ readonly lsn: Lsn; readonly events: ReadonlyArray<MutationEvent> }> = []
        yield* stack.session((wal) =>
          Effect.gen(function*() {
            for (let i = 0; i < 6; i++) {
              const batch = events(10 * i, 1 + (i % 3))
              const before = yield* wal.nextLsn
              const lsn = i % 2 === 0
                ? someLsn(yield* wal.commitTx(batch))
                : someLsn((yield* wal.withTransaction((tx) => tx.appendAll(batch))).commitLsn)
              expect(lsn).toBeGreaterThanOrEqual(before)
              expect(yield* wal.nextLsn).toBeGreaterThan(lsn)
              committed.push({ lsn, events: batch })
            }
            yield* wal.flush
          })
        )
        const lsns = committed.map((c) => c.lsn)
        for (let i = 1; i < lsns.length; i++) expect(lsns[i]).toBeGreaterThan(lsns[i - 1]!)
        // Each commit is one transaction, and the LSN it returned is the one its TxCommit has.
        const { summary, transactions } = yield* stack.replay()
        expect(transactions.map((t) => t.commitLsn)).toEqual(lsns)
        expect(transactions.map((t) => t.events)).toEqual(committed.map((c) => c.events))
        for (const t of transactions) expect(t.beginLsn).toBeLessThan(t.commitLsn)
        expect(summary.maxLsn).toBe(lsns[lsns.length - 1])
      }))

    test("an empty transaction returns no LSN and writes nothing", (stack) =>
      Effect.gen(function*() {
        const first = yield* stack.session((wal) =>
          Effect.gen(function*() {
            const lsn = someLsn(yield* wal.commitTx(events(1, 2)))
            const before = yield* wal.nextLsn
            expect(yield* wal.commitTx([])).toEqual(Option.none())
            expect(yield* wal.nextLsn).toBe(before)
            const empty = yield* wal.withTransaction(() => Effect.succeed("nothing appended"))
            expect(empty).toEqual({ value: "nothing appended", commitLsn: Option.none() })
            expect(yield* wal.nextLsn).toBe(before)
            yield* wal.flush
            expect(yield* wal.nextLsn).toBe(before)
            return lsn
          })
        )
        const { summary, transactions } = yield* stack.replay()
        expect(transactions.map((t) => t.commitLsn)).toEqual([first])
        expect(summary.maxLsn).toBe(first)
      }))

    test("commitAll logs transactions in order as commitTx would, each with its own LSN; one it cannot encode fails the call and writes nothing", (stack) =>
      Effect.gen(function*() {
        const batches = [events(1, 2), [], events(3, 1), events(4, 3)]
        const unencodable: MutationEvent = { _tag: "AddNodeLabel", nodeId: 9n, label: "\ud800" }
        const lsns = yield* stack.session((wal) =>
          Effect.gen(function*() {
            const first = someLsn(yield* wal.commitTx(events(0, 1)))
            const before = yield* wal.nextLsn
            const refused = yield* Effect.flip(wal.commitAll([events(5, 1), [unencodable], events(6, 1)]))
            expect(refused._tag).toBe("Encode")
            expect(yield* wal.nextLsn).toBe(before)
            expect(yield* wal.commitAll([[], []])).toEqual([Option.none(), Option.none()])
            expect(yield* wal.nextLsn).toBe(before)
            const committed = yield* wal.commitAll(batches)
            expect(committed.map(Option.isSome)).toEqual([true, false, true, true])
            const last = someLsn(yield* wal.commitTx(events(7, 1)))
            yield* wal.flush
            return [first, ...committed.filter(Option.isSome).map((lsn) => lsn.value), last]
          })
        )
        // Each transaction takes its three LSNs right after the one before it, as with commitTx.
        expect(lsns.map((lsn) => lsn - lsns[0]!)).toEqual([0n, 3n, 6n, 9n, 12n])
        const { transactions } = yield* stack.replay()
        expect(transactions.map((t) => t.commitLsn)).toEqual(lsns)
        expect(transactions.map((t) => t.events)).toEqual([events(0, 1), batches[0], batches[2], batches[3], events(7, 1)])
      }))

    test("withTransaction commits the body's events as one transaction and returns its value and commit LSN", (stack) =>
      Effect.gen(function*() {
        const body = events(1, 4)
        const committed = yield* stack.session((wal) =>
          Effect.gen(function*() {
            const result = yield* wal.withTransaction((tx) =>
              Effect.gen(function*() {
                yield* tx.append(body[0]!)
                yield* tx.appendAll(body.slice(1))
                return "the body's value"
              })
            )
            expect(result.value).toBe("the body's value")
            const lsn = someLsn(result.commitLsn)
            expect(yield* wal.nextLsn).toBeGreaterThan(lsn)
            yield* wal.flush
            return lsn
          })
        )
        const { transactions } = yield* stack.replay()
        expect(transactions).toHaveLength(1)
        expect(transactions[0]!.commitLsn).toBe(committed)
        expect(transactions[0]!.events).toEqual(body)
      }))

    test("withTransaction writes nothing when the body fails, dies or is interrupted; the log goes on working", (stack) =>
      Effect.gen(function*() {
        const kept = events(100, 2)
        const committed = yield* stack.session((wal) =>
          Effect.gen(function*() {
            const before = yield* wal.nextLsn

            const failure = yield* Effect.flip(
              wal.withTransaction((tx) => Effect.zipRight(tx.append(event(1)), new BodyFailed()))
            )
            expect(failure._tag).toBe("BodyFailed")
            expect(yield* wal.nextLsn).toBe(before)

            const defect = new Error("the body died")
            const died = yield* Effect.exit(
              wal.withTransaction((tx) => Effect.zipRight(tx.appendAll(events(2, 3)), Effect.die(defect)))
            )
            expect(Exit.isFailure(died) ? Cause.dieOption(died.cause) : Option.none()).toEqual(Option.some(defect))
            expect(yield* wal.nextLsn).toBe(before)

            const appended = yield* Deferred.make<void>()
            const fiber = yield* Effect.fork(
              wal.withTransaction((tx) =>
                Effect.zipRight(tx.append(event(5)), Effect.zipRight(Deferred.succeed(appended, undefined), Effect.never))
              )
            )
            yield* Deferred.await(appended)
            const interrupted = yield* Fiber.interrupt(fiber)
            expect(Exit.isInterrupted(interrupted)).toBe(true)
            expect(yield* wal.nextLsn).toBe(before)

            const lsn = someLsn((yield* wal.withTransaction((tx) => tx.appendAll(kept))).commitLsn)
            expect(lsn).toBeGreaterThanOrEqual(before)
            yield* wal.flush
            return lsn
          })
        )
        const { transactions } = yield* stack.replay()
        expect(transactions.map((t) => t.commitLsn)).toEqual([committed])
        expect(transactions.map((t) => t.events)).toEqual([kept])
      }))

    test("everything committed is replayed in order after close and reopen, and LSNs continue after the last", (stack) =>
      Effect.gen(function*() {
        const first = [events(1, 3), events(4, 1), events(5, 2), events(7, 4)]
        const last = yield* stack.session((wal) =>
          Effect.gen(function*() {
            expect(wal.recovery.committedEvents).toEqual([])
            let lsn = 0n as Lsn
            for (const [i, batch] of first.entries()) {
              lsn = i % 2 === 0
                ? someLsn(yield* wal.commitTx(batch))
                : someLsn((yield* wal.withTransaction((tx) => tx.appendAll(batch))).commitLsn)
            }
            yield* wal.flush
            return lsn
          })
        )
        const second = events(20, 2)
        const next = yield* stack.session((wal) =>
          Effect.gen(function*() {
            expect(wal.recovery.committedEvents).toEqual(first.flat())
            expect(wal.recovery.summary.maxLsn).toBe(last)
            expect(yield* wal.nextLsn).toBeGreaterThan(last)
            const lsn = someLsn(yield* wal.commitTx(second))
            expect(lsn).toBeGreaterThan(last)
            yield* wal.flush
            return lsn
          })
        )
        const outcome = yield* stack.replayDir()
        expect(outcome.committedEvents).toEqual([...first.flat(), ...second])
        expect(outcome.maxLsn).toBe(next)
        yield* stack.session((wal) =>
          Effect.sync(() => expect(wal.recovery.committedEvents).toEqual([...first.flat(), ...second]))
        )
      }))

    test("a transaction begun but never committed is not replayed, and its LSNs are never reused", (stack) =>
      Effect.gen(function*() {
        const committed = events(1, 2)
        const uncommitted = yield* stack.session((wal) =>
          Effect.gen(function*() {
            yield* wal.commitTx(committed)
            const begin = yield* wal.begin
            yield* wal.append(begin, event(50))
            const batch = yield* wal.appendBatch(begin, events(51, 2))
            yield* wal.flush
            return batch
          })
        )
        const after = events(60, 1)
        yield* stack.session((wal) =>
          Effect.gen(function*() {
            expect(wal.recovery.committedEvents).toEqual(committed)
            expect(yield* wal.nextLsn).toBeGreaterThan(uncommitted)
            expect(someLsn(yield* wal.commitTx(after))).toBeGreaterThan(uncommitted)
            yield* wal.flush
          })
        )
        expect((yield* stack.replayDir()).committedEvents).toEqual([...committed, ...after])
        yield* stack.session((wal) =>
          Effect.sync(() => expect(wal.recovery.committedEvents).toEqual([...committed, ...after]))
        )
      }))

    test("a second open of an open directory fails with AlreadyOpen; after the first closes, it opens", (stack) =>
      Effect.gen(function*() {
        yield* stack.session((first) =>
          Effect.gen(function*() {
            yield* first.commitTx(events(1, 1))
            expect(tagOf(yield* Effect.flip(Effect.scoped(stack.open())))).toBe("AlreadyOpen")
            // The refused open took nothing from the holder: it still commits, and still excludes.
            yield* first.commitTx(events(2, 1))
            yield* first.flush
            expect(tagOf(yield* Effect.flip(Effect.scoped(stack.open())))).toBe("AlreadyOpen")
          })
        )
        yield* stack.session((second) =>
          Effect.gen(function*() {
            expect(second.recovery.committedEvents).toEqual(events(1, 2))
            yield* second.commitTx(events(3, 1))
            yield* second.flush
          })
        )
        expect((yield* stack.replayDir()).committedEvents).toEqual(events(1, 3))
      }))

    test("after its scope closes, the handle fails with Closed and writes nothing", (stack) =>
      Effect.gen(function*() {
        const { lsn, wal } = yield* stack.session((wal) =>
          Effect.map(Effect.zipLeft(wal.commitTx(events(1, 1)), wal.flush), (lsn) => ({ wal, lsn: someLsn(lsn) }))
        )
        const closed = [
          wal.commitTx(events(2, 1)),
          wal.withTransaction((tx) => tx.append(event(3))),
          wal.begin,
          wal.append(lsn, event(4)),
          wal.appendBatch(lsn, events(5, 1)),
          wal.commit(lsn),
          wal.checkpointMarker(lsn),
          wal.flush,
          wal.forceFsync,
          wal.truncateUpTo(lsn)
        ]
        for (const operation of closed) {
          expect(tagOf(yield* Effect.flip<unknown, unknown, never>(operation))).toBe("Closed")
        }
        const { summary, transactions } = yield* stack.replay()
        expect(transactions.map((t) => t.events)).toEqual([events(1, 1)])
        expect(summary.maxLsn).toBe(lsn)
      }))

    test("rotation: small segments all replay; truncateUpTo removes only segments wholly at or below the fence", (stack) =>
      Effect.gen(function*() {
        // Two of these transactions (about 100 to 250 bytes each) fill a segment.
        const segmentTargetBytes = 160
        const batches = Array.from({ length: 12 }, (_, i) => events(10 * i, 1 + (i % 3)))
        const lsns = yield* stack.session((wal) =>
          Effect.gen(function*() {
            const lsns: Array<Lsn> = []
            for (const batch of batches) lsns.push(someLsn(yield* wal.commitTx(batch)))
            yield* wal.flush
            return lsns
          }), { segmentTargetBytes })
        const before = yield* stack.replayDir()
        expect(before.committedEvents).toEqual(batches.flat())
        const segments = before.segments
        expect(segments.length, "12 commits into 160-byte segments made too few segments").toBeGreaterThanOrEqual(5)

        // A snapshot fence at a commit in the middle, past the end of several segments.
        const fence = lsns[Math.floor(lsns.length / 2)]!
        const above = batches.slice(Math.floor(lsns.length / 2) + 1).flat()
        expect((yield* stack.replayDir(fence)).committedEvents).toEqual(above)
        /** Segment i holds LSNs from its base up to the next segment's base minus one. */
        const whollyAtOrBelowFence = (i: number) => i + 1 < segments.length && segments[i + 1]!.baseLsn - 1n <= fence
        expect(whollyAtOrBelowFence(0), "the fence is past the first segment").toBe(true)

        yield* stack.session((wal) =>
          Effect.gen(function*() {
            expect(wal.recovery.committedEvents).toEqual(batches.flat())
            yield* wal.truncateUpTo(fence)
            yield* wal.flush
          }), { segmentTargetBytes })

        const after = yield* stack.replayDir(fence)
        expect(after.committedEvents).toEqual(above)
        const kept = new Set(after.segments.map((s) => s.file))
        const removed = segments.flatMap((s, i) => kept.has(s.file) ? [] : [i])
        expect(removed.length, "truncateUpTo removed no segment").toBeGreaterThan(0)
        // Only the oldest segments go, and only ones the fence covers entirely.
        expect(removed).toEqual(removed.map((_, i) => i))
        for (const i of removed) expect(whollyAtOrBelowFence(i), `segment ${segments[i]!.file} was removed`).toBe(true)
        expect(after.segments.map((s) => s.file)).toEqual(segments.slice(removed.length).map((s) => s.file))

        // A log truncated for a snapshot reopens with the snapshot's fence and goes on.
        const more = events(1000, 2)
        yield* stack.session((wal) =>
          Effect.gen(function*() {
            expect(wal.recovery.committedEvents).toEqual(above)
            expect(someLsn(yield* wal.commitTx(more))).toBeGreaterThan(lsns[lsns.length - 1]!)
            yield* wal.flush
          }), { segmentTargetBytes, fence })
        expect((yield* stack.replayDir(fence)).committedEvents).toEqual([...above, ...more])
      }))

    test(`what a returned commit means under ${formatSyncMode(mode)}, and forceFsync makes everything durable`, (stack) =>
      stack.session((wal) =>
        Effect.gen(function*() {
          expect(wal.syncMode._tag).toBe(mode._tag)
          const lsn = someLsn(yield* wal.commitTx(events(1, 2)))
          // PerCommit returns after an fsync that covers the commit; None counts a write as durable.
          if (mode._tag !== "Group") expect(yield* wal.durableLsn).toBeGreaterThanOrEqual(lsn)
          const begin = yield* wal.begin
          yield* wal.append(begin, event(3))
          yield* wal.forceFsync
          expect(yield* wal.durableLsn).toBe((yield* wal.nextLsn) - 1n)
          const status = yield* wal.status
          expect(status.bgFailure).toEqual(Option.none())
          expect(status.durableLsn).toBe(status.nextLsn - 1n)
        })
      ))
  }

  it.effect("Group mode: the background flusher makes commits durable once the interval passes (test clock)", () =>
    withStack(SyncMode.Group({ intervalMs: 1_000 }), (stack) =>
      Effect.gen(function*() {
        const lsn = yield* stack.session((wal) =>
          Effect.gen(function*() {
            const lsn = someLsn(yield* wal.commitTx(events(1, 2)))
            yield* TestClock.adjust(Duration.seconds(1))
            expect(yield* eventually(Effect.map(wal.durableLsn, (durable) => durable >= lsn))).toBe(true)
            return lsn
          })
        )
        const { transactions } = yield* stack.replay()
        expect(transactions.map((t) => t.commitLsn)).toEqual([lsn])
      })))
}
