import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Archive from "@lora-wal/core/Archive"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as path from "node:path"
import { archiveFailure, archiveLocation } from "./archiveUrl.js"
import { describe, dirArg, endsBySignal, failed, runBody, usage, withLock } from "./common.js"
import { Output } from "./output.js"

/**
 * One pass. A log no process has open is archived whole, locked for the
 * pass and its newest segment fsynced first (`Archive.archiveOnceAtRest`).
 * A log open elsewhere: only its sealed segments, since only its writer
 * knows what is fsynced (the archiver inside the writer, `Archive.layer`,
 * ships the rest).
 */
const pass = (dir: string, input: string, prefix: string) =>
  Effect.gen(function*() {
    const output = yield* Output
    // Nothing of the newest segment counts as durable: the sealed ones alone go.
    const sealedOnly = Archive.archiveOnce({ dir, prefix, durableLsn: 0n })
    const { live, result } = yield* Archive.archiveOnceAtRest({ dir, prefix }).pipe(
      Effect.map((result) => ({ live: false, result })),
      Effect.catchTag("AlreadyOpen", () => Effect.map(sealedOnly, (result) => ({ live: true, result }))),
      Effect.mapError((e) => archiveFailure(e, input))
    )
    const archived = result.archivedLsn === undefined ? "nothing yet" : `up to lsn ${result.archivedLsn}`
    yield* output.out(`uploaded ${result.uploaded.length} object${result.uploaded.length === 1 ? "" : "s"}; the archive holds the log ${archived}\n`)
    if (live) yield* output.err("lora-wal: the log is open in another process: its active segment is left to the archiver inside that process\n")
    if (result.activeFault !== undefined) yield* output.err(`lora-wal: the active segment's copy stops early: ${result.activeFault}\n`)
    yield* output.flush
  })

export const archiveCommand = Command.make(
  "archive",
  {
    dir: dirArg,
    to: Options.text("to").pipe(Options.withDescription("where: file:///absolute/path or s3://bucket/prefix")),
    once: Options.boolean("once").pipe(Options.withDescription("one pass, then exit")),
    interval: Options.integer("interval").pipe(
      Options.optional,
      Options.withDescription("seconds between passes (default 1), until SIGINT or SIGTERM")
    )
  },
  ({ dir: input, interval, once, to }) =>
    runBody(Effect.gen(function*() {
      if (once && Option.isSome(interval)) return yield* Effect.fail(usage("--once and --interval cannot be combined"))
      const seconds = Option.getOrElse(interval, () => 1)
      if (seconds < 1) return yield* Effect.fail(usage(`--interval must be at least 1 second, got ${seconds}`))
      const dir = path.resolve(input)
      const fs = yield* FileSystem.FileSystem
      if (!(yield* Effect.orElseSucceed(fs.exists(dir), () => false))) return yield* Effect.fail(failed(`${input}: no such directory`))
      const location = yield* archiveLocation(to)
      const run = pass(dir, input, location.prefix)
      if (once) return yield* Effect.provide(run, location.layer)
      endsBySignal.expected = true
      yield* Effect.forever(Effect.zipRight(run, Effect.sleep(Duration.seconds(seconds)))).pipe(Effect.provide(location.layer))
    }).pipe(withLock))
).pipe(Command.withDescription(describe(
  "Copy the log to an archive: each sealed segment once (checked record by record), and the active segment's intact records as they grow, fsynced first (a log open in another process: sealed segments only). A log no process has open is locked during each pass: a writer starting meanwhile gets AlreadyOpen. Once (--once) or every --interval seconds until SIGINT or SIGTERM (exit 0).",
  "lora-wal archive /var/lib/app/wal --to s3://backups/app/wal/ --interval 5"
)))
