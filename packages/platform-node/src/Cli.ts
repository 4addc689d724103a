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
import * as Inspect from "@lora-wal/core/Inspect"
import * as Lsn from "@lora-wal/core/Lsn"
import * as Replay from "@lora-wal/core/Replay"
import * as ReportJson from "@lora-wal/core/ReportJson"
import type { WalError } from "@lora-wal/core/WalError"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as path from "node:path"

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
        if (json) yield* printJson(ReportJson.replayError(result.left, dir))
        return yield* fail(describeError(result.left, input))
      }
      const outcome = result.right
      if (json) return yield* printJson(ReportJson.replayOutcome(outcome, dir))
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
        if (json) yield* printJson({ ok: false, error: ReportJson.error(result.left, dir) })
        return yield* fail(describeError(result.left, input))
      }
      const files = result.right
      if (json) return yield* printJson({ files: files.map(ReportJson.file) })
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

/**
 * The root command.
 *
 * @since 0.1.0
 */
export const command = Command.make("lora-wal").pipe(
  Command.withDescription("inspect and replay lora-wal write-ahead logs"),
  Command.withSubcommands([replayCommand, inspectCommand])
)

/**
 * Runs the tool on `argv` (as `process.argv`).
 *
 * @since 0.1.0
 */
export const run = Command.run(command, { name: "lora-wal", version: "0.1.0" })
