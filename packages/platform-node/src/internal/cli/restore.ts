import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Archive from "@lora-wal/core/Archive"
import * as Effect from "effect/Effect"
import * as path from "node:path"
import { archiveFailure, archiveLocation } from "./archiveUrl.js"
import { describe, lsnOption, parseOptionalLsn, runBody, setExitCode } from "./common.js"
import { Output } from "./output.js"

export const restoreCommand = Command.make(
  "restore",
  {
    url: Args.text({ name: "URL" }).pipe(Args.withDescription("the archive: file:///absolute/path or s3://bucket/prefix")),
    dir: Args.text({ name: "DIR" }).pipe(Args.withDescription("a new or empty directory for the log")),
    toLsn: lsnOption("to-lsn", "restore the transactions committed at or below this LSN (default: everything archived)")
  },
  ({ dir: input, toLsn: toText, url }) =>
    runBody(Effect.gen(function*() {
      const toLsn = yield* parseOptionalLsn("to-lsn", toText)
      const location = yield* archiveLocation(url)
      const output = yield* Output
      const restored = yield* Archive.restore({ dir: path.resolve(input), prefix: location.prefix, toLsn }).pipe(
        Effect.provide(location.layer),
        Effect.mapError((e) => (e._tag === "Failure" ? e : archiveFailure(e, input)))
      )
      const upTo = restored.lastLsn === undefined ? "an empty log" : `the log up to lsn ${restored.lastLsn}`
      yield* output.out(`restored ${restored.files.length} segment${restored.files.length === 1 ? "" : "s"}: ${upTo}\n`)
      if (restored.firstLsn !== undefined && restored.firstLsn > 1n) {
        // The archive began after the log was truncated: what comes before is in a snapshot.
        yield* output.out(
          `the log starts at lsn ${restored.firstLsn}: open it with the snapshot it was truncated for (a fence of at least ${restored.firstLsn - 1n})\n`
        )
      }
      if (restored.gap !== undefined) {
        yield* output.flush
        yield* output.err(`lora-wal: the archive has a gap, nothing after it was restored: ${restored.gap}\n`)
        yield* setExitCode(1)
      }
    }))
).pipe(Command.withDescription(describe(
  "Build a log directory from an archive, every object checked, cut after the last record at or below --to-lsn: opened, it replays exactly the transactions committed up to there. Exit 1 if the archive has a gap (what came before it is restored).",
  "lora-wal restore s3://backups/app/wal/ /var/lib/app/wal-restored --to-lsn 48213"
)))
