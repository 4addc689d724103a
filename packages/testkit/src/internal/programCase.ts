/**
 * The machinery behind `CrashHarness.check`: one crash case of the user's
 * own write and recovery programs on a simulated machine, and the
 * fast-check search over crash points that shrinks a failure.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as fc from "effect/FastCheck"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import type * as Scope from "effect/Scope"
import type { CrashPoint, CrashSequence, Ledger, MachineServices, ProgramOptions, Stage } from "../CrashHarness.js"
import * as MemoryFileSystem from "../MemoryFileSystem.js"
import type { CrashModel } from "../SimulatedDisk.js"
import { SimulatedDisk } from "../SimulatedDisk.js"
import { provideMachine } from "./machine.js"
import { prng } from "./prng.js"

/** The options with every default filled in. */
export interface Resolved<A, S, R> extends ProgramOptions<A, S, R> {
  readonly sequences: ReadonlyArray<CrashSequence>
  readonly crashModels: ReadonlyArray<CrashModel>
  readonly numRuns: number
}

/** What the write program does on a healthy disk: the crash points to choose from. */
export interface Counts {
  readonly operations: number
  readonly fsyncs: number
  /** The operation number of each file fsync, in order. */
  readonly fsyncOperations: ReadonlyArray<number>
}

/** What broke in one case, before it is reported. */
export interface Broken {
  readonly stage: Stage
  readonly reason: string
  readonly acknowledged: ReadonlyArray<unknown>
  readonly attempted: ReadonlyArray<unknown>
  readonly recovered: Option.Option<unknown>
}

/** The smallest failing case fast-check found. */
export interface Found {
  readonly point: CrashPoint
  readonly broken: Broken
  readonly shrinks: number
  readonly seed: number
  readonly path: string
}

/** The promises one run of the write program made while its machine was up. */
interface Journal<A> {
  readonly ledger: Ledger<A>
  readonly acknowledged: Array<A>
  readonly attempted: Array<A>
}

const journalOn = <A>(disk: SimulatedDisk): Journal<A> => {
  const acknowledged: Array<A> = []
  const attempted: Array<A> = []
  const keep = (into: Array<A>) => (value: A) =>
    Effect.sync(() => {
      if (disk.crashed === undefined) into.push(value)
    })
  return { acknowledged, attempted, ledger: { acknowledge: keep(acknowledged), attempt: keep(attempted) } }
}

const broken = <A>(stage: Stage, reason: string, journal: Journal<A>, recovered: Option.Option<unknown>): Broken => ({
  stage,
  reason,
  acknowledged: journal.acknowledged,
  attempted: journal.attempted,
  recovered
})

const describeCause = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.squash(cause)
  if (typeof error === "string") return error
  return error instanceof Error && error.message !== "" ? error.message : fc.stringify(error)
}

/** Runs a program as one process of the machine on `disk`, with the user's layer and its own scope. */
const onDisk = <X, A, S, R>(
  options: Resolved<A, S, R>,
  disk: SimulatedDisk,
  program: Effect.Effect<X, unknown, R | MachineServices | Scope.Scope>
): Effect.Effect<Exit.Exit<X, unknown>> => {
  const scoped = Effect.scoped(program)
  // Without a layer R is never: `check`'s overloads see to it.
  const own = options.layer === undefined
    ? (scoped as Effect.Effect<X, unknown, MachineServices>)
    : Effect.provide(scoped, options.layer)
  return Effect.exit(provideMachine(MemoryFileSystem.make(disk))(own))
}

/** Runs the write program on a disk that never crashes, counting its operations and file fsyncs. */
export const healthyRun = <A, S, R>(options: Resolved<A, S, R>): Effect.Effect<Counts, Broken> =>
  Effect.gen(function*() {
    const disk = new SimulatedDisk()
    const fsyncOperations: Array<number> = []
    disk.fsyncFault = () => {
      fsyncOperations.push(disk.operations)
      return false
    }
    const journal = journalOn<A>(disk)
    const exit = yield* onDisk(options, disk, options.write(journal.ledger))
    if (Exit.isFailure(exit)) {
      const reason = `the write program failed on a disk that never crashed: ${describeCause(exit.cause)}`
      return yield* Effect.fail(broken("write", reason, journal, Option.none()))
    }
    return { operations: disk.operations, fsyncs: fsyncOperations.length, fsyncOperations }
  })

/** Plans the case's failure on `disk`; the result tells whether an injected fsync failure has fired. */
const planFailure = (disk: SimulatedDisk, point: CrashPoint, counts: Counts, random: () => number): () => boolean => {
  if (point.sequence !== "FsyncFailure") {
    disk.crashAt(point.at, point.sequence === "PowerLoss" ? point.crashModel : "ProcessCrash", random)
    return () => false
  }
  // The last file fsync up to the instant, by its operation number.
  const target = counts.fsyncOperations.filter((operation) => operation <= point.at).at(-1)
  let failed = false
  disk.fsyncFault = () => {
    if (disk.operations !== target) return false
    failed = true
    return true
  }
  return () => failed
}

/** Runs the recovery program on `disk` and checks the invariant against what it returned. */
const recoverAndCheck = <A, S, R>(options: Resolved<A, S, R>, disk: SimulatedDisk, journal: Journal<A>, stage: Stage) =>
  Effect.gen(function*() {
    const recovery = yield* onDisk(options, disk, options.recover)
    if (Exit.isFailure(recovery)) {
      return yield* Effect.fail(broken(stage, `recovery failed: ${describeCause(recovery.cause)}`, journal, Option.none()))
    }
    const recovered = recovery.value
    const verdict = yield* Effect.exit(Effect.suspend(() => {
      const result = options.invariant(recovered, journal.acknowledged, journal.attempted)
      if (typeof result !== "boolean") return result
      return result ? Effect.void : Effect.fail("the invariant returned false")
    }))
    if (Exit.isFailure(verdict)) {
      const reason = `invariant broken: ${describeCause(verdict.cause)}`
      return yield* Effect.fail(broken(stage, reason, journal, Option.some(recovered)))
    }
  })

/**
 * One case: the write program on a fresh machine that fails at `point`,
 * recovery on what a reboot finds, then a power loss and recovery again,
 * the invariant checked after each recovery.
 */
export const crashCase = <A, S, R>(
  options: Resolved<A, S, R>,
  counts: Counts,
  point: CrashPoint
): Effect.Effect<void, Broken> =>
  Effect.gen(function*() {
    const disk = new SimulatedDisk()
    const random = prng(point.seed)
    const fsyncFailed = planFailure(disk, point, counts, random)
    const journal = journalOn<A>(disk)
    const exit = yield* onDisk(options, disk, options.write(journal.ledger))
    if (Exit.isFailure(exit) && disk.crashed === undefined && !fsyncFailed()) {
      const reason = `the write program failed before its crash point, on a disk that had not crashed ` +
        `(is it deterministic?): ${describeCause(exit.cause)}`
      return yield* Effect.fail(broken("write", reason, journal, Option.none()))
    }
    disk.cancelCrash()
    // A crash point past the program's end strikes once it has ended.
    const rebooted = disk.crashed ??
      (point.sequence === "PowerLoss" ? disk.crash(point.crashModel, random) : disk.processCrash())
    yield* recoverAndCheck(options, rebooted, journal, "recovery")
    yield* recoverAndCheck(options, rebooted.crash(point.crashModel, random), journal, "recovery after a later power loss")
  })

const SCANNED = Symbol("SCANNED")

/**
 * A uniform integer in `[min, max]` whose shrinking fast-check keeps at the
 * first candidate that still fails:
 * - `"rescan"`: every smaller value, smallest first, each time the case
 *   around it has shrunk (a smaller one may fail now);
 * - `"scanOnce"`: every smaller value, smallest first, once: the value
 *   found is the earliest failing one (halving, as `fc.integer` does, can
 *   step over scattered failing values);
 * - `"toMinimum"`: the minimum alone, for a value that rarely matters.
 */
class Shrinking extends fc.Arbitrary<number> {
  constructor(
    readonly min: number,
    readonly max: number,
    readonly strategy: "rescan" | "scanOnce" | "toMinimum"
  ) {
    super()
  }
  generate(random: fc.Random): fc.Value<number> {
    return new fc.Value(random.nextInt(this.min, this.max), undefined)
  }
  canShrinkWithoutContext(value: unknown): value is number {
    return Number.isInteger(value) && (value as number) >= this.min && (value as number) <= this.max
  }
  shrink(value: number, context: unknown): fc.Stream<fc.Value<number>> {
    if (context === SCANNED || value === this.min) return fc.Stream.nil()
    if (this.strategy === "toMinimum") return fc.Stream.of(new fc.Value(this.min, SCANNED))
    const { min } = this
    const mark = this.strategy === "scanOnce" ? SCANNED : undefined
    return fc.stream((function*() {
      for (let candidate = min; candidate < value; candidate++) yield new fc.Value(candidate, mark)
    })())
  }
}

/**
 * Crash points. Sequence and crash model shrink together, as one kind of
 * failure (a simpler kind is tried at the same instant, again after every
 * other shrink); then the instant, to the earliest; then the seed, to 0. At
 * most (sequences × models) + instants runs per shrink step.
 */
const crashPoints = <A, S, R>(options: Resolved<A, S, R>, counts: Counts): fc.Arbitrary<CrashPoint> => {
  const kinds = options.sequences.flatMap((sequence) =>
    options.crashModels.map((crashModel) => ({ sequence, crashModel }))
  )
  return fc.record({
    kind: new Shrinking(0, kinds.length - 1, "rescan"),
    at: new Shrinking(1, counts.operations + 1, "scanOnce"),
    seed: new Shrinking(0, 0xffff, "toMinimum")
  }).map(({ at, kind, seed }) => ({ ...kinds[kind]!, at, seed }))
}

/**
 * Lets the event loop run between cases, so a long search never starves the
 * test runner (`setImmediate` where there is one: `setTimeout` waits a millisecond).
 */
const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => typeof setImmediate === "function" ? setImmediate(resolve) : setTimeout(resolve, 0))

/** Searches the crash points with fast-check; the shrunk failure, if any. */
export const search = <A, S, R>(options: Resolved<A, S, R>, counts: Counts): Effect.Effect<Found | undefined> =>
  Effect.gen(function*() {
    const run = Runtime.runPromiseExit(yield* Effect.runtime<never>())
    let last: { readonly point: CrashPoint; readonly broken: Broken } | undefined
    const property = fc.asyncProperty(crashPoints(options, counts), async (point) => {
      await yieldToEventLoop()
      const exit = await run(crashCase(options, counts, point))
      if (Exit.isSuccess(exit)) return true
      const failure = Cause.failureOption(exit.cause)
      // Anything but a broken promise is a defect of the harness itself.
      if (Option.isNone(failure)) throw Cause.squash(exit.cause)
      last = { point, broken: failure.value }
      return false
    })
    const details = yield* Effect.promise(() =>
      fc.check(property, {
        numRuns: options.numRuns,
        ...(options.seed === undefined ? {} : { seed: options.seed }),
        ...(options.path === undefined ? {} : { path: options.path })
      })
    )
    if (!details.failed) return undefined
    const point = details.counterexample?.[0]
    // fast-check's counterexample is the last input that failed; anything else is a thrown defect.
    if (last === undefined || last.point !== point) return yield* Effect.die(details.errorInstance)
    const path = details.counterexamplePath ?? ""
    return { point, broken: last.broken, shrinks: details.numShrinks, seed: details.seed, path }
  })
