/**
 * Property-test crash recovery, two ways:
 *
 * - {@link check}: crash-test your own program. Your write program runs on
 *   a simulated machine and reports what it acknowledged; the machine is
 *   crashed at every kind of point fast-check draws; your recovery program
 *   runs on what a reboot finds; your invariant judges the result. Failures
 *   shrink to the earliest crash that breaks it.
 * - {@link runCase}: crash-test the log itself under a generated workload
 *   of lora-wal operations and a model of your state, as below.
 *
 * `runCase` runs a workload against the log on a memory filesystem, crashes
 * the machine at a random instant under a random crash model, reopens, and
 * checks the log's promises:
 *
 * - open succeeds (a crash only damages bytes that were never fsynced);
 * - the recovered transactions are exactly a prefix of the transactions
 *   handed to the log, in order, with nothing partial and nothing from an
 *   aborted or unfinished transaction;
 * - every commit acknowledged as durable survives (PerCommit: `commitTx`
 *   returned; Group/None: its LSN was at or below `durableLsn`);
 * - the user's state rebuilt from the snapshot and the log equals the state
 *   of that prefix;
 * - the reopened log accepts new commits, and they survive a power loss
 *   (after a killed process, a failed fsync, or a first power loss).
 *
 * Checkpoints go through `Checkpoint.checkpoint` and recovery through
 * `Checkpoint.recover`, with the snapshots on the same machine; in half the
 * cases that have two snapshots the newest is damaged before recovery, so
 * recovery must fall back to the older one without meeting a hole. In one
 * case in eight the recovery itself is cut short by another crash.
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as Checkpoint from "@lora-wal/core/Checkpoint"
import * as DirLock from "@lora-wal/core/DirLock"
import type { EventCodec } from "@lora-wal/core/EventCodec"
import * as LoraCodec from "@lora-wal/core/LoraCodec"
import type { Lsn } from "@lora-wal/core/Lsn"
import type * as Replay from "@lora-wal/core/Replay"
import * as Wal from "@lora-wal/core/Wal"
import type { SyncMode } from "@lora-wal/core/WalConfig"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Equal from "effect/Equal"
import * as Exit from "effect/Exit"
import * as fc from "effect/FastCheck"
import { identity } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import { provideMachine } from "./internal/machine.js"
import * as ProgramCase from "./internal/programCase.js"
import { prng as internalPrng } from "./internal/prng.js"
import { ManualClock, withManualClock } from "./ManualClock.js"
import * as MemoryFileSystem from "./MemoryFileSystem.js"
import { CrashModel, crashModels, describeCrashModel, SimulatedDisk } from "./SimulatedDisk.js"

/**
 * One step of a workload.
 *
 * - `Commit`: `commitTx(events)`.
 * - `CommitAll`: `commitAll(transactions)` (empty ones included: they log nothing).
 * - `LowLevel`: `begin`, the events as Mutation records (or one batch), then
 *   `commit` or `abort` and a `flush`, or nothing more (`leaveOpen`: the
 *   transaction never finishes and must never be replayed).
 * - `Checkpoint`: `Checkpoint.checkpoint`, LoraDB's sequence: `forceFsync`,
 *   a snapshot at `durableLsn` written atomically next to the log (its
 *   payload names the user's state at that LSN, which the harness keeps),
 *   a Checkpoint marker, truncation.
 * - `Tick`: advance the test clock (drives the Group flusher).
 * - `Reopen`: close the handle cleanly and open it again.
 *
 * @since 0.1.0
 * @category the log itself
 */
export type Op<E> = Data.TaggedEnum<{
  Commit: { readonly events: ReadonlyArray<E> }
  CommitAll: { readonly transactions: ReadonlyArray<ReadonlyArray<E>> }
  LowLevel: { readonly events: ReadonlyArray<E>; readonly batch: boolean; readonly end: "commit" | "abort" | "leaveOpen" }
  Flush: {}
  ForceFsync: {}
  Checkpoint: {}
  Tick: { readonly ms: number }
  Reopen: {}
}>

/**
 * Constructors and matchers for {@link Op}, for events of type `E`:
 * `CrashHarness.Op<MyEvent>().Commit({ events })`.
 *
 * @since 0.1.0
 * @category the log itself
 */
export const Op = <E>() => Data.taggedEnum<Op<E>>()

/**
 * What {@link runCase} runs against the log: the sync mode, the segment size
 * and the steps.
 *
 * @since 0.1.0
 * @category the log itself
 */
export interface Workload<E> {
  readonly syncMode: SyncMode
  readonly segmentTargetBytes: number
  readonly ops: ReadonlyArray<Op<E>>
}

/**
 * The user's state and how an event changes it: what recovery rebuilds.
 *
 * @since 0.1.0
 * @category the log itself
 */
export interface StateModel<E, S> {
  readonly initial: S
  readonly apply: (state: S, event: E) => S
  /** Defaults to `Equal.equals`. */
  readonly equals?: (a: S, b: S) => boolean
}

/**
 * How a case's machine fails, and what follows.
 *
 * - `PowerLoss`: power is lost at the crash instant (under the case's crash
 *   model); the recovered log takes new commits; power is lost again.
 * - `ProcessCrash`: the process is killed at the crash instant. The OS keeps
 *   everything it was given, fsynced or not; the reopened log takes new
 *   commits; then power is lost under the crash model, so whatever the
 *   reopen took as durable is put to the test.
 * - `FsyncFailure`: one of the workload's fsyncs fails as on Linux (the
 *   unsynced data is dropped from the disk's future but stays readable);
 *   the process dies; then as `ProcessCrash`.
 *
 * @since 0.1.0
 * @category models
 */
export type CrashSequence = "PowerLoss" | "ProcessCrash" | "FsyncFailure"

/**
 * Every {@link CrashSequence}, to run each case under all of them.
 *
 * @since 0.1.0
 * @category constants
 */
export const crashSequences: ReadonlyArray<CrashSequence> = ["PowerLoss", "ProcessCrash", "FsyncFailure"]

/**
 * A broken promise, with everything needed to reproduce it.
 *
 * @since 0.1.0
 * @category the log itself
 */
export class CrashViolation extends Data.TaggedError("CrashViolation")<{
  readonly invariant: string
  readonly detail: string
  readonly seed: number
  readonly sequence: CrashSequence
  readonly crashModel: CrashModel
  readonly crashAtOperation: number
}> {
  get message(): string {
    return `${this.invariant}: ${this.detail} (seed ${this.seed}, ${this.sequence}, ` +
      `crash model ${describeCrashModel(this.crashModel)}, crash at operation ${this.crashAtOperation})`
  }
}

/**
 * What one case did.
 *
 * @since 0.1.0
 * @category the log itself
 */
export interface CaseReport {
  readonly operations: number
  readonly crashAtOperation: number
  readonly acknowledged: number
  readonly recovered: number
  /** Open refused mid-log damage (`Corruption`) and needed `repair`: only allowed under `SectorChaos`. */
  readonly repaired: boolean
  /** The newest snapshot was damaged and recovery fell back to the one before it. */
  readonly snapshotFallback: boolean
  /** An injected fsync failure fired (`FsyncFailure` cases whose workload reached it). */
  readonly fsyncFailed: boolean
  /** A first recovery was cut short by another crash, and recovery ran again. */
  readonly recoveryInterrupted: boolean
}

/**
 * One crash case of {@link runCase}: the workload, your state model, and
 * how and where the machine fails.
 *
 * @since 0.1.0
 * @category the log itself
 */
export interface CaseOptions<E, S> {
  readonly workload: Workload<E>
  readonly model: StateModel<E, S>
  /** The power loss: at the crash instant (`PowerLoss`), or after the reopened log's new commits. */
  readonly crashModel: CrashModel
  /** Defaults to `PowerLoss`. */
  readonly sequence?: CrashSequence | undefined
  /** Seeds the crash point and the crash model's choices. */
  readonly seed: number
  /** How the events are written; LoraDB's codec by default, for `MutationEvent` workloads. */
  readonly codec?: EventCodec<E> | undefined
  /**
   * Wraps the filesystem the workload runs on (before the crash), e.g. with
   * `FaultyFileSystem.wrap`, or to prove a safeguard is needed by removing it.
   */
  readonly transformFileSystem?: ((fs: FileSystem.FileSystem) => FileSystem.FileSystem) | undefined
}

/**
 * A seeded PRNG (mulberry32): small, fast, and reproducible, so a failing
 * case replays from its seed.
 *
 * @since 0.1.0
 * @category utils
 */
export const prng: (seed: number) => () => number = internalPrng

interface Attempt<E> {
  readonly commitLsn: bigint
  readonly events: ReadonlyArray<E>
}

interface Run<E, S> {
  /** Transactions whose records were handed to the log, in LSN order. */
  readonly attempted: Array<Attempt<E>>
  /** Commit LSNs acknowledged as durable. */
  readonly acknowledged: Set<bigint>
  /** The user's state at each snapshot's LSN (a snapshot's payload is its LSN). */
  readonly states: Map<bigint, S>
  /** The newest snapshot taken, the fence of a clean reopen. */
  checkpointLsn: bigint
}

const DIR = "/wal"
const SNAPSHOTS = "/snapshots"

const fold = <E, S>(model: StateModel<E, S>, state: S, transactions: ReadonlyArray<{ readonly events: ReadonlyArray<E> }>) =>
  transactions.reduce((s, tx) => tx.events.reduce(model.apply, s), state)

const walOptions = <E, S>(options: CaseOptions<E, S>) => ({
  dir: DIR,
  syncMode: options.workload.syncMode,
  segmentTargetBytes: options.workload.segmentTargetBytes,
  // Without a codec the events are MutationEvents (see `CaseOptions.codec`).
  codec: options.codec ?? (LoraCodec.codec as unknown as EventCodec<E>)
})

/** A snapshot's payload: its LSN, which keys the state the harness keeps. */
const lsnBytes = (lsn: bigint): Uint8Array => {
  const bytes = new Uint8Array(8)
  new DataView(bytes.buffer).setBigUint64(0, lsn)
  return bytes
}

/** Runs the workload; stops quietly at the first failure once the machine has crashed or an fsync has failed. */
const runWorkload = <E, S>(
  options: CaseOptions<E, S>,
  state: SimulatedDisk,
  run: Run<E, S>,
  clock: ManualClock,
  faulted: () => boolean
) =>
  Effect.gen(function*() {
    const { model, workload } = options
    const open = (scope: Scope.CloseableScope) =>
      Wal.make({ ...walOptions(options), fence: run.checkpointLsn as Lsn, onTransaction: () => Effect.void }).pipe(
        Scope.extend(scope)
      )
    let scope = yield* Scope.make()
    let wal = yield* open(scope)
    const acknowledgeUpTo = (lsn: bigint) => {
      for (const a of run.attempted) if (a.commitLsn <= lsn) run.acknowledged.add(a.commitLsn)
    }
    const perCommit = workload.syncMode._tag === "PerCommit"
    // None's durableLsn means "handed to the OS" (lora-wal's definition): that
    // survives a killed process, not a power loss, where only explicit fsyncs count.
    const durableLsnHolds = workload.syncMode._tag !== "None" || options.sequence !== "PowerLoss" ||
      options.crashModel.data === "KeepAll"
    for (const op of workload.ops) {
      const next = (yield* wal.status).nextLsn as bigint
      switch (op._tag) {
        case "Commit": {
          if (op.events.length === 0) break
          run.attempted.push({ commitLsn: next + 2n, events: op.events })
          yield* wal.commitTx(op.events)
          if (perCommit) run.acknowledged.add(next + 2n)
          break
        }
        case "CommitAll": {
          const logged = op.transactions.filter((events) => events.length > 0)
          const commitLsns = logged.map((events, i) => {
            const commitLsn = next + 2n + 3n * BigInt(i)
            run.attempted.push({ commitLsn, events })
            return commitLsn
          })
          yield* wal.commitAll(op.transactions)
          if (perCommit) for (const commitLsn of commitLsns) run.acknowledged.add(commitLsn)
          break
        }
        case "LowLevel": {
          const tx = yield* wal.begin
          if (op.batch && op.events.length > 0) yield* wal.appendBatch(tx, op.events)
          else for (const event of op.events) yield* wal.append(tx, event)
          if (op.end === "leaveOpen") break
          if (op.end === "commit") {
            run.attempted.push({ commitLsn: (yield* wal.status).nextLsn as bigint, events: op.events })
            const commitLsn = yield* wal.commit(tx)
            yield* wal.flush
            if (perCommit) run.acknowledged.add(commitLsn)
          } else {
            yield* wal.abort(tx)
            yield* wal.flush
          }
          break
        }
        case "Flush":
          yield* wal.flush
          break
        case "ForceFsync":
          yield* wal.forceFsync
          acknowledgeUpTo((yield* wal.status).durableLsn)
          break
        case "Checkpoint": {
          const lsn = yield* Checkpoint.checkpoint(wal, {
            snapshotDir: SNAPSHOTS,
            write: (lsn) =>
              Effect.sync(() => {
                run.states.set(lsn, fold(model, model.initial, run.attempted.filter((a) => a.commitLsn <= lsn)))
                return lsnBytes(lsn)
              })
          })
          run.checkpointLsn = lsn
          acknowledgeUpTo(lsn)
          break
        }
        case "Tick":
          yield* clock.adjust(op.ms)
          break
        case "Reopen":
          yield* Scope.close(scope, Exit.void)
          scope = yield* Scope.make()
          wal = yield* open(scope)
          break
      }
      if (durableLsnHolds) acknowledgeUpTo((yield* wal.status).durableLsn)
    }
  }).pipe(
    Effect.catchAll((error) => (state.crashed !== undefined || faulted() ? Effect.void : Effect.fail(error))),
    provideMachine((options.transformFileSystem ?? identity)(MemoryFileSystem.make(state)))
  )

/** Damages the newest of two or more intact snapshots (a torn write or bit rot after it was taken). */
const damageNewestSnapshot = (state: SimulatedDisk): boolean => {
  const names = state.nodes.has(SNAPSHOTS) ? state.children(SNAPSHOTS).filter((n) => n.endsWith(".snap")).sort() : []
  const intact = names.filter((n) => Checkpoint.decodeSnapshot(state.read(`${SNAPSHOTS}/${n}`)!) !== undefined)
  if (intact.length < 2) return false
  const path = `${SNAPSHOTS}/${intact[intact.length - 1]}`
  const bytes = state.read(path)!
  bytes[bytes.length - 1]! ^= 0xff
  state.write(path, bytes)
  return true
}

interface Recovered<E> {
  readonly transactions: ReadonlyArray<Replay.Transaction<E>>
  readonly fence: bigint
  readonly repaired: boolean
}

/** Recovers the machine found after a crash, allowing `repair` only where the model can reorder writes. */
const recover = <E, S>(
  options: CaseOptions<E, S>,
  state: SimulatedDisk,
  violation: (invariant: string, detail: string) => CrashViolation
): Effect.Effect<Recovered<E>, CrashViolation> =>
  Effect.gen(function*() {
    const transactions: Array<Replay.Transaction<E>> = []
    const open = (repair: boolean) =>
      Effect.scoped(Effect.map(
        Checkpoint.recover({
          ...walOptions(options),
          snapshotDir: SNAPSHOTS,
          repair,
          onTransaction: (tx) => Effect.sync(() => void transactions.push(tx))
        }),
        (recovered) => Option.match(recovered.snapshot, { onNone: () => 0n, onSome: (s) => s.lsn as bigint })
      ))
    const first = yield* Effect.exit(open(false))
    if (Exit.isSuccess(first)) return { transactions, fence: first.value, repaired: false }
    const error = first.cause._tag === "Fail" ? first.cause.error : undefined
    if (error?._tag !== "Corruption" || options.crashModel.data !== "SectorChaos" || options.sequence !== "PowerLoss") {
      return yield* violation("open succeeds", String(first.cause))
    }
    transactions.length = 0
    const fence = yield* open(true).pipe(Effect.mapError((e) => violation("open succeeds with repair", e.message)))
    return { transactions, fence, repaired: true }
  }).pipe(provideMachine(MemoryFileSystem.make(state)))

/**
 * Recovers; in one case in eight a first recovery is itself cut short
 * at a random filesystem operation (by a power loss under a `PowerLoss`
 * case's model, else by a killed process), and the machine it leaves is
 * recovered again. Returns what the completed recovery returned, and the
 * machine it ran on.
 */
const recoverPerhapsInterrupted = <E, S>(
  options: CaseOptions<E, S>,
  machine: SimulatedDisk,
  random: () => number,
  violation: (invariant: string, detail: string) => CrashViolation
) =>
  Effect.gen(function*() {
    if (random() >= 0.125) return { machine, recovered: yield* recover(options, machine, violation), interrupted: false }
    machine.crashAt(1 + Math.floor(random() * 12), options.sequence === "PowerLoss" ? options.crashModel : "ProcessCrash", random)
    const attempt = yield* Effect.either(recover(options, machine, violation))
    machine.cancelCrash()
    const after = machine.crashed
    if (after === undefined) {
      if (Either.isLeft(attempt)) return yield* attempt.left
      return { machine, recovered: attempt.right, interrupted: false }
    }
    return { machine: after, recovered: yield* recover(options, after, violation), interrupted: true }
  })

/** Checks what recovery returned against what was written and acknowledged. */
const checkRecovered = <E, S>(
  options: CaseOptions<E, S>,
  run: Run<E, S>,
  recovered: Recovered<E>,
  violation: (invariant: string, detail: string) => CrashViolation
) =>
  Effect.gen(function*() {
    const { fence, transactions } = recovered
    const equals = options.model.equals ?? Equal.equals
    const expected = run.attempted.filter((a) => a.commitLsn > fence)
    if (transactions.length > expected.length) {
      return yield* violation("recovered is a prefix", `${transactions.length} transactions recovered, only ${expected.length} were written`)
    }
    for (let i = 0; i < transactions.length; i++) {
      const got = transactions[i]!
      const want = expected[i]!
      if (got.commitLsn !== want.commitLsn || !equalsEvents(got.events, want.events)) {
        return yield* violation(
          "recovered is a prefix, with no partial transaction",
          `transaction ${i} recovered as commit ${got.commitLsn} with ${got.events.length} events, expected commit ${want.commitLsn} with ${want.events.length}`
        )
      }
    }
    const survivors = new Set(transactions.map((t) => t.commitLsn as bigint))
    for (const lsn of run.acknowledged) {
      if (lsn > fence && !survivors.has(lsn)) {
        return yield* violation("acknowledged commits survive", `commit ${lsn} was acknowledged as durable but not recovered (fence ${fence})`)
      }
    }
    const base = fence === 0n ? options.model.initial : run.states.get(fence)
    if (base === undefined) return yield* violation("snapshots are known", `no state was recorded for the snapshot at lsn ${fence}`)
    if (!equals(fold(options.model, base, transactions), fold(options.model, base, expected.slice(0, transactions.length)))) {
      return yield* violation("state model", "the state rebuilt from the snapshot and the log differs from the committed prefix")
    }
  })

const equalsEvents = <E>(a: ReadonlyArray<E>, b: ReadonlyArray<E>): boolean =>
  a.length === b.length && a.every((e, i) => deepEqual(e, b[i]))

const deepEqual = (a: unknown, b: unknown): boolean => {
  if (Object.is(a, b)) return true
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength)
    const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
    return a.constructor === b.constructor && x.length === y.length && x.every((v, i) => v === y[i])
  }
  if (a instanceof Map && b instanceof Map) {
    return a.size === b.size && Array.from(a).every(([k, v]) => b.has(k) && deepEqual(v, b.get(k)))
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const ka = Object.keys(a as object)
  const kb = Object.keys(b as object)
  return ka.length === kb.length && ka.every((k) => deepEqual((a as any)[k], (b as any)[k]))
}

/**
 * The recovered log takes new commits, then power is lost: what the first
 * recovery returned, and the new commits, must all survive it.
 */
const afterRecovery = <E, S>(
  options: CaseOptions<E, S>,
  run: Run<E, S>,
  first: Recovered<E>,
  machine: SimulatedDisk,
  random: () => number,
  violation: (invariant: string, detail: string) => CrashViolation
) =>
  Effect.gen(function*() {
    // Below the fence: covered by a snapshot, so fsynced before it was taken.
    const durable: Array<Attempt<E>> = [
      ...run.attempted.filter((a) => a.commitLsn <= first.fence),
      ...first.transactions.map((t) => ({ commitLsn: t.commitLsn as bigint, events: t.events }))
    ]
    const second: Run<E, S> = { attempted: durable, acknowledged: new Set(), states: run.states, checkpointLsn: first.fence }
    const probe = run.attempted.slice(-1).map((a) => a.events).filter((e) => e.length > 0)
    yield* Effect.scoped(Effect.gen(function*() {
      const wal = yield* Wal.make({ ...walOptions(options), fence: first.fence as Lsn, onTransaction: () => Effect.void })
      for (const events of probe) {
        const next = (yield* wal.status).nextLsn as bigint
        yield* wal.commitTx(events)
        second.attempted.push({ commitLsn: next + 2n, events })
      }
      yield* wal.forceFsync
    })).pipe(
      provideMachine(MemoryFileSystem.make(machine)),
      Effect.mapError((e) => violation("the recovered log accepts new commits", e.message))
    )
    for (const a of second.attempted) second.acknowledged.add(a.commitLsn)
    const recovered = yield* recover(options, machine.crash(options.crashModel, random), violation)
    yield* checkRecovered(options, second, recovered, violation)
  })

/**
 * Runs one crash case and fails with a {@link CrashViolation} if a promise
 * is broken. Deterministic for a given workload, sequence, crash model and
 * seed.
 *
 * @since 0.1.0
 * @category the log itself
 */
export const runCase = <E, S>(options: CaseOptions<E, S>): Effect.Effect<CaseReport, CrashViolation> => {
  const sequence = options.sequence ?? "PowerLoss"
  const resolved: CaseOptions<E, S> = { ...options, sequence }
  return withManualClock((clock) =>
    Effect.gen(function*() {
      const random = prng(options.seed)
      const machine = new SimulatedDisk()
      const live: Run<E, S> = { attempted: [], acknowledged: new Set(), states: new Map(), checkpointLsn: 0n }
      let fsyncFailed = false
      if (sequence === "FsyncFailure") {
        let countdown = 1 + Math.floor(random() * 16)
        machine.fsyncFault = () => {
          if (--countdown !== 0) return false
          fsyncFailed = true
          return true
        }
      }
      // The crash instant: uniform over the workload's filesystem operations
      // and its end (reservoir sampling), with what was acknowledged then.
      // After a failed fsync the process dies at the end instead. A capture
      // keeps the OS's state; the power loss, if any, is applied once, to the
      // instant finally chosen.
      const snapshotRun = (): Run<E, S> => ({ ...live, attempted: live.attempted.slice(), acknowledged: new Set(live.acknowledged) })
      let crash = { at: 0, image: undefined as SimulatedDisk | undefined, run: live }
      const capture = (at: number) => {
        crash = { at, image: machine.processCrash(), run: snapshotRun() }
      }
      if (sequence !== "FsyncFailure") {
        machine.beforeOperation = (n) => {
          if (random() * n < 1) capture(n)
        }
      }
      const violation = (invariant: string, detail: string) =>
        new CrashViolation({ invariant, detail, seed: options.seed, sequence, crashModel: options.crashModel, crashAtOperation: crash.at })
      yield* runWorkload(resolved, machine, live, clock, () => fsyncFailed).pipe(
        Effect.mapError((e) => violation("no failure without a crash", String(e)))
      )
      if (sequence === "FsyncFailure" || random() * (machine.operations + 1) < 1) capture(machine.operations + 1)
      const afterCrash = sequence === "PowerLoss" ? crash.image!.crash(options.crashModel, random) : crash.image!
      const snapshotFallback = random() < 0.5 && damageNewestSnapshot(afterCrash)
      const recovery = yield* recoverPerhapsInterrupted(resolved, afterCrash, random, violation)
      const first = recovery.recovered
      yield* checkRecovered(resolved, crash.run, first, violation)
      yield* afterRecovery(resolved, crash.run, first, recovery.machine, random, violation)
      return {
        operations: machine.operations,
        crashAtOperation: crash.at,
        acknowledged: crash.run.acknowledged.size,
        recovered: first.transactions.length,
        repaired: first.repaired,
        snapshotFallback,
        fsyncFailed,
        recoveryInterrupted: recovery.interrupted
      }
    })
  ).pipe(Logger.withMinimumLogLevel(LogLevel.None))
}

/**
 * How a write program run by {@link check} reports its promises. Only
 * calls made while the machine is still up count: a dead process promises
 * nothing.
 *
 * @since 0.1.0
 * @category your own program
 */
export interface Ledger<A> {
  /** Records that `value` was promised durable (e.g. "commit #7 returned"): recovery must bring it back. */
  readonly acknowledge: (value: A) => Effect.Effect<void>
  /** Records that the program started writing `value` (optional): what an invariant may allow recovery to return. */
  readonly attempt: (value: A) => Effect.Effect<void>
}

/**
 * What the harness runs your programs with: the simulated machine's
 * `FileSystem`, POSIX `Path`, and `DirLock` (the in-process memory lock,
 * afresh for every run, as a new process would have it): what
 * `@lora-wal/core` needs.
 *
 * @since 0.1.0
 * @category your own program
 */
export type MachineServices = FileSystem.FileSystem | Path.Path | DirLock.DirLock

/**
 * A program to crash: your own write and recovery code, on the
 * {@link MachineServices} plus whatever your `layer` builds on them. Both
 * programs run scoped.
 *
 * @since 0.1.0
 * @category your own program
 */
export interface ProgramOptions<A, S, R> {
  /** The program under test. It must end by itself on a healthy disk, and report its promises on `ledger`. */
  readonly write: (ledger: Ledger<A>) => Effect.Effect<unknown, unknown, R | MachineServices | Scope.Scope>
  /** Runs on the machine found after the crash and returns what it recovered. */
  readonly recover: Effect.Effect<S, unknown, R | MachineServices | Scope.Scope>
  /**
   * Whether the recovered state keeps the promises made before the crash:
   * false, a failing effect, or a throw (an `expect`) breaks it.
   */
  readonly invariant: (
    recovered: S,
    acknowledged: ReadonlyArray<A>,
    attempted: ReadonlyArray<A>
  ) => boolean | Effect.Effect<unknown, unknown>
  /** Your services, built on the {@link MachineServices} afresh for every run. */
  readonly layer?: Layer.Layer<R, unknown, MachineServices> | undefined
  /** Defaults to every {@link CrashSequence}. */
  readonly sequences?: ReadonlyArray<CrashSequence> | undefined
  /** Defaults to every crash model (`SimulatedDisk.crashModels`). */
  readonly crashModels?: ReadonlyArray<CrashModel> | undefined
  /** Crash points to try; defaults to 100. */
  readonly numRuns?: number | undefined
  /** fast-check's seed and shrink path, to replay a reported failure. */
  readonly seed?: number | undefined
  readonly path?: string | undefined
}

/**
 * Where and how one case fails the machine; what a failure shrinks.
 *
 * - `at`: `PowerLoss` and `ProcessCrash` strike just before the write
 *   program's `at`-th mutating filesystem operation (counting from 1; one
 *   past the last is after the program ended). Under `FsyncFailure`, the
 *   last file fsync up to operation `at` fails (none, if `at` comes before
 *   the first), and the process dies when the program ends.
 * - `seed`: the crash model's random choices.
 *
 * Every sequence ends the same way: recovery, a power loss under
 * `crashModel`, and recovery again.
 *
 * @since 0.1.0
 * @category your own program
 */
export const CrashPoint = Schema.Struct({
  sequence: Schema.Literal("PowerLoss", "ProcessCrash", "FsyncFailure"),
  crashModel: CrashModel,
  at: Schema.Number,
  seed: Schema.Number
})

/**
 * A crash point: where and how one case of {@link check} failed the machine.
 *
 * @since 0.1.0
 * @category your own program
 */
export interface CrashPoint extends Schema.Schema.Type<typeof CrashPoint> {}

/**
 * Where a program check failed: the write program, on a disk that had not
 * crashed; the recovery after the crash; or the recovery after the power
 * loss that followed it.
 *
 * @since 0.1.0
 * @category your own program
 */
export const Stage = Schema.Literal("write", "recovery", "recovery after a later power loss")

/**
 * @since 0.1.0
 * @category your own program
 */
export type Stage = typeof Stage.Type

/**
 * A program that broke its promises, at the smallest crash fast-check could
 * shrink the failure to: which stage, why, the crash point, what was
 * acknowledged and attempted before the crash, and what recovery returned.
 *
 * @since 0.1.0
 * @category your own program
 */
export class ProgramViolation extends Schema.TaggedError<ProgramViolation>(
  "@lora-wal/testkit/CrashHarness/ProgramViolation"
)("ProgramViolation", {
  stage: Stage,
  reason: Schema.String,
  crash: Schema.OptionFromSelf(CrashPoint),
  /** Mutating filesystem operations and file fsyncs of the write program on a healthy disk. */
  operations: Schema.Number,
  fsyncs: Schema.Number,
  acknowledged: Schema.Array(Schema.Unknown),
  attempted: Schema.Array(Schema.Unknown),
  recovered: Schema.OptionFromSelf(Schema.Unknown),
  shrinks: Schema.Number,
  /** fast-check's seed and path: pass them back in the options to replay this case first. */
  replay: Schema.OptionFromSelf(Schema.Struct({ seed: Schema.Number, path: Schema.String }))
}) {
  get message(): string {
    const lines = [`${this.stage}: ${this.reason}`]
    for (const crash of Option.toArray(this.crash)) lines.push(`crash: ${describeCrashPoint(crash, this.operations)}`)
    lines.push(`acknowledged before the crash: ${fc.stringify(this.acknowledged)}`)
    if (this.attempted.length > 0) lines.push(`attempted before the crash: ${fc.stringify(this.attempted)}`)
    for (const recovered of Option.toArray(this.recovered)) lines.push(`recovered: ${fc.stringify(recovered)}`)
    for (const { path, seed } of Option.toArray(this.replay)) {
      lines.push(`shrunk ${this.shrinks} times; replay with { seed: ${seed}, path: "${path}" }`)
    }
    return lines.join("\n  ")
  }
}

const describeCrashPoint = (crash: CrashPoint, operations: number): string => {
  const model = `${describeCrashModel(crash.crashModel)}, seed ${crash.seed}`
  const instant = crash.at > operations
    ? `after the write program ended (${operations} operations)`
    : `before operation ${crash.at} of ${operations}`
  switch (crash.sequence) {
    case "PowerLoss":
      return `power lost ${instant}, and again after recovery (${model})`
    case "ProcessCrash":
      return `process killed ${instant}, then power lost after recovery (${model})`
    case "FsyncFailure":
      return `the last file fsync up to operation ${crash.at} of ${operations} failed, the process died when the ` +
        `program ended, then power lost after recovery (${model})`
  }
}

/**
 * What a passing program check covered.
 *
 * @since 0.1.0
 * @category your own program
 */
export interface CheckReport {
  /** Mutating filesystem operations of the write program on a healthy disk: the crash instants. */
  readonly operations: number
  /** File fsyncs of the write program on a healthy disk: what `FsyncFailure` can fail. */
  readonly fsyncs: number
  /** Crash points tried. */
  readonly runs: number
}

/**
 * Crash-tests your own program: runs `write` once on a healthy simulated
 * machine to count its filesystem operations and fsyncs, then, for
 * `numRuns` crash points drawn by fast-check (sequence, crash model, crash
 * instant, seed), runs it again and fails the machine there, runs
 * `recover` on what a reboot finds and checks `invariant`; then loses
 * power once more, recovers again and checks again. A failure shrinks to
 * the first sequence and crash model (in the order given) that still
 * breaks the invariant at its instant, then to the earliest such instant,
 * and fails the effect with a {@link ProgramViolation} describing it.
 *
 * The programs run in the caller's runtime: use `it.live` rather than
 * `it.effect` if they wait on the clock, which `TestClock` would freeze.
 * The write program should be deterministic (the crash instant is counted
 * in its operations).
 *
 * @example
 * ```ts
 * import { Wal } from "@lora-wal/core"
 * import { CrashHarness } from "@lora-wal/testkit"
 * import { Effect } from "effect"
 *
 * // Your write program: creates nodes, acknowledging each once its commit returned (fsynced).
 * const write = (ledger: CrashHarness.Ledger<bigint>) =>
 *   Effect.gen(function*() {
 *     const wal = yield* Wal.make({ dir: "/wal" })
 *     for (let id = 1n; id <= 5n; id++) {
 *       yield* wal.commitTx([{ _tag: "CreateNode", id, labels: [], properties: new Map() }])
 *       yield* ledger.acknowledge(id)
 *     }
 *   })
 *
 * // Your recovery: the ids of the nodes the log brings back.
 * const recover = Effect.map(Wal.make({ dir: "/wal" }), (wal) =>
 *   wal.recovery.committedEvents.flatMap((event) => event._tag === "CreateNode" ? [event.id] : []))
 *
 * // In a test file: it.live("acknowledged nodes survive crashes", () => crashTest)
 * const crashTest = CrashHarness.check({
 *   write,
 *   recover,
 *   invariant: (recovered, acknowledged) => acknowledged.every((id) => recovered.includes(id))
 * })
 * ```
 *
 * @since 0.1.0
 * @category your own program
 */
export function check<A, S>(options: ProgramOptions<A, S, never>): Effect.Effect<CheckReport, ProgramViolation>
export function check<A, S, R>(
  options: ProgramOptions<A, S, R> & { readonly layer: Layer.Layer<R, unknown, MachineServices> }
): Effect.Effect<CheckReport, ProgramViolation>
export function check<A, S, R>(
  options: ProgramOptions<A, S, R> | ProgramOptions<A, S, never>
): Effect.Effect<CheckReport, ProgramViolation> {
  return Effect.gen(function*() {
    if (options.sequences?.length === 0 || options.crashModels?.length === 0) {
      return yield* Effect.dieMessage("CrashHarness.check: sequences and crashModels must not be empty")
    }
    const resolved: ProgramCase.Resolved<A, S, R> = {
      // Without a layer R is never, which the programs run without.
      ...(options as ProgramOptions<A, S, R>),
      sequences: options.sequences ?? crashSequences,
      crashModels: options.crashModels ?? crashModels,
      numRuns: options.numRuns ?? 100
    }
    const violation = (broken: ProgramCase.Broken, counts: ProgramCase.Counts, found?: ProgramCase.Found) =>
      new ProgramViolation({
        ...broken,
        operations: counts.operations,
        fsyncs: counts.fsyncs,
        crash: Option.fromNullable(found?.point),
        shrinks: found?.shrinks ?? 0,
        replay: Option.fromNullable(found && { seed: found.seed, path: found.path })
      })
    const counts = yield* Effect.mapError(
      ProgramCase.healthyRun(resolved),
      (broken) => violation(broken, { operations: 0, fsyncs: 0, fsyncOperations: [] })
    )
    const found = yield* ProgramCase.search(resolved, counts)
    if (found === undefined) return { operations: counts.operations, fsyncs: counts.fsyncs, runs: resolved.numRuns }
    return yield* violation(found.broken, counts, found)
  })
}
