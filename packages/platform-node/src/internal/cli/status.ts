import * as Command from "@effect/cli/Command"
import * as FileSystem from "@effect/platform/FileSystem"
import { DirLock, LOCK_FILE } from "@lora-wal/core/DirLock"
import * as Replay from "@lora-wal/core/Replay"
import * as ReplayReport from "@lora-wal/core/ReplayReport"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as path from "node:path"
import { describe, describeError, dirArg, failed, jsonOption, printJson, printLines, runBody, withLock } from "./common.js"

/**
 * Whether a live handle holds the directory: `true`, `false`, or `"unknown"`
 * when the lock cannot be taken for another reason (a read-only copy).
 * Probes by taking and releasing the lock, and only when its file exists:
 * every holder creates it, and a read-only command must not.
 */
export const probeLock = (dir: string): Effect.Effect<boolean | "unknown", never, DirLock | FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const exists = yield* Effect.orElseSucceed(fs.exists(path.join(dir, LOCK_FILE)), () => true)
    if (!exists) return false
    const lock = yield* DirLock
    return yield* Effect.scoped(lock.acquire(dir)).pipe(
      Effect.as<boolean | "unknown">(false),
      Effect.catchAll((e) => Effect.succeed(e._tag === "AlreadyOpen" ? true : "unknown" as const))
    )
  })

const readOnlyStatus = (dir: string) =>
  Effect.gen(function*() {
    const outcome = yield* Replay.run(dir, { onTransaction: () => Effect.void })
    const locked = yield* probeLock(dir)
    const first = outcome.segments[0]
    const last = outcome.segments[outcome.segments.length - 1]
    return {
      locked,
      durable_lsn: String(outcome.maxLsn),
      next_lsn: String(outcome.maxLsn + 1n),
      active_segment_id: last === undefined ? null : String(last.id),
      oldest_segment_id: first === undefined ? null : String(first.id),
      segments: outcome.segments.length,
      bytes: outcome.segments.reduce((n, s) => n + s.size, 0),
      checkpoint_lsn_observed: Option.getOrNull(Option.map(outcome.checkpointLsnObserved, String)),
      torn_tail: Option.getOrNull(Option.map(outcome.tornTail, (t) => ({
        segment_file: t.segmentFile,
        last_good_offset: String(t.lastGoodOffset),
        classification: t.classification,
        error: ReplayReport.error(t.cause, dir)
      })))
    }
  })

type Status = Effect.Effect.Success<ReturnType<typeof readOnlyStatus>>

const statusLines = (status: Status) => [
  `locked:          ${
    status.locked === "unknown" ? "unknown (the lock cannot be taken here)" : status.locked ? "yes (a live handle has it open)" : "no"
  }`,
  `segments:        ${status.segments} (${status.oldest_segment_id ?? "-"}..${status.active_segment_id ?? "-"}, ${status.bytes} bytes)`,
  `next lsn:        ${status.next_lsn}`,
  `durable lsn:     ${status.durable_lsn} (everything readable now)`,
  `checkpoint lsn:  ${status.checkpoint_lsn_observed ?? "none"}`,
  `torn tail:       ${
    status.torn_tail === null
      ? "none"
      : `${status.torn_tail.classification} in ${status.torn_tail.segment_file} at offset ${status.torn_tail.last_good_offset}`
  }`
]

export const statusCommand = Command.make(
  "status",
  { dir: dirArg, json: jsonOption },
  ({ dir: input, json }) =>
    runBody(Effect.gen(function*() {
      const dir = path.resolve(input)
      const result = yield* Effect.either(readOnlyStatus(dir))
      if (Either.isLeft(result)) {
        if (json) yield* printJson({ ok: false, error: ReplayReport.error(result.left, dir) })
        return yield* Effect.fail(failed(describeError(result.left, input)))
      }
      yield* json ? printJson({ ok: true, ...result.right }) : printLines(statusLines(result.right))
    }).pipe(withLock))
).pipe(Command.withDescription(describe(
  "Report the log's state read-only: segments, next and durable LSN, checkpoint, torn tail, whether a live handle holds it.",
  "lora-wal status /var/lib/app/wal --json"
)))
