/**
 * The live, writable log: open with recovery, append, rotate, sync, truncate.
 *
 * A handle is a scoped resource. Opening takes the directory lock, replays
 * the log (handing back the committed events for the caller to apply before
 * any new append), repairs a torn tail in the active segment, and, in Group
 * mode, forks the background flusher into the handle's scope. Closing the
 * scope stops the flusher, does the final fsync (Group mode), closes the
 * files and only then releases the lock, so a close followed at once by a
 * reopen always succeeds.
 *
 * Everything goes through the platform `FileSystem`, the `DirLock` service
 * and the `Clock`: swap the layers to run the same log in memory, under a
 * crash simulator or with a test clock.
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import { Writer } from "./Bytes.js"
import { DirLock } from "./DirLock.js"
import type { EventCodec } from "./EventCodec.js"
import { makeDirectoryDurably, rewriteDurably, syncDirectory } from "./internal/durable.js"
import * as Mutex from "./internal/mutex.js"
import { joinPath, listReplayable, listSegments } from "./internal/segments.js"
import { withSpan } from "./internal/tracing.js"
import * as LoraCodec from "./LoraCodec.js"
import { type Lsn, unsafeMake as unsafeLsn } from "./Lsn.js"
import type { MutationEvent } from "./MutationEvent.js"
import * as WalRecord from "./WalRecord.js"
import * as Replay from "./Replay.js"
import * as Segment from "./Segment.js"
import { DEFAULT_SEGMENT_TARGET_BYTES, SyncMode, type WalConfig } from "./WalConfig.js"
import * as WalMetrics from "./WalMetrics.js"
import { BadSegmentHeader, Corruption, Encode, Io, Malformed, Poisoned, type WalError } from "./WalError.js"

/**
 * Whether `commitTx` wrote anything: an empty transaction writes nothing.
 *
 * @since 0.1.0
 */
export type WroteCommit = "Yes" | "No"

/**
 * @since 0.1.0
 */
export interface Status {
  /** Highest LSN known to be on stable storage (see the sync modes). */
  readonly durableLsn: Lsn
  /** The LSN the next record will get. */
  readonly nextLsn: Lsn
  readonly activeSegmentId: Segment.SegmentId
  readonly oldestSegmentId: Segment.SegmentId
  /** The latched durability failure; once set, every write fails with `Poisoned`. */
  readonly bgFailure: Option.Option<string>
}

/**
 * What opening found and did.
 *
 * @since 0.1.0
 */
export interface Recovery<E> {
  /** Committed events above the fence, in commit order (empty when `onTransaction` was given). */
  readonly committedEvents: ReadonlyArray<E>
  readonly summary: Replay.Summary
  /** The active segment was cut back to its last good record. */
  readonly tornTailTruncated: boolean
  /** A newest segment shorter than its header (interrupted rotation) was removed. */
  readonly removedInterruptedSegment: Option.Option<string>
  /** The newest segment was sealed (a crash between sealing and creating the next), so a new one was started. */
  readonly startedNewSegment: boolean
}

/**
 * A live log handle over events of type `E`.
 *
 * @since 0.1.0
 */
export interface WalShape<E> {
  readonly dir: string
  readonly syncMode: SyncMode
  readonly recovery: Recovery<E>
  /**
   * Logs one transaction (TxBegin, one MutationBatch, TxCommit) and applies
   * the sync mode. Under PerCommit it returns only after an fsync that
   * covers it; concurrent calls share fsyncs.
   */
  readonly commitTx: (events: ReadonlyArray<E>) => Effect.Effect<WroteCommit, WalError>
  /** Low-level: buffers a TxBegin (rotating first if needed). */
  readonly begin: Effect.Effect<Lsn, WalError>
  /** Low-level: buffers one Mutation record. */
  readonly append: (txBeginLsn: Lsn, event: E) => Effect.Effect<Lsn, WalError>
  /** Low-level: buffers one MutationBatch record (an empty batch is an Encode error). */
  readonly appendBatch: (txBeginLsn: Lsn, events: ReadonlyArray<E>) => Effect.Effect<Lsn, WalError>
  /** Low-level: buffers a TxCommit. */
  readonly commit: (txBeginLsn: Lsn) => Effect.Effect<Lsn, WalError>
  /** Low-level: buffers a TxAbort. */
  readonly abort: (txBeginLsn: Lsn) => Effect.Effect<Lsn, WalError>
  /** Buffers a Checkpoint marker for a snapshot taken at `snapshotLsn`. */
  readonly checkpointMarker: (snapshotLsn: Lsn) => Effect.Effect<Lsn, WalError>
  /** Writes buffered records and applies the sync mode. */
  readonly flush: Effect.Effect<void, WalError>
  /** Writes buffered records, fsyncs and advances the durable LSN, whatever the mode. */
  readonly forceFsync: Effect.Effect<void, WalError>
  /** Deletes sealed segments wholly at or below `fence` (keeping the active one and its predecessor). */
  readonly truncateUpTo: (fence: Lsn) => Effect.Effect<void, WalError>
  readonly status: Effect.Effect<Status>
  readonly durableLsn: Effect.Effect<Lsn>
  readonly nextLsn: Effect.Effect<Lsn>
}

/**
 * The log of LoraDB mutation events.
 *
 * @since 0.1.0
 */
export class Wal extends Context.Tag("@lora-wal/core/Wal")<Wal, WalShape<MutationEvent>>() {}

/**
 * @since 0.1.0
 */
export interface Options<E> {
  readonly dir: string
  readonly syncMode?: SyncMode | undefined
  /** Rotate before a TxBegin once the active segment reaches this size. Default 8 MiB. */
  readonly segmentTargetBytes?: number | undefined
  /** The loaded snapshot's LSN: records at or below it are not replayed. Default 0. */
  readonly fence?: Lsn | bigint | undefined
  readonly codec?: EventCodec<E> | undefined
  /** Truncate at mid-log corruption instead of refusing to open (loses the records after it). */
  readonly repair?: boolean | undefined
  /** Receive recovered transactions one at a time instead of collecting them. */
  readonly onTransaction?: ((transaction: Replay.Transaction<E>) => Effect.Effect<void>) | undefined
}

const LSN_LIMIT = 0xffff_ffff_ffff_ffffn

const io = (e: import("@effect/platform/Error").PlatformError) => Io.fromPlatform(e)

const sinceMillis = (started: number) => Duration.millis(performance.now() - started)

interface ActiveFile {
  readonly file: FileSystem.File
  readonly scope: Scope.CloseableScope
  readonly id: Segment.SegmentId
  readonly baseLsn: bigint
  size: number
}

/**
 * Opens (or creates) the log in `options.dir`. The handle lives until the
 * surrounding scope closes.
 *
 * @since 0.1.0
 */
export const make = <E = MutationEvent>(
  options: Options<E>
): Effect.Effect<WalShape<E>, WalError, FileSystem.FileSystem | DirLock | Scope.Scope> =>
  // Everything the open takes (lock, descriptors) lives in a scope of its own,
  // closed at once if the open fails, so a retry in the same scope can succeed.
  Effect.flatMap(Effect.scope, (outer) =>
    Effect.flatMap(Scope.fork(outer, ExecutionStrategy.sequential), (scope) =>
      open(options).pipe(
        Scope.extend(scope),
        Effect.onError((cause) => Scope.close(scope, Exit.failCause(cause)))
      )))

const open = <E>(
  options: Options<E>
): Effect.Effect<WalShape<E>, WalError, FileSystem.FileSystem | DirLock | Scope.Scope> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const lock = yield* DirLock
    const scope = yield* Effect.scope
    const dir = options.dir
    const syncMode = options.syncMode ?? SyncMode.PerCommit()
    const targetBytes = options.segmentTargetBytes ?? DEFAULT_SEGMENT_TARGET_BYTES
    const codec = options.codec ?? (LoraCodec.codec as unknown as EventCodec<E>)
    const segmentPath = (id: Segment.SegmentId) => joinPath(dir, Segment.fileName(id))

    const syncDir = syncDirectory(fs, dir).pipe(Effect.mapError(io))
    // A new log directory must itself survive a crash.
    yield* makeDirectoryDurably(fs, dir).pipe(Effect.mapError(io))
    yield* lock.acquire(dir)
    // A process that died before its directory fsync may have left entries
    // (a new segment, a removed one) that a power loss can still revert.
    yield* syncDir

    // The active segment's handle is closed by this finalizer, which runs after
    // the final flush (registered later) and before the lock is released.
    const openFile = { scope: undefined as Scope.CloseableScope | undefined }
    yield* Effect.addFinalizer(() => (openFile.scope === undefined ? Effect.void : Scope.close(openFile.scope, Exit.void)))

    const openIn = (path: string, flag: FileSystem.OpenFlag) =>
      Effect.gen(function*() {
        const fileScope = yield* Scope.make()
        const file = yield* fs.open(path, { flag, mode: 0o600 }).pipe(
          Scope.extend(fileScope),
          Effect.mapError(io),
          Effect.tapError(() => Scope.close(fileScope, Exit.void))
        )
        if (openFile.scope !== undefined) yield* Scope.close(openFile.scope, Exit.void)
        openFile.scope = fileScope
        return { file, fileScope }
      })

    /** Creates a segment exclusively (never clobbering a file) with its header, fsynced. */
    const createSegment = (id: Segment.SegmentId, baseLsn: bigint) =>
      Effect.gen(function*() {
        const { file, fileScope } = yield* openIn(segmentPath(id), "wx")
        yield* file.writeAll(Segment.encodeHeader({ baseLsn: unsafeLsn(baseLsn) })).pipe(Effect.mapError(io))
        yield* file.sync.pipe(Effect.mapError(io))
        return { file, scope: fileScope, id, baseLsn, size: Segment.HEADER_LEN } satisfies ActiveFile
      })

    // ---- Recovery ---------------------------------------------------------
    const listed = yield* listReplayable(dir).pipe(Effect.provideService(FileSystem.FileSystem, fs))
    if (!("segments" in listed)) return yield* listed
    const committedEvents: Array<E> = []
    let summary: Replay.Summary = {
      maxLsn: unsafeLsn(0n),
      tornTail: Option.none(),
      checkpointLsnObserved: Option.none(),
      segments: [],
      interruptedSegment: Option.none()
    }
    let tornTailTruncated = false
    let startedNewSegment = false
    let active: ActiveFile
    const fence = BigInt(options.fence ?? 0n)
    // New records always get LSNs above the fence, even when the log ends below it (a log
    // restored from an older copy, or emptied): the next recovery skips everything at or below it.
    const firstNewLsn = (maxLsn: bigint) => (maxLsn > fence ? maxLsn : fence) + 1n
    if (listed.segments.length === 0) {
      if (listed.interrupted !== undefined) yield* fs.remove(listed.interrupted.path).pipe(Effect.mapError(io))
      active = yield* createSegment(listed.interrupted?.id ?? (1n as Segment.SegmentId), firstNewLsn(0n))
      yield* syncDir
    } else {
      summary = yield* Replay.runListed<E, never, never>(dir, listed, {
        fence: options.fence,
        codec,
        onTransaction: options.onTransaction ??
          ((tx) =>
            Effect.sync(() => {
              for (const event of tx.events) committedEvents.push(event)
            }))
      })
      const newest = listed.segments[listed.segments.length - 1]!
      const oldestBase = summary.segments[0]!.baseLsn
      if (oldestBase > fence + 1n) {
        return yield* new Malformed({
          reason: `the log starts at lsn ${oldestBase} but the fence is lsn ${fence}: ` +
            `records ${fence + 1n} to ${oldestBase - 1n} are missing (truncated past the snapshot, or deleted)`
        })
      }
      if (Option.isSome(summary.tornTail)) {
        const torn = summary.tornTail.value
        // A sealed segment was fsynced whole before it was sealed: damage in it is never a crash's torn tail.
        const tornSegment = summary.segments.find((s) => s.id === torn.segmentId)
        if (torn.segmentId !== newest.id || tornSegment?.sealed === true) {
          return yield* new Malformed({ reason: `torn tail found in sealed segment ${torn.segmentPath}` })
        }
        if (torn.classification === "corruption" && options.repair !== true) {
          const following = Option.getOrThrow(torn.followedBy)
          return yield* new Corruption({
            segmentPath: torn.segmentPath,
            offset: torn.lastGoodOffset,
            lastGoodLsn: summary.maxLsn,
            followingOffset: following.offset,
            followingLsn: Option.getOrElse(following.lsn, () => 0n as Lsn),
            cause: torn.cause.message
          })
        }
      }
      if (listed.interrupted !== undefined) {
        yield* fs.remove(listed.interrupted.path).pipe(Effect.mapError(io))
        yield* syncDir
      }
      const newestSummary = summary.segments[summary.segments.length - 1]!
      if (newestSummary.sealed) {
        // A crash between sealing and creating the next segment: carry on in a new one.
        active = yield* createSegment((newest.id + 1n) as Segment.SegmentId, firstNewLsn(summary.maxLsn))
        yield* syncDir
        startedNewSegment = true
      } else {
        const size = Option.match(summary.tornTail, { onNone: () => newest.size, onSome: (t) => t.lastGoodOffset })
        tornTailTruncated = size < newest.size
        // Everything readable becomes the durable fence (as in lora-wal). An fsync
        // of the old file cannot promise that: after a failed fsync, Linux keeps
        // pages readable that it will never write. A fresh copy can.
        yield* rewriteDurably(fs, newest.path, size).pipe(Effect.mapError(io))
        yield* syncDir
        const { file, fileScope } = yield* openIn(newest.path, "r+")
        yield* file.seek(size, "start")
        active = { file, scope: fileScope, id: newest.id, baseLsn: newestSummary.baseLsn, size }
      }
    }

    // ---- State ------------------------------------------------------------
    const maxLsn: bigint = summary.maxLsn
    const nextLsn = firstNewLsn(maxLsn)
    const state = {
      nextLsn: nextLsn > active.baseLsn ? nextLsn : active.baseLsn,
      durableLsn: maxLsn,
      writtenLsn: maxLsn,
      bufferLastLsn: maxLsn,
      buffer: new Writer(4096),
      active,
      oldestId: listed.segments[0]?.id ?? active.id,
      bgFailure: undefined as string | undefined,
      /** The fsync in progress; its waiters are woken when it completes. */
      inFlight: undefined as Mutex.Waiters | undefined,
      closed: false
    }
    const locked = Mutex.make().withLock

    const latchFailure = (reason: string) => {
      if (state.bgFailure === undefined) state.bgFailure = reason
    }
    /** Fails with the I/O error after latching it: nothing may claim durability afterwards. */
    const poisonOn = <A>(effect: Effect.Effect<A, Io>) =>
      Effect.tapError(effect, (e) => Effect.sync(() => latchFailure(e.message)))

    /** Runs `effect()` unless the log is closed or poisoned, in one step (commits call it under the lock). */
    const whenHealthy = <A, Err>(effect: () => Effect.Effect<A, Err>) =>
      Effect.suspend((): Effect.Effect<A, Err | Io | Poisoned> =>
        state.closed
          ? Effect.fail(new Io({ reason: "BadResource", description: `WAL handle for ${dir} is closed` }))
          : state.bgFailure !== undefined
          ? Effect.fail(new Poisoned())
          : effect()
      )
    const healthy = whenHealthy(() => Effect.void)

    /** Encodes records into the buffer, all or none, allocating their LSNs. */
    const bufferRecords = (build: (first: bigint) => ReadonlyArray<WalRecord.WalRecord<E>>) =>
      Effect.suspend((): Effect.Effect<Lsn, Encode | Malformed> => {
        const first = state.nextLsn
        const records = build(first)
        if (first + BigInt(records.length) - 1n >= LSN_LIMIT) {
          return Effect.fail(new Malformed({ reason: "WAL LSN space is exhausted" }))
        }
        const mark = state.buffer.length
        for (const record of records) {
          const encoded = WalRecord.encode(codec, state.buffer, record)
          if (Either.isLeft(encoded)) {
            state.buffer.length = mark
            return Effect.fail(encoded.left)
          }
        }
        state.nextLsn = first + BigInt(records.length)
        state.bufferLastLsn = state.nextLsn - 1n
        WalMetrics.recordsWritten.unsafeUpdate(records.length, [])
        return Effect.succeed(unsafeLsn(state.nextLsn - 1n))
      })

    /** Hands buffered records to the OS (under the state lock); a failed write poisons the log. */
    const writePending = Effect.suspend((): Effect.Effect<void, Io> => {
      if (state.buffer.length === 0) return Effect.void
      const bytes = state.buffer.written
      const upTo = state.bufferLastLsn
      return Effect.matchEffect(state.active.file.writeAll(bytes), {
        onFailure: (e) => {
          const failure = io(e)
          latchFailure(failure.message)
          return Effect.fail(failure)
        },
        onSuccess: () => {
          WalMetrics.bytesWritten.unsafeUpdate(bytes.length, [])
          state.active.size += bytes.length
          state.writtenLsn = upTo
          state.buffer.reset()
          if (syncMode._tag === "None") state.durableLsn = upTo
          return Effect.void
        }
      })
    })

    const awaitInFlight = Effect.suspend(() => state.inFlight === undefined ? Effect.void : state.inFlight.wait)

    const timedFsync = (file: FileSystem.File) =>
      Effect.suspend(() => {
        const started = performance.now()
        return Effect.map(file.sync, () => WalMetrics.fsyncDuration.unsafeUpdate(sinceMillis(started), []))
      }).pipe(Effect.mapError(io), withSpan("lora-wal.fsync", { captureStackTrace: false }))

    type SyncStep =
      | { readonly _tag: "Done" }
      | { readonly _tag: "Wait"; readonly waiters: Mutex.Waiters }
      | { readonly _tag: "Lead"; readonly waiters: Mutex.Waiters; readonly file: FileSystem.File; readonly upTo: bigint }
    const syncDone: SyncStep = { _tag: "Done" }

    /** Under the lock: nothing to do, wait for the fsync in flight, or write and lead the next one. */
    const nextSyncStep = (target: bigint, mustLead: boolean) =>
      locked(whenHealthy((): Effect.Effect<SyncStep, WalError> => {
        if (!mustLead && state.durableLsn >= target) return Effect.succeed(syncDone)
        if (state.inFlight !== undefined) return Effect.succeed({ _tag: "Wait", waiters: state.inFlight })
        return Effect.map(writePending, () => {
          const waiters = new Mutex.Waiters()
          state.inFlight = waiters
          return { _tag: "Lead", waiters, file: state.active.file, upTo: state.writtenLsn }
        })
      }))

    /** The leader's fsync, outside the lock so that others keep appending meanwhile. */
    const leadFsync = (step: Extract<SyncStep, { _tag: "Lead" }>) =>
      Effect.flatMap(
        Effect.exit(timedFsync(step.file)),
        (synced) => {
          // Latch a failure before waking the waiters, so none of them can
          // mistake the failed fsync for a durable one.
          if (Exit.isFailure(synced)) latchFailure(`fsync failed: ${Cause.squash(synced.cause)}`)
          else if (step.upTo > state.durableLsn) state.durableLsn = step.upTo
          state.inFlight = undefined
          step.waiters.wakeAll()
          return synced
        }
      )

    /**
     * Makes everything allocated up to `target` durable. One caller at a time
     * leads (writes, then fsyncs outside the lock); the others wait for that
     * fsync and return if it covered them, so concurrent commits share fsyncs.
     */
    const syncUpTo = (target: bigint, force: boolean): Effect.Effect<void, WalError> => {
      const attempt = (mustLead: boolean): Effect.Effect<void, WalError> =>
        Effect.flatMap(nextSyncStep(target, mustLead), (step) => {
          switch (step._tag) {
            case "Done":
              return Effect.void
            case "Wait":
              // A forced sync still leads one of its own: under None, durableLsn
              // advances on write, so the fsync in flight may not cover it.
              return Effect.zipRight(step.waiters.wait, attempt(mustLead))
            case "Lead":
              return Effect.zipRight(leadFsync(step), step.upTo >= target ? Effect.void : attempt(false))
          }
        })
      // Give committers that are ready to run a turn to append first, so that
      // one fsync covers them all. Counting the ones under way is not enough:
      // with synchronous I/O, a committer that has not started yet is not
      // counted, and without this turn it never starts before the fsync.
      return Effect.uninterruptible(Effect.zipRight(Effect.yieldNow(), attempt(force)))
    }

    const readBaseLsn = (path: string) =>
      Effect.scoped(Effect.gen(function*() {
        const file = yield* fs.open(path, { flag: "r" })
        const header = new Uint8Array(Segment.HEADER_LEN)
        const n = Number(yield* file.read(header))
        return Segment.decodeHeader(header.subarray(0, n))
      })).pipe(
        Effect.mapError(io),
        Effect.flatMap((decoded) =>
          Either.isRight(decoded)
            ? Effect.succeed(decoded.right.baseLsn)
            : Effect.fail(decoded.left._tag === "Truncated" ? new BadSegmentHeader({ reason: "truncated header" }) : decoded.left)
        )
      )

    /** Seals the active segment and starts the next one (under the state lock). */
    const rotate = Effect.gen(function*() {
      yield* writePending
      yield* awaitInFlight
      // The fsync just awaited may have failed: sealing now would fsync again (which
      // succeeds without writing what the failure dropped) and call it durable.
      yield* healthy
      const old = state.active
      yield* poisonOn(old.file.sync.pipe(Effect.mapError(io)))
      yield* poisonOn(Effect.gen(function*() {
        yield* old.file.seek(0, "start")
        yield* old.file.writeAll(
          Segment.encodeHeader({ baseLsn: unsafeLsn(old.baseLsn), flags: Segment.FLAG_SEALED })
        )
        yield* old.file.sync
      }).pipe(Effect.mapError(io)))
      state.durableLsn = state.writtenLsn
      state.active = yield* poisonOn(createSegment((old.id + 1n) as Segment.SegmentId, state.nextLsn))
      yield* poisonOn(syncDir)
      WalMetrics.segmentsRotated.unsafeUpdate(1, [])
    }).pipe(withSpan("lora-wal.rotate", { captureStackTrace: false }))

    /** Rotates once the segment reaches its target, unless it holds no record (its successor would share its base LSN). */
    const maybeRotate = Effect.suspend(() => {
      const size = state.active.size + state.buffer.length
      return size >= targetBytes && size > Segment.HEADER_LEN ? rotate : Effect.void
    })

    const single = (build: (lsn: bigint) => WalRecord.WalRecord<E>) =>
      locked(Effect.zipRight(healthy, bufferRecords((lsn) => [build(lsn)])))

    /** Under the lock: rotates if needed, buffers the three records, and hands them to the OS unless PerCommit will. */
    const appendTx = (events: ReadonlyArray<E>) =>
      locked(whenHealthy((): Effect.Effect<Lsn, WalError> => {
        const buffered = bufferRecords((begin) => [
          { _tag: "TxBegin", lsn: unsafeLsn(begin) },
          { _tag: "MutationBatch", lsn: unsafeLsn(begin + 1n), txBeginLsn: unsafeLsn(begin), events },
          { _tag: "TxCommit", lsn: unsafeLsn(begin + 2n), txBeginLsn: unsafeLsn(begin) }
        ])
        const written = syncMode._tag === "PerCommit" ? buffered : Effect.zipLeft(buffered, writePending)
        return Effect.zipRight(maybeRotate, written)
      }))

    const commitTx = (events: ReadonlyArray<E>): Effect.Effect<WroteCommit, WalError> => {
      if (events.length === 0) return Effect.as(healthy, "No" as const)
      const logged = syncMode._tag === "PerCommit"
        ? Effect.flatMap(appendTx(events), (lsn) => syncUpTo(lsn, false))
        : appendTx(events)
      return Effect.suspend(() => {
        const started = performance.now()
        return Effect.map(logged, () => {
          WalMetrics.commitLatency.unsafeUpdate(sinceMillis(started), [])
          return "Yes" as const
        })
      }).pipe(withSpan("lora-wal.commit", { captureStackTrace: false }))
    }

    const flush = Effect.suspend((): Effect.Effect<void, WalError> =>
      syncMode._tag === "PerCommit"
        ? syncUpTo(state.nextLsn - 1n, false)
        : locked(Effect.zipRight(healthy, writePending))
    )

    const forceFsync = Effect.suspend(() => syncUpTo(state.nextLsn - 1n, true))

    const truncateUpTo = (fence: Lsn) =>
      locked(whenHealthy(() => Effect.gen(function*() {
        const entries = yield* listSegments(dir).pipe(Effect.provideService(FileSystem.FileSystem, fs))
        const removed: Array<Segment.SegmentId> = []
        for (let i = 0; i + 1 < entries.length; i++) {
          const entry = entries[i]!
          if (entry.id >= state.active.id - 1n) break
          const nextBase = yield* readBaseLsn(entries[i + 1]!.path)
          if (nextBase - 1n <= fence) {
            yield* fs.remove(entry.path).pipe(Effect.mapError(io))
            removed.push(entry.id)
          }
        }
        for (const id of removed) {
          if (id >= state.oldestId) state.oldestId = (id + 1n) as Segment.SegmentId
        }
        if (removed.length > 0) yield* syncDir
      }))).pipe(withSpan("lora-wal.truncate", { captureStackTrace: false }))

    const status = Effect.sync((): Status => ({
      durableLsn: unsafeLsn(state.durableLsn),
      nextLsn: unsafeLsn(state.nextLsn),
      activeSegmentId: state.active.id,
      oldestSegmentId: state.oldestId,
      bgFailure: Option.fromNullable(state.bgFailure)
    }))

    // ---- Shutdown ---------------------------------------------------------
    // Finalizers run in reverse: the flusher (forked below) stops first, then
    // this final flush, then the active file closes, then the lock is released.
    yield* Effect.addFinalizer(() =>
      locked(Effect.gen(function*() {
        yield* awaitInFlight
        if (syncMode._tag === "Group" && state.bgFailure === undefined) {
          yield* Effect.zipRight(writePending, state.active.file.sync.pipe(Effect.mapError(io))).pipe(
            Effect.tap(() => Effect.sync(() => void (state.durableLsn = state.writtenLsn))),
            Effect.catchAll((e) => Effect.logError(`lora-wal: final fsync of ${dir} failed: ${e.message}`))
          )
        }
        state.closed = true
        state.buffer.reset()
      }))
    )

    if (syncMode._tag === "Group") {
      const interval = Duration.millis(Math.max(1, syncMode.intervalMs))
      const flushOnce = Effect.suspend(() =>
        state.buffer.length > 0 || state.writtenLsn > state.durableLsn
          ? syncUpTo(state.nextLsn - 1n, true)
          : Effect.void
      )
      yield* Effect.forkIn(
        Effect.forever(Effect.zipRight(Effect.sleep(interval), flushOnce)).pipe(Effect.ignore),
        scope
      )
    }

    return {
      dir,
      syncMode,
      recovery: {
        committedEvents,
        summary,
        tornTailTruncated,
        removedInterruptedSegment: summary.interruptedSegment,
        startedNewSegment
      },
      commitTx,
      begin: locked(Effect.gen(function*() {
        yield* healthy
        yield* maybeRotate
        return yield* bufferRecords((lsn) => [{ _tag: "TxBegin", lsn: unsafeLsn(lsn) }])
      })),
      append: (txBeginLsn, event) => single((lsn) => ({ _tag: "Mutation", lsn: unsafeLsn(lsn), txBeginLsn, event })),
      appendBatch: (txBeginLsn, events) =>
        events.length === 0
          ? Effect.zipRight(healthy, Effect.fail(new Encode({ reason: "mutation batch must contain at least one event" })))
          : single((lsn) => ({ _tag: "MutationBatch", lsn: unsafeLsn(lsn), txBeginLsn, events })),
      commit: (txBeginLsn) => single((lsn) => ({ _tag: "TxCommit", lsn: unsafeLsn(lsn), txBeginLsn })),
      abort: (txBeginLsn) => single((lsn) => ({ _tag: "TxAbort", lsn: unsafeLsn(lsn), txBeginLsn })),
      checkpointMarker: (snapshotLsn) => single((lsn) => ({ _tag: "Checkpoint", lsn: unsafeLsn(lsn), snapshotLsn })),
      flush,
      forceFsync,
      truncateUpTo,
      status,
      durableLsn: Effect.map(status, (s) => s.durableLsn),
      nextLsn: Effect.map(status, (s) => s.nextLsn)
    } satisfies WalShape<E>
  }).pipe(withSpan("lora-wal.open", { attributes: { dir: options.dir } }))

/**
 * The LoraDB log as a layer; the handle closes with the layer's scope.
 *
 * @since 0.1.0
 */
export const layer = (options: Options<MutationEvent>): Layer.Layer<Wal, WalError, FileSystem.FileSystem | DirLock> =>
  Layer.scoped(Wal, make(options))

/**
 * A log that is switched off: commits write nothing (`"No"`), flushes do
 * nothing, LSNs stay 0. What `WalConfig.Disabled` provides, at no cost.
 *
 * @since 0.1.0
 */
export const disabled: WalShape<MutationEvent> = (() => {
  const zero = unsafeLsn(0n)
  const status: Status = {
    durableLsn: zero,
    nextLsn: zero,
    activeSegmentId: 1n as Segment.SegmentId,
    oldestSegmentId: 1n as Segment.SegmentId,
    bgFailure: Option.none()
  }
  const none = Effect.succeed(zero)
  return {
    dir: "",
    syncMode: SyncMode.None(),
    recovery: {
      committedEvents: [],
      summary: { maxLsn: zero, tornTail: Option.none(), checkpointLsnObserved: Option.none(), segments: [], interruptedSegment: Option.none() },
      tornTailTruncated: false,
      removedInterruptedSegment: Option.none(),
      startedNewSegment: false
    },
    commitTx: () => Effect.succeed("No"),
    begin: none,
    append: () => none,
    appendBatch: () => none,
    commit: () => none,
    abort: () => none,
    checkpointMarker: () => none,
    flush: Effect.void,
    forceFsync: Effect.void,
    truncateUpTo: () => Effect.void,
    status: Effect.succeed(status),
    durableLsn: none,
    nextLsn: none
  }
})()

/**
 * @since 0.1.0
 */
export const layerDisabled: Layer.Layer<Wal> = Layer.succeed(Wal, disabled)

/**
 * The log a configuration describes: disabled opens nothing.
 *
 * @since 0.1.0
 */
export const layerConfig = (config: WalConfig): Layer.Layer<Wal, WalError, FileSystem.FileSystem | DirLock> =>
  config._tag === "Disabled"
    ? layerDisabled
    : layer({ dir: config.dir, syncMode: config.syncMode, segmentTargetBytes: config.segmentTargetBytes })
