import * as Args from "@effect/cli/Args"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as Lsn from "@lora-wal/core/Lsn"
import type { WalError } from "@lora-wal/core/WalError"
import type * as Chunk from "effect/Chunk"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as path from "node:path"
import * as NodeDirLock from "../../NodeDirLock.js"
import { type BrokenPipe, Output, type OutputFailed } from "./output.js"

/** Exit codes, as `lora-wal --help` documents them. */
export const ExitCode = { ok: 0, failed: 1, usage: 2 } as const

/** A failure the tool reports as one line, with the exit code it ends with. */
export class Failure extends Data.TaggedError("Failure")<{ readonly message: string; readonly exitCode: number }> {}

/** How a subcommand's work can end early. */
export type CliError = Failure | BrokenPipe | OutputFailed

/** A failure of the command's work (unreadable, damaged, refused): exit 1. */
export const failed = (message: string): Failure => new Failure({ message, exitCode: ExitCode.failed })

/** A command line that cannot be acted on: exit 2. */
export const usage = (message: string): Failure => new Failure({ message, exitCode: ExitCode.usage })

/**
 * Whether being stopped by SIGINT or SIGTERM is how the command ends when
 * all went well (`follow` runs until then): main then exits with the code
 * set so far instead of 130.
 */
export const endsBySignal = { expected: false }

export const setExitCode = (code: number) =>
  Effect.sync(() => {
    if (code > Number(process.exitCode ?? 0)) process.exitCode = code
  })

/** Reports `failure` as `lora-wal: <message>` on stderr and sets the exit code. */
export const report = (failure: Failure) =>
  Effect.zipRight(
    Effect.flatMap(Output, (output) => output.err(`lora-wal: ${failure.message}\n`)),
    setExitCode(failure.exitCode)
  )

/**
 * A subcommand's body as the tool runs it: its output flushed (what it
 * printed before failing too), a reader that went away ends the work
 * quietly, and a failure is one line on stderr.
 */
export const runBody = <R>(body: Effect.Effect<void, CliError, R>): Effect.Effect<void, never, R | Output> =>
  Effect.flatMap(Output, (output) =>
    body.pipe(
      Effect.zipRight(output.flush),
      Effect.catchTags({
        BrokenPipe: () => Effect.void,
        OutputFailed: (e) => report(failed(`stdout: ${e.message}`)),
        Failure: (e) => Effect.zipRight(Effect.ignore(output.flush), report(e))
      })
    ))

export const dirArg = Args.text({ name: "DIR" }).pipe(Args.withDescription("the log directory"))

export const jsonOption = Options.boolean("json").pipe(
  Options.withDescription("print JSON in the shape of lora-wal's fixtures")
)

export const fenceOption = Options.text("fence").pipe(
  Options.withDefault("0"),
  Options.withDescription("skip records at or below this LSN (the snapshot's LSN)")
)

/** An optional LSN-valued option, parsed by {@link parseLsn}. */
export const lsnOption = (name: string, description: string) =>
  Options.text(name).pipe(Options.optional, Options.withDescription(description))

export const parseLsn = (flag: string, text: string): Effect.Effect<Lsn.Lsn, Failure> =>
  Option.match(Option.fromNullable(Lsn.parse(text)), {
    onNone: () => Effect.fail(usage(`--${flag} must be an LSN (0 to 2^64-1), got ${JSON.stringify(text)}`)),
    onSome: Effect.succeed
  })

export const parseOptionalLsn = (flag: string, text: Option.Option<string>) =>
  Option.match(text, {
    onNone: () => Effect.succeed(undefined),
    onSome: (t) => parseLsn(flag, t)
  })

/** A description followed by an example command line, for a subcommand's `--help`. */
export const describe = (description: string, ...examples: ReadonlyArray<string>): HelpDoc.HelpDoc =>
  HelpDoc.blocks([
    HelpDoc.p(description),
    HelpDoc.p(examples.length === 1 ? "Example:" : "Examples:"),
    ...examples.map((e) => HelpDoc.p(`  ${e}`))
  ])

/** The file a platform error was about, when it was not the directory itself. */
const fileOf = (error: WalError, dir: string): string => {
  const cause: unknown = error._tag === "Io" ? error.cause : undefined
  const file = typeof cause === "object" && cause !== null && "pathOrDescriptor" in cause ? cause.pathOrDescriptor : undefined
  return typeof file === "string" && path.resolve(file) !== path.resolve(dir) ? file : dir
}

/**
 * One line for a log error: the file or directory when it is missing or
 * unreadable, the segment file and offset of a bad header, else the error's
 * own message (which names the file and offset where the error has them).
 */
export const describeError = (error: WalError, dir: string): string =>
  error._tag === "Io" && error.reason === "NotFound"
    ? `${fileOf(error, dir)}: no such directory or file`
    : error._tag === "Io" && error.reason === "PermissionDenied"
    ? `${fileOf(error, dir)}: permission denied`
    : error._tag === "Io" && error.reason === "BadResource"
    ? `${fileOf(error, dir)}: not a directory`
    : error._tag === "BadSegmentHeader" && error.segmentPath !== undefined
    ? `${path.basename(error.segmentPath)} offset 0: ${error.message}`
    : error.message

/** Emits JSON on stdout, pretty-printed as the fixtures are. */
export const printJson = (value: unknown) => Effect.flatMap(Output, (output) => output.out(`${JSON.stringify(value, null, 2)}\n`))

export const printLines = (lines: ReadonlyArray<string>) => Effect.flatMap(Output, (output) => output.out(`${lines.join("\n")}\n`))

/** Columns padded to their widest cell. */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()
  return [line(header), ...rows.map(line)].join("\n")
}

/** A configuration error as one line naming the variable (its `toString` without the parentheses). */
const describeConfigError = (e: ConfigError.ConfigError): string => String(e).replace(/^\((.*)\)$/, "$1")

/** Logs at least this large report progress on stderr when it is a terminal. */
const progressThreshold = Config.integer("LORA_WAL_PROGRESS_BYTES").pipe(Config.withDefault(64 * 1024 * 1024))

/**
 * A progress callback for long reads: `label: 42% (420/1000 MiB)` rewritten
 * in place on stderr, only when stderr is a terminal and the log is large.
 */
export const progress = (label: string) =>
  Effect.map(
    Effect.all([Output, Effect.mapError(progressThreshold, (e) => usage(describeConfigError(e)))]),
    ([output, threshold]) => (p: { readonly bytesRead: number; readonly totalBytes: number }) => {
      if (!output.errIsTerminal || p.totalBytes < threshold) return Effect.void
      const mib = (n: number) => (n / (1024 * 1024)).toFixed(0)
      const percent = p.totalBytes === 0 ? 100 : Math.floor((100 * p.bytesRead) / p.totalBytes)
      const done = p.bytesRead >= p.totalBytes
      return output.err(`\r${label}: ${percent}% (${mib(p.bytesRead)}/${mib(p.totalBytes)} MiB)${done ? "\n" : ""}`)
    }
  )

/** The directory lock the configuration picks; a bad `LORA_WAL_LOCK` is a one-line usage error naming it. */
export const withLock = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.provide(
    effect,
    Layer.mapError(NodeDirLock.layer, (e) =>
      e._tag === "Io" ? failed(`directory lock: ${e.message}`) : usage(`directory lock: ${describeConfigError(e)}`))
  )

/**
 * Runs `f` on each chunk of `stream`, pulling it in a loop of plain Effects.
 * `Stream.runForEachChunk` costs 3x the time and ~60 MiB more RSS over a
 * replay in effect 3.22 (its sink keeps chunks reachable long enough to be
 * promoted), which matters for a 1 GiB log.
 */
export const forEachChunk = <A, E, R, E2, R2>(
  stream: Stream.Stream<A, E, R>,
  f: (chunk: Chunk.Chunk<A>) => Effect.Effect<void, E2, R2>
): Effect.Effect<void, E | E2, R | R2> =>
  Effect.scoped(Effect.flatMap(Stream.toPull(stream), (pull) => {
    const next: Effect.Effect<void, E | E2, R | R2> = Effect.matchEffect(pull, {
      onFailure: Option.match({ onNone: () => Effect.void, onSome: Effect.fail }),
      onSuccess: (chunk) => Effect.zipRight(f(chunk), next)
    })
    return next
  }))
