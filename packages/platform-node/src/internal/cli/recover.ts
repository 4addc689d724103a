import * as Command from "@effect/cli/Command"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Options from "@effect/cli/Options"
import * as ReplayReport from "@lora-wal/core/ReplayReport"
import * as Wal from "@lora-wal/core/Wal"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as path from "node:path"
import {
  describe,
  describeError,
  dirArg,
  failed,
  fenceOption,
  jsonOption,
  parseLsn,
  printJson,
  printLines,
  runBody,
  withLock
} from "./common.js"

/** Opens the log as a writer would (recovery included), reads its state, closes it. */
const openAndClose = (dir: string, fence: bigint, repair: boolean) =>
  Effect.scoped(Effect.gen(function*() {
    const wal = yield* Wal.make({ dir, fence, repair })
    const status = yield* wal.status
    return {
      ok: true,
      event_count: wal.recovery.committedEvents.length,
      next_lsn: String(status.nextLsn),
      durable_lsn: String(status.durableLsn),
      active_segment_id: String(status.activeSegmentId),
      oldest_segment_id: String(status.oldestSegmentId),
      torn_tail_truncated: wal.recovery.tornTailTruncated
    }
  }))

export const recoverCommand = Command.make(
  "recover",
  {
    dir: dirArg,
    fence: fenceOption,
    repair: Options.boolean("repair").pipe(
      Options.withDescription("truncate at mid-log corruption instead of refusing (discards what follows it)")
    ),
    json: jsonOption
  },
  ({ dir: input, fence: fenceText, json, repair }) =>
    runBody(Effect.gen(function*() {
      const dir = path.resolve(input)
      const fence = yield* parseLsn("fence", fenceText)
      // Opening creates a missing directory, which for a mistyped path would be an empty new log.
      const fs = yield* FileSystem.FileSystem
      if (!(yield* Effect.orElseSucceed(fs.exists(dir), () => true))) {
        return yield* Effect.fail(failed(`${input}: no such directory (recover opens an existing log)`))
      }
      const result = yield* Effect.either(openAndClose(dir, fence, repair))
      if (Either.isLeft(result)) {
        if (json) yield* printJson({ ok: false, error: ReplayReport.error(result.left, dir) })
        return yield* Effect.fail(failed(describeError(result.left, input)))
      }
      const r = result.right
      yield* json ? printJson(r) : printLines([
        `recovered ${r.event_count} committed events${r.torn_tail_truncated ? " (torn tail truncated)" : ""}`,
        `next lsn ${r.next_lsn}, durable lsn ${r.durable_lsn}, segments ${r.oldest_segment_id}..${r.active_segment_id}`
      ])
    }).pipe(withLock))
).pipe(Command.withDescription(describe(
  "Open the log for writing as an application would (recovery: a torn tail is truncated), report its state, close it.",
  "lora-wal recover /var/lib/app/wal --repair --json"
)))
