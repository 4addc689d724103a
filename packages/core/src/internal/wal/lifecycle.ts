/**
 * A handle's life in one place. Opening, in order: make the directory
 * durable, take the lock, fsync the directory, prepare the active segment,
 * recover, then (Group mode) fork the flusher. Closing runs the same steps
 * backwards, as the scope's finalizers: the flusher stops, the final fsync
 * runs, the active file closes, and the lock is released last, so a close
 * followed at once by a reopen always succeeds. Everything the open takes
 * lives in a scope of its own, closed at once if the open fails, so a retry
 * in the same scope can succeed.
 */
import { Crc32 } from "../../Crc32.js"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { DirLock } from "../../DirLock.js"
import type { EventCodec } from "../../EventCodec.js"
import type * as Replay from "../../Replay.js"
import { SyncMode, DEFAULT_SEGMENT_TARGET_BYTES } from "../../WalConfig.js"
import { Io, type OpenError } from "../../WalError.js"
import type { BaseOptions, Wal } from "../../Wal.js"
import { makeDirectoryDurably, syncDirectory } from "../durable.js"
import { withSpan } from "../tracing.js"
import * as ActiveSegment from "./activeSegment.js"
import * as GroupCommit from "./groupCommit.js"
import { makeHandle } from "./handle.js"
import { recover } from "./recovery.js"
import * as LogState from "./state.js"
import * as WritePath from "./writePath.js"

type Requirements = FileSystem.FileSystem | Path.Path | DirLock | Scope.Scope

/** @internal */
export const open = <A, E, R>(
  codec: EventCodec<A>,
  options: BaseOptions<A, E, R>
): Effect.Effect<Wal<A>, OpenError | E, Requirements | R> =>
  Effect.flatMap(Effect.scope, (outer) =>
    Effect.flatMap(Scope.fork(outer, ExecutionStrategy.sequential), (scope) =>
      openIn(codec, options).pipe(
        Scope.extend(scope),
        Effect.onError((cause) => Scope.close(scope, Exit.failCause(cause)))
      )))

const openIn = <A, E, R>(codec: EventCodec<A>, options: BaseOptions<A, E, R>) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const lock = yield* DirLock
    const dir = options.dir
    const syncMode = options.syncMode ?? SyncMode.PerCommit()
    const syncDir = syncDirectory(fs, dir).pipe(Effect.mapError(Io.fromPlatform))

    // A new log directory must itself survive a crash.
    yield* makeDirectoryDurably(fs, path, dir).pipe(Effect.mapError(Io.fromPlatform))
    // Finalizer 4 (last): the lock is released.
    yield* lock.acquire(dir)
    // A process that died before its directory fsync may have left entries
    // (a new segment, a removed one) that a power loss can still revert.
    yield* syncDir
    // Finalizer 3: the active segment's file closes.
    const segment = yield* ActiveSegment.make(fs, path, dir)

    const committedEvents: Array<A> = []
    const recovered = yield* recover({
      fs,
      path,
      dir,
      segment,
      syncDir,
      codec,
      fence: BigInt(options.fence ?? 0n),
      repair: options.repair === true,
      onTransaction: options.onTransaction ?? collectInto(committedEvents)
    })

    const state = LogState.make({
      dir,
      syncMode,
      segment,
      maxLsn: recovered.summary.maxLsn,
      nextLsn: recovered.nextLsn,
      oldestId: recovered.oldestId
    })
    const crc32 = yield* Crc32
    const writes = WritePath.make(state, {
      codec,
      crc32,
      targetBytes: options.segmentTargetBytes ?? DEFAULT_SEGMENT_TARGET_BYTES,
      syncDir
    })
    const syncUpTo = GroupCommit.make(state, writes.writePending)

    // Finalizer 2: the final flush.
    yield* Effect.addFinalizer(() => close(state, writes.writePending))
    // Finalizer 1 (first): the flusher stops.
    if (syncMode._tag === "Group") yield* Effect.forkScoped(GroupCommit.flusher(state, syncUpTo, syncMode.intervalMs))

    return makeHandle({ state, writes, syncUpTo, fs, path, syncDir, recovered, committedEvents, codec, crc32 })
  }).pipe(withSpan("lora-wal.open", { attributes: { dir: options.dir } }))

const collectInto = <A>(events: Array<A>) => (transaction: Replay.Transaction<A>): Effect.Effect<void> =>
  Effect.sync(() => {
    for (const event of transaction.events) events.push(event)
  })

/** Waits for the fsync in flight, fsyncs what Group mode buffered, and refuses any later use. */
const close = (state: LogState.LogState, writePending: Effect.Effect<void, Io>) =>
  state.locked(Effect.gen(function*() {
    yield* LogState.awaitInFlight(state)
    if (state.syncMode._tag === "Group" && state.failure === undefined) {
      yield* Effect.zipRight(writePending, state.segment.current.file.sync.pipe(Effect.mapError(Io.fromPlatform))).pipe(
        Effect.tap(() => Effect.sync(() => void (state.durableLsn = state.syncedLsn = state.writtenLsn))),
        Effect.catchAll((e) => Effect.logError(`lora-wal: final fsync of ${state.dir} failed: ${e.message}`))
      )
    }
    state.closed = true
    state.buffer.reset()
    LogState.progressed(state)
  }))
