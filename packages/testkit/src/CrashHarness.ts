/**
 * Property-test crash recovery: run a workload against the log on a memory
 * filesystem, crash the machine at a random instant under a random crash
 * model, reopen, and check the log's promises:
 *
 * - open succeeds (a crash only damages bytes that were never fsynced);
 * - the recovered transactions are exactly a prefix of the transactions
 *   handed to the log, in order, with nothing partial and nothing from an
 *   aborted or unfinished transaction;
 * - every commit acknowledged as durable survives (PerCommit: `commitTx`
 *   returned; Group/None: its LSN was at or below `durableLsn`);
 * - the user's state rebuilt from the snapshot and the log equals the state
 *   of that prefix;
 * - the reopened log accepts new commits, and they survive a second crash.
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as DirLock from "@lora-wal/core/DirLock"
import type { EventCodec } from "@lora-wal/core/EventCodec"
import type { Lsn } from "@lora-wal/core/Lsn"
import type * as Replay from "@lora-wal/core/Replay"
import * as Wal from "@lora-wal/core/Wal"
import type { SyncMode } from "@lora-wal/core/WalConfig"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Equal from "effect/Equal"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import { ManualClock, withManualClock } from "./ManualClock.js"
import * as MemoryFileSystem from "./MemoryFileSystem.js"

/**
 * One step of a workload.
 *
 * - `Commit`: `commitTx(events)`.
 * - `LowLevel`: `begin`, the events as Mutation records (or one batch), then
 *   `commit` or `abort` and a `flush`, or nothing more (`leaveOpen`: the
 *   transaction never finishes and must never be replayed).
 * - `Checkpoint`: LoraDB's sequence: `forceFsync`, a snapshot of the user's
 *   state at `durableLsn` (kept by the harness as if written atomically),
 *   a Checkpoint marker, `truncateUpTo`.
 * - `Tick`: advance the test clock (drives the Group flusher).
 * - `Reopen`: close the handle cleanly and open it again.
 *
 * @since 0.1.0
 */
export type Op<E> = Data.TaggedEnum<{
  Commit: { readonly events: ReadonlyArray<E> }
  LowLevel: { readonly events: ReadonlyArray<E>; readonly batch: boolean; readonly end: "commit" | "abort" | "leaveOpen" }
  Flush: {}
  ForceFsync: {}
  Checkpoint: {}
  Tick: { readonly ms: number }
  Reopen: {}
}>

/** @since 0.1.0 */
export const Op = <E>() => Data.taggedEnum<Op<E>>()

/** @since 0.1.0 */
export interface Workload<E> {
  readonly syncMode: SyncMode
  readonly segmentTargetBytes: number
  readonly ops: ReadonlyArray<Op<E>>
}

/**
 * The user's state and how an event changes it: what recovery rebuilds.
 *
 * @since 0.1.0
 */
export interface StateModel<E, S> {
  readonly initial: S
  readonly apply: (state: S, event: E) => S
  /** Defaults to `Equal.equals`. */
  readonly equals?: (a: S, b: S) => boolean
}

/**
 * A broken promise, with everything needed to reproduce it.
 *
 * @since 0.1.0
 */
export class CrashViolation extends Data.TaggedError("CrashViolation")<{
  readonly invariant: string
  readonly detail: string
  readonly seed: number
  readonly crashModel: MemoryFileSystem.CrashModel
  readonly crashAtOperation: number
}> {
  get message(): string {
    return `${this.invariant}: ${this.detail} (seed ${this.seed}, crash model ${this.crashModel.data}` +
      `${this.crashModel.loseDirectoryEntries ? "+loseDirectoryEntries" : ""}, crash at operation ${this.crashAtOperation})`
  }
}

/**
 * What one case did.
 *
 * @since 0.1.0
 */
export interface CaseReport {
  readonly operations: number
  readonly crashAtOperation: number
  readonly acknowledged: number
  readonly recovered: number
  /** Open refused mid-log damage (`Corruption`) and needed `repair`: only allowed under `SectorChaos`. */
  readonly repaired: boolean
}

/** @since 0.1.0 */
export interface CaseOptions<E, S> {
  readonly workload: Workload<E>
  readonly model: StateModel<E, S>
  readonly crashModel: MemoryFileSystem.CrashModel
  /** Seeds the crash point and the crash model's choices. */
  readonly seed: number
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
 */
export const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

interface Attempt<E> {
  readonly commitLsn: bigint
  readonly events: ReadonlyArray<E>
}

interface Run<E, S> {
  /** Transactions whose records were handed to the log, in LSN order. */
  readonly attempted: Array<Attempt<E>>
  /** Commit LSNs acknowledged as durable. */
  readonly acknowledged: Set<bigint>
  snapshot: { readonly lsn: bigint; readonly state: S }
}

const DIR = "/wal"

const layerFor = (
  state: MemoryFileSystem.MemoryState,
  transform: (fs: FileSystem.FileSystem) => FileSystem.FileSystem = (fs) => fs
) => Layer.provideMerge(DirLock.layerMemory, Layer.succeed(FileSystem.FileSystem, transform(MemoryFileSystem.make(state))))

const fold = <E, S>(model: StateModel<E, S>, state: S, transactions: ReadonlyArray<{ readonly events: ReadonlyArray<E> }>) =>
  transactions.reduce((s, tx) => tx.events.reduce(model.apply, s), state)

/** Runs the workload; stops quietly at the first failure once the machine has crashed. */
const runWorkload = <E, S>(
  options: CaseOptions<E, S>,
  state: MemoryFileSystem.MemoryState,
  run: Run<E, S>,
  clock: ManualClock
) =>
  Effect.gen(function*() {
    const { model, workload } = options
    const open = (scope: Scope.CloseableScope) =>
      Wal.make<E>({
        dir: DIR,
        syncMode: workload.syncMode,
        segmentTargetBytes: workload.segmentTargetBytes,
        fence: run.snapshot.lsn,
        codec: options.codec,
        onTransaction: () => Effect.void
      }).pipe(Scope.extend(scope))
    let scope = yield* Scope.make()
    let wal = yield* open(scope)
    const acknowledgeUpTo = (lsn: bigint) => {
      for (const a of run.attempted) if (a.commitLsn <= lsn) run.acknowledged.add(a.commitLsn)
    }
    const perCommit = workload.syncMode._tag === "PerCommit"
    // None's durableLsn means "handed to the OS" (lora-wal's definition): that
    // survives a process crash, not a power loss, where only explicit fsyncs count.
    const durableLsnHolds = workload.syncMode._tag !== "None" || options.crashModel.data === "KeepAll"
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
          yield* wal.forceFsync
          const lsn = (yield* wal.status).durableLsn as bigint
          acknowledgeUpTo(lsn)
          const covered = run.attempted.filter((a) => a.commitLsn > run.snapshot.lsn && a.commitLsn <= lsn)
          run.snapshot = { lsn, state: fold(model, run.snapshot.state, covered) }
          yield* wal.checkpointMarker(lsn as Lsn)
          yield* wal.truncateUpTo(lsn as Lsn)
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
    Effect.catchAll((error) => (state.crashed !== undefined ? Effect.void : Effect.fail(error))),
    Effect.provide(layerFor(state, options.transformFileSystem))
  )

/** Opens the machine found after a crash, allowing `repair` only where the model can reorder writes. */
const recover = <E, S>(
  options: CaseOptions<E, S>,
  state: MemoryFileSystem.MemoryState,
  fence: bigint,
  violation: (invariant: string, detail: string) => CrashViolation
) =>
  Effect.gen(function*() {
    const transactions: Array<Replay.Transaction<E>> = []
    const open = (repair: boolean) =>
      Effect.scoped(Wal.make<E>({
        dir: DIR,
        syncMode: options.workload.syncMode,
        segmentTargetBytes: options.workload.segmentTargetBytes,
        fence,
        repair,
        codec: options.codec,
        onTransaction: (tx) => Effect.sync(() => void transactions.push(tx))
      }))
    const first = yield* Effect.exit(open(false))
    if (Exit.isSuccess(first)) return { transactions, repaired: false }
    const error = first.cause._tag === "Fail" ? first.cause.error : undefined
    if (error?._tag !== "Corruption" || options.crashModel.data !== "SectorChaos") {
      return yield* violation("open succeeds", String(first.cause))
    }
    transactions.length = 0
    yield* open(true).pipe(Effect.mapError((e) => violation("open succeeds with repair", e.message)))
    return { transactions, repaired: true }
  }).pipe(Effect.provide(layerFor(state)))

const checkRecovered = <E, S>(
  options: CaseOptions<E, S>,
  run: Run<E, S>,
  recovered: ReadonlyArray<Replay.Transaction<E>>,
  violation: (invariant: string, detail: string) => CrashViolation
) =>
  Effect.gen(function*() {
    const equals = options.model.equals ?? Equal.equals
    const expected = run.attempted.filter((a) => a.commitLsn > run.snapshot.lsn).sort((a, b) => (a.commitLsn < b.commitLsn ? -1 : 1))
    if (recovered.length > expected.length) {
      return yield* violation("recovered is a prefix", `${recovered.length} transactions recovered, only ${expected.length} were written`)
    }
    for (let i = 0; i < recovered.length; i++) {
      const got = recovered[i]!
      const want = expected[i]!
      if (got.commitLsn !== want.commitLsn || !equalsEvents(got.events, want.events)) {
        return yield* violation(
          "recovered is a prefix, with no partial transaction",
          `transaction ${i} recovered as commit ${got.commitLsn} with ${got.events.length} events, expected commit ${want.commitLsn} with ${want.events.length}`
        )
      }
    }
    const survivors = new Set(recovered.map((t) => t.commitLsn as bigint))
    for (const lsn of run.acknowledged) {
      if (lsn > run.snapshot.lsn && !survivors.has(lsn)) {
        return yield* violation("acknowledged commits survive", `commit ${lsn} was acknowledged as durable but not recovered`)
      }
    }
    const rebuilt = fold(options.model, run.snapshot.state, recovered)
    const reference = fold(options.model, run.snapshot.state, expected.slice(0, recovered.length))
    if (!equals(rebuilt, reference)) {
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
 * Runs one crash case and fails with a {@link CrashViolation} if a promise
 * is broken. Deterministic for a given workload, crash model and seed.
 *
 * @since 0.1.0
 */
export const runCase = <E, S>(options: CaseOptions<E, S>): Effect.Effect<CaseReport, CrashViolation> =>
  withManualClock((clock) => Effect.gen(function*() {
    const random = prng(options.seed)
    const fresh = (): Run<E, S> => ({
      attempted: [],
      acknowledged: new Set(),
      snapshot: { lsn: 0n, state: options.model.initial }
    })
    // One run of the workload; reservoir sampling picks the crash instant
    // uniformly over all of its filesystem operations (and the end), taking
    // the machine's crash image and what had been acknowledged at that instant.
    const machine = new MemoryFileSystem.MemoryState()
    const live = fresh()
    let crash = { at: 0, image: undefined as MemoryFileSystem.MemoryState | undefined, run: live }
    const capture = (at: number) => {
      crash = {
        at,
        image: machine.crash(options.crashModel, random),
        run: {
          attempted: live.attempted.slice(),
          acknowledged: new Set(live.acknowledged),
          snapshot: live.snapshot
        }
      }
    }
    machine.beforeOperation = (n) => {
      if (random() * n < 1) capture(n)
    }
    const violation = (invariant: string, detail: string) =>
      new CrashViolation({ invariant, detail, seed: options.seed, crashModel: options.crashModel, crashAtOperation: crash.at })
    yield* runWorkload(options, machine, live, clock).pipe(
      Effect.mapError((e) => violation("no failure without a crash", String(e)))
    )
    if (random() * (machine.operations + 1) < 1) capture(machine.operations + 1)
    const afterCrash = crash.image!
    const run = crash.run
    const first = yield* recover(options, afterCrash, run.snapshot.lsn, violation)
    yield* checkRecovered(options, run, first.transactions, violation)

    // The recovered log takes new commits, and they survive a second crash.
    const survived = first.transactions.map((t) => ({ commitLsn: t.commitLsn as bigint, events: t.events }))
    const probe = run.attempted.slice(-1).map((a) => a.events).filter((e) => e.length > 0)
    const second: Run<E, S> = { attempted: survived, acknowledged: new Set(survived.map((t) => t.commitLsn)), snapshot: run.snapshot }
    yield* Effect.scoped(Effect.gen(function*() {
      const wal = yield* Wal.make<E>({
        dir: DIR,
        syncMode: options.workload.syncMode,
        segmentTargetBytes: options.workload.segmentTargetBytes,
        fence: run.snapshot.lsn,
        codec: options.codec,
        onTransaction: () => Effect.void
      })
      for (const events of probe) {
        const next = (yield* wal.status).nextLsn as bigint
        yield* wal.commitTx(events)
        second.attempted.push({ commitLsn: next + 2n, events })
      }
      yield* wal.forceFsync
      for (const a of second.attempted) second.acknowledged.add(a.commitLsn)
    })).pipe(
      Effect.provide(layerFor(afterCrash)),
      Effect.mapError((e) => violation("the recovered log accepts new commits", e.message))
    )
    const again = afterCrash.crash({ data: options.crashModel.data, loseDirectoryEntries: options.crashModel.loseDirectoryEntries }, random)
    const secondRecovery = yield* recover(options, again, run.snapshot.lsn, violation)
    yield* checkRecovered(options, second, secondRecovery.transactions, violation)

    return {
      operations: machine.operations,
      crashAtOperation: crash.at,
      acknowledged: run.acknowledged.size,
      recovered: first.transactions.length,
      repaired: first.repaired
    }
  }))
