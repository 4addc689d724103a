import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Archive from "@lora-wal/core/Archive"
import * as Segment from "@lora-wal/core/Segment"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as path from "node:path"
import { archiveLocation } from "./archiveUrl.js"
import { describe, describeError, dirArg, endsBySignal, failed, runBody, usage, withLock } from "./common.js"
import { Output } from "./output.js"
import { probeLock } from "./status.js"

/** The base LSN of the newest segment, if it has a valid header. */
const newestBase = (dir: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const names = (yield* fs.readDirectory(dir)).filter((n) => Segment.parseFileName(n) !== undefined).sort()
    const newest = names[names.length - 1]
    if (newest === undefined) return undefined
    const header = Segment.decodeHeader((yield* fs.readFile(path.join(dir, newest))).subarray(0, Segment.HEADER_LEN))
    return header._tag === "Right" ? header.right.baseLsn as bigint : undefined
  }).pipe(Effect.orElseSucceed(() => undefined))

/**
 * One pass. A log no process has open is archived whole: what is on disk is
 * what a recovery would find. A live log's active segment is left out: only
 * its writer knows which of its records are durable, so it is the archiver
 * inside the writer (`Archive.layer`) that ships it.
 */
const pass = (dir: string, input: string, prefix: string) =>
  Effect.gen(function*() {
    const output = yield* Output
    const live = (yield* probeLock(dir)) !== false
    const durableLsn = live ? Option.getOrUndefined(Option.map(Option.fromNullable(yield* newestBase(dir)), (base) => base - 1n)) : undefined
    const result = yield* Archive.archiveOnce({ dir, prefix, durableLsn }).pipe(
      Effect.mapError((e) => failed(e._tag === "ArchiveError" || e._tag === "ArchiveStoreError" ? e.message : describeError(e, input)))
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
  "Copy the log to an archive: each sealed segment once (checked record by record), and the active segment's intact records as they grow (a log open in another process: sealed segments only). Once (--once) or every --interval seconds until SIGINT or SIGTERM (exit 0).",
  "lora-wal archive /var/lib/app/wal --to s3://backups/app/wal/ --interval 5"
)))
