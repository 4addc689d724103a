/**
 * The `lora-wal` command-line tool: what an operator runs against a log
 * directory. Every failure is one line on stderr (or a JSON error with
 * `--json`) and a non-zero exit code, never a stack trace.
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { DirLock } from "@lora-wal/core/DirLock"
import * as Inspect from "@lora-wal/core/Inspect"
import * as LoraJson from "@lora-wal/core/LoraJson"
import * as Lsn from "@lora-wal/core/Lsn"
import type { MutationEvent } from "@lora-wal/core/MutationEvent"
import * as Replay from "@lora-wal/core/Replay"
import * as ReplayReport from "@lora-wal/core/ReplayReport"
import * as Wal from "@lora-wal/core/Wal"
import * as WalConfig from "@lora-wal/core/WalConfig"
import type { WalError } from "@lora-wal/core/WalError"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as path from "node:path"
import { version } from "./internal/version.js"
import * as NodeDirLock from "./NodeDirLock.js"
import * as NodeSyncFileSystem from "./NodeSyncFileSystem.js"

const dirArg = Args.text({ name: "DIR" }).pipe(Args.withDescription("the log directory"))
const jsonOption = Options.boolean("json").pipe(Options.withDescription("print JSON in the shape of lora-wal's fixtures"))
const fenceOption = Options.text("fence").pipe(
  Options.withDefault("0"),
  Options.withDescription("skip records at or below this LSN (the snapshot's LSN)")
)

/** Logs larger than this report progress on stderr when it is a terminal. */
const PROGRESS_THRESHOLD = 64 * 1024 * 1024

const progress = (label: string) => (p: { readonly bytesRead: number; readonly totalBytes: number }) =>
  Effect.sync(() => {
    if (!process.stderr.isTTY || p.totalBytes < PROGRESS_THRESHOLD) return
    const mib = (n: number) => (n / (1024 * 1024)).toFixed(0)
    const done = p.bytesRead >= p.totalBytes
    process.stderr.write(
      `\r${label}: ${Math.floor((100 * p.bytesRead) / p.totalBytes)}% (${mib(p.bytesRead)}/${mib(p.totalBytes)} MiB)${
        done ? "\n" : ""
      }`
    )
  })

const fail = (message: string) =>
  Effect.zipRight(
    Console.error(`lora-wal: ${message}`),
    Effect.sync(() => {
      process.exitCode = 1
    })
  )

const describeError = (error: WalError, dir: string): string =>
  error._tag === "Io" && error.reason === "NotFound"
    ? `${dir}: no such directory or file`
    : error._tag === "Io" && error.reason === "PermissionDenied"
    ? `${dir}: permission denied`
    : error._tag === "Io" && error.reason === "BadResource"
    ? `${dir}: not a directory`
    : error.message

const parseFence = (text: string) =>
  Option.match(Option.fromNullable(Lsn.parse(text)), {
    onNone: () => Effect.fail(`--fence must be an LSN (0 to 2^64-1), got ${JSON.stringify(text)}`),
    onSome: Effect.succeed
  })

const printJson = (value: unknown) => Console.log(JSON.stringify(value, null, 2))

const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()
  return [line(header), ...rows.map(line)].join("\n")
}

const replayCommand = Command.make(
  "replay",
  { dir: dirArg, fence: fenceOption, json: jsonOption },
  ({ dir: input, fence: fenceText, json }) =>
    Effect.gen(function*() {
      const dir = path.resolve(input)
      const fence = yield* parseFence(fenceText)
      const result = yield* Effect.either(Replay.replayDir(dir, { fence, onProgress: progress("replay") }))
      if (result._tag === "Left") {
        if (json) yield* printJson(ReplayReport.replayError(result.left, dir))
        return yield* fail(describeError(result.left, input))
      }
      const outcome = result.right
      if (json) return yield* printJson(ReplayReport.replayOutcome(outcome, dir))
      const lines = [
        `segments:          ${outcome.segments.length}${
          Option.match(outcome.interruptedSegment, {
            onNone: () => "",
            onSome: (p) => ` (ignored ${path.basename(p)}: interrupted rotation)`
          })
        }`,
        `committed events:  ${outcome.committedEvents.length}`,
        `max lsn:           ${outcome.maxLsn}`,
        `checkpoint lsn:    ${Option.getOrElse(Option.map(outcome.checkpointLsnObserved, String), () => "none")}`,
        `torn tail:         ${
          Option.match(outcome.tornTail, {
            onNone: () => "none",
            onSome: (t) =>
              `${t.classification} in ${t.segmentFile} at offset ${t.lastGoodOffset}: ${t.cause.message}${
                Option.match(t.followedBy, {
                  onNone: () => "",
                  onSome: (f) =>
                    ` (valid data follows: ${path.basename(f.segmentPath)}${
                      f.offset > 0 ? ` offset ${f.offset}` : ""
                    }${Option.match(f.lsn, { onNone: () => "", onSome: (l) => ` lsn ${l}` })})`
                })
              }`
          })
        }`
      ]
      yield* Console.log(lines.join("\n"))
    }).pipe(Effect.catchAll((message: string) => fail(message)))
).pipe(Command.withDescription("replay committed transactions read-only (no lock, no changes)"))

const inspectCommand = Command.make(
  "inspect",
  { dir: dirArg, json: jsonOption },
  ({ dir: input, json }) =>
    Effect.gen(function*() {
      const dir = path.resolve(input)
      const result = yield* Effect.either(Inspect.inspectDir(dir, { onProgress: progress("inspect") }))
      if (result._tag === "Left") {
        if (json) yield* printJson({ ok: false, error: ReplayReport.error(result.left, dir) })
        return yield* fail(describeError(result.left, input))
      }
      const files = result.right
      if (json) return yield* printJson({ files: files.map(ReplayReport.file) })
      const segments = files.filter((f) => f.segmentId !== undefined)
      const out: Array<string> = [
        table(
          ["file", "size", "base_lsn", "sealed", "header"],
          segments.map((f) => {
            const h = f.header!
            return h.complete
              ? [
                f.name,
                String(f.size),
                h.baseLsn.toString(),
                String(h.sealed),
                h.magicOk && h.headerCrcOk && h.formatVersion === 1 ? "ok" : "bad"
              ]
              : [f.name, String(f.size), "-", "-", `incomplete (${h.length} bytes)`]
          })
        )
      ]
      for (const f of segments) {
        out.push("", `${f.name}:`)
        out.push(table(
          ["offset", "length", "kind", "lsn", "tx_begin_lsn", "crc_ok"],
          f.records.map((r) =>
            r._tag === "Record"
              ? [
                String(r.offset),
                String(r.length),
                `${r.kind} ${r.kindName ?? "?"}`,
                r.lsn.toString(),
                r.txBeginLsn.toString(),
                String(r.crcOk)
              ]
              : [
                String(r.offset),
                r.declaredLength === undefined ? "?" : String(r.declaredLength),
                `incomplete or invalid (${r.available} bytes left)`,
                "",
                "",
                ""
              ]
          )
        ))
      }
      yield* Console.log(out.join("\n"))
    })
).pipe(Command.withDescription("show segments, headers and record framing byte by byte"))


/** The directory lock the configuration picks; a bad `LORA_WAL_LOCK` is a one-line error. */
const withLog = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.provide(effect, Layer.mapError(NodeDirLock.layer, (e) => `directory lock: ${e.message}`))

const recoverCommand = Command.make(
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
    Effect.gen(function*() {
      const dir = path.resolve(input)
      const fence = yield* parseFence(fenceText)
      const result = yield* Effect.either(Effect.scoped(Effect.gen(function*() {
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
      })))
      if (Either.isLeft(result)) {
        if (json) yield* printJson({ ok: false, error: ReplayReport.error(result.left, dir) })
        return yield* fail(describeError(result.left, input))
      }
      const r = result.right
      if (json) return yield* printJson(r)
      yield* Console.log([
        `recovered ${r.event_count} committed events${r.torn_tail_truncated ? " (torn tail truncated)" : ""}`,
        `next lsn ${r.next_lsn}, durable lsn ${r.durable_lsn}, segments ${r.oldest_segment_id}..${r.active_segment_id}`
      ].join("\n"))
    }).pipe(withLog, Effect.catchAll((message: string) => fail(message)))
).pipe(Command.withDescription("open the log for writing (performing recovery), report, close"))

const decodeLine = Schema.decodeUnknownEither(Schema.Array(LoraJson.MutationEventFromJson))

/**
 * Standard input as lines, a chunk's worth at a time: one Effect per chunk
 * of input rather than per line (readline and a Stream element per line
 * cost more than committing the line under `--sync none`).
 */
const stdinLineChunks: Stream.Stream<ReadonlyArray<string>> = Stream.suspend(() => {
  let pending = ""
  return Stream.fromAsyncIterable(process.stdin as AsyncIterable<Buffer>, (e) => new Error(String(e))).pipe(
    Stream.orDie,
    Stream.map((chunk) => {
      const lines = (pending + chunk.toString("utf8")).split("\n")
      pending = lines.pop()!
      return lines
    }),
    Stream.concat(Stream.sync(() => (pending === "" ? [] : [pending])))
  )
})

/** The events of one input line, or why it is not a transaction. */
const eventsOfLine = (line: string): Either.Either<ReadonlyArray<MutationEvent>, string> => {
  let json: unknown
  try {
    json = JSON.parse(line)
  } catch (e) {
    return Either.left(`not JSON: ${(e as Error).message}`)
  }
  return Either.mapLeft(decodeLine(json), (error) =>
    "not an array of events: " +
    ParseResult.ArrayFormatter.formatErrorSync(error)
      .map((issue) => `${issue.path.length > 0 ? `at [${issue.path.join("][")}]: ` : ""}${issue.message}`)
      .join("; "))
}

/** Lines committed at once: enough for one fsync to cover many of them. */
const IN_FLIGHT_LINES = 256

/**
 * Commits each line of standard input as one transaction, acknowledging it
 * on stdout as soon as its commit returns. A line that is not a transaction,
 * or that the log cannot encode, is reported on stderr with its number and
 * skipped (nothing written, no LSN used); any other failure (the log is
 * poisoned or closed) stops the run. Writes go straight to the process's
 * streams, which are synchronous for files and pipes.
 */
const commitStdinLines = (wal: Wal.Wal, input: string) =>
  Effect.suspend(() => {
    let linesRead = 0
    let badLines = 0
    const refuse = (lineNumber: number, reason: string) =>
      Effect.sync(() => {
        badLines++
        process.stderr.write(`lora-wal: line ${lineNumber}: ${reason}\n`)
      })
    const commitLine = (line: string): Effect.Effect<void, string> => {
      const lineNumber = ++linesRead
      if (line.trim() === "") return Effect.void
      const events = eventsOfLine(line)
      if (Either.isLeft(events)) return refuse(lineNumber, events.left)
      return Effect.matchEffect(wal.commitTx(events.right), {
        onFailure: (error) =>
          error._tag === "Encode"
            ? refuse(lineNumber, `cannot be logged: ${error.message}`)
            : Effect.fail(`line ${lineNumber}: ${describeError(error, input)}`),
        onSuccess: (commitLsn) =>
          Option.isNone(commitLsn)
            ? Effect.sync(() => void process.stderr.write(`lora-wal: line ${lineNumber}: empty transaction, nothing written\n`))
            : Effect.sync(() => void process.stdout.write(`committed ${commitLsn.value}\n`))
      })
    }
    // Under PerCommit the lines of a chunk are committed concurrently, each its own transaction:
    // they share fsyncs (group commit), and each is acknowledged once one covers it. The other
    // modes return without waiting for the disk, so one line at a time costs least.
    const concurrency = wal.syncMode._tag === "PerCommit" ? IN_FLIGHT_LINES : 1
    return Effect.map(
      Stream.runForEach(stdinLineChunks, (lines) => Effect.forEach(lines, commitLine, { concurrency, discard: true })),
      () => badLines
    )
  })

const appendCommand = Command.make(
  "append",
  {
    dir: dirArg,
    sync: Options.text("sync").pipe(
      Options.withDefault("per-commit"),
      Options.withDescription("per-commit, group:<ms> or none")
    ),
    segmentBytes: Options.integer("segment-bytes").pipe(
      Options.withDefault(WalConfig.DEFAULT_SEGMENT_TARGET_BYTES),
      Options.withDescription("rotate segments at this size")
    )
  },
  ({ dir: input, segmentBytes, sync }) =>
    Effect.gen(function*() {
      const dir = path.resolve(input)
      const syncMode = yield* Either.match(WalConfig.parseSyncMode(sync), {
        onLeft: (message) => Effect.fail(`--sync: ${message}`),
        onRight: Effect.succeed
      })
      if (!Number.isInteger(segmentBytes) || segmentBytes < 64) {
        return yield* Effect.fail(`--segment-bytes must be at least 64, got ${segmentBytes}`)
      }
      const wal = yield* Wal.make({ dir, syncMode, segmentTargetBytes: segmentBytes }).pipe(
        Effect.mapError((e) => describeError(e, input))
      )
      const badLines = yield* commitStdinLines(wal, input)
      if (badLines > 0) yield* Effect.sync(() => (process.exitCode = 1))
    }).pipe(
      Effect.scoped,
      withLog,
      // The tool does nothing while a commit waits for its fsync: a blocking fsync saves the
      // thread-pool round trip (NodeWal.layer's `io: "sync"`).
      Effect.provide(NodeSyncFileSystem.layer),
      Effect.catchAll((message: string) => fail(message))
    )
).pipe(Command.withDescription("commit each stdin line (a JSON array of events) as one transaction"))

/** Whether another live handle holds the directory (probes by taking and releasing the lock). */
const probeLock = (dir: string) =>
  Effect.flatMap(DirLock, (lock) => Effect.scoped(lock.acquire(dir))).pipe(
    Effect.as(false),
    Effect.catchTag("AlreadyOpen", () => Effect.succeed(true))
  )

const readOnlyStatus = (input: string) =>
  Effect.gen(function*() {
    const dir = path.resolve(input)
    const outcome = yield* Replay.run(dir, { onTransaction: () => Effect.void })
    const locked = yield* probeLock(dir)
    const first = outcome.segments[0]
    const last = outcome.segments[outcome.segments.length - 1]
    return {
      dir,
      outcome,
      json: {
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
    }
  })

const statusCommand = Command.make(
  "status",
  { dir: dirArg, json: jsonOption },
  ({ dir: input, json }) =>
    Effect.gen(function*() {
      const result = yield* Effect.either(readOnlyStatus(input))
      if (Either.isLeft(result)) {
        if (json) yield* printJson({ ok: false, error: ReplayReport.error(result.left, path.resolve(input)) })
        return yield* fail(describeError(result.left, input))
      }
      const { json: status } = result.right
      if (json) return yield* printJson({ ok: true, ...status })
      yield* Console.log([
        `locked:          ${status.locked ? "yes (a live handle has it open)" : "no"}`,
        `segments:        ${status.segments} (${status.oldest_segment_id ?? "-"}..${status.active_segment_id ?? "-"}, ${status.bytes} bytes)`,
        `next lsn:        ${status.next_lsn}`,
        `durable lsn:     ${status.durable_lsn} (everything readable now)`,
        `checkpoint lsn:  ${status.checkpoint_lsn_observed ?? "none"}`,
        `torn tail:       ${status.torn_tail === null ? "none" : `${status.torn_tail.classification} in ${status.torn_tail.segment_file} at offset ${status.torn_tail.last_good_offset}`}`
      ].join("\n"))
    }).pipe(withLog)
).pipe(Command.withDescription("report the log's state read-only"))

const verifyCommand = Command.make(
  "verify",
  { dir: dirArg },
  ({ dir: input }) =>
    Effect.gen(function*() {
      const result = yield* Effect.either(readOnlyStatus(input))
      if (Either.isLeft(result)) {
        const e = result.left
        const kind = e._tag === "Io" ? "unreadable" : "malformed"
        return yield* fail(`${kind}: ${describeError(e, input)}`)
      }
      const { json: status, outcome } = result.right
      const torn = Option.getOrUndefined(outcome.tornTail)
      if (torn !== undefined) {
        return yield* fail(
          `${torn.classification === "corruption" ? "corruption" : "torn tail"}: ${torn.segmentFile} at offset ${torn.lastGoodOffset}: ${torn.cause.message}`
        )
      }
      if (status.locked) return yield* fail(`locked: ${input} is open by a live handle`)
      yield* Console.log(`ok: ${status.segments} segments, max lsn ${status.durable_lsn}`)
    }).pipe(withLog)
).pipe(Command.withDescription("exit 0 if the log is healthy, else name the problem (torn tail, corruption, malformed, locked)"))

/**
 * The root command.
 *
 * @since 0.1.0
 * @category constructors
 */
export const command = Command.make("lora-wal").pipe(
  Command.withDescription("inspect and replay lora-wal write-ahead logs"),
  Command.withSubcommands([replayCommand, inspectCommand, recoverCommand, appendCommand, statusCommand, verifyCommand])
)

/**
 * Runs the tool on `argv` (as `process.argv`).
 *
 * @since 0.1.0
 * @category running
 */
export const run = Command.run(command, { name: "lora-wal", version })
