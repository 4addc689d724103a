/**
 * Committed transactions as they happen: a `Stream` that catches up from
 * the segments on disk, then goes on live, across rotations and
 * truncations, with no gap and no duplicate. A change feed, a read
 * replica, or a cache kept warm.
 *
 * {@link directory} follows a log that another process writes: read-only,
 * without its lock, woken by the filesystem's change events (with polling
 * as the fallback). It returns a transaction only once its TxCommit is on
 * disk whole, and waits at a record it may be seeing half-written. In the
 * process that writes the log, `wal.follow` does the same and also knows
 * what is durable.
 *
 * The stream pulls: a slow consumer leaves the rest on disk, so it never
 * holds up a commit and holds at most one batch in memory. A follower that
 * asks for, or falls behind to, records that truncation has deleted fails
 * with `Gone`.
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { Crc32 } from "./Crc32.js"
import type { EventCodec } from "./EventCodec.js"
import * as FollowStream from "./internal/follow/stream.js"
import { Tailer } from "./internal/follow/tailer.js"
import * as LoraCodec from "./LoraCodec.js"
import type { Lsn } from "./Lsn.js"
import type { MutationEvent } from "./MutationEvent.js"
import type * as Replay from "./Replay.js"
import type { FollowError } from "./WalError.js"

/**
 * Where following starts, and how often it looks when nothing tells it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * The first commit LSN wanted: transactions committed below it are read
   * but not emitted. Default: from the oldest transaction the log still
   * holds whole. Below what truncation kept, it fails with `Gone`.
   */
  readonly fromLsn?: Lsn | bigint | undefined
  /** How often the files are looked at when no change event arrives. Default: 250 ms. */
  readonly pollInterval?: Duration.DurationInput | undefined
}

/**
 * With a codec, for a log of other events.
 *
 * @since 0.1.0
 * @category models
 */
export interface CodecOptions<A> extends Options {
  readonly codec: EventCodec<A>
}

/**
 * Follows the log in `dir` as another process writes it (see the module's
 * documentation), waiting for it to appear if it does not exist yet. The
 * stream never ends by itself: interrupt it.
 *
 * @since 0.1.0
 * @category following
 */
export function directory(
  dir: string,
  options?: Options
): Stream.Stream<Replay.Transaction<MutationEvent>, FollowError, FileSystem.FileSystem | Path.Path>
export function directory<A>(
  dir: string,
  options: CodecOptions<A>
): Stream.Stream<Replay.Transaction<A>, FollowError, FileSystem.FileSystem | Path.Path>
export function directory<A>(
  dir: string,
  options?: Options & { readonly codec?: EventCodec<A> | undefined }
): Stream.Stream<Replay.Transaction<A>, FollowError, FileSystem.FileSystem | Path.Path> {
  return Stream.unwrap(Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const crc32 = yield* Crc32
    const codec = options?.codec ?? (LoraCodec.codec as unknown as EventCodec<A>)
    return FollowStream.follow({
      tailer: () => new Tailer(fs, path, dir, codec, crc32, options?.fromLsn),
      pollInterval: options?.pollInterval ?? "250 millis",
      // Change events where the filesystem has them; the poll interval alone where it does not.
      subscribe: (fire) =>
        Effect.asVoid(Effect.forkScoped(Stream.runForEach(fs.watch(dir), () => Effect.sync(fire)).pipe(Effect.ignore)))
    })
  }))
}
