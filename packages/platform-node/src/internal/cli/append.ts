import * as Command from "@effect/cli/Command"
import * as NodeStream from "@effect/platform-node/NodeStream"
import * as Options from "@effect/cli/Options"
import * as LoraJson from "@lora-wal/core/LoraJson"
import type { Lsn } from "@lora-wal/core/Lsn"
import type { MutationEvent } from "@lora-wal/core/MutationEvent"
import * as Wal from "@lora-wal/core/Wal"
import type { WriteError } from "@lora-wal/core/WalError"
import * as WalConfig from "@lora-wal/core/WalConfig"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as path from "node:path"
import * as NodeSyncFileSystem from "../../NodeSyncFileSystem.js"
import { type CliError, describe, describeError, dirArg, failed, runBody, setExitCode, usage, withLock } from "./common.js"
import { type BrokenPipe, Output, type OutputFailed } from "./output.js"

/** A line of input: its text, or why it is not text. */
type InputLine = { readonly text: string } | { readonly notUtf8: true }

const utf8 = new TextDecoder("utf-8", { fatal: true })

const decodeLine = (bytes: Uint8Array): InputLine => {
  try {
    return { text: utf8.decode(bytes) }
  } catch {
    return { notUtf8: true }
  }
}

/**
 * Splits input into lines on the newline byte and decodes each line whole,
 * so that a character cut by a read boundary is read as written and bytes
 * that are not UTF-8 are refused, never replaced. Only new bytes are
 * scanned for newlines.
 */
class LineSplitter {
  private partial: Array<Uint8Array> = []

  /** The lines `chunk` completes. */
  push(chunk: Uint8Array): Array<InputLine> {
    const lines: Array<InputLine> = []
    let start = 0
    for (let end = chunk.indexOf(10); end !== -1; end = chunk.indexOf(10, start)) {
      lines.push(this.take(chunk.subarray(start, end)))
      start = end + 1
    }
    if (start < chunk.length) this.partial.push(chunk.subarray(start))
    return lines
  }

  /** The last line, when the input does not end with a newline. */
  end(): Array<InputLine> {
    return this.partial.length === 0 ? [] : [this.take(new Uint8Array(0))]
  }

  private take(last: Uint8Array): InputLine {
    const bytes = this.partial.length === 0 ? last : Buffer.concat([...this.partial, last])
    this.partial = []
    return decodeLine(bytes)
  }
}

/**
 * Standard input as lines, a read's worth at a time: one Effect per read
 * rather than per line. NodeStream reads on demand and stops reading when
 * interrupted (SIGINT while the tool waits for input).
 */
const stdinLineChunks: Stream.Stream<ReadonlyArray<InputLine>> = Stream.suspend(() => {
  const splitter = new LineSplitter()
  return NodeStream.fromReadable<Error, Uint8Array>(() => process.stdin, (e) => new Error(String(e)), { closeOnDone: false }).pipe(
    Stream.orDie,
    Stream.chunks,
    Stream.map((chunks) => Chunk.toReadonlyArray(chunks).flatMap((chunk) => splitter.push(chunk))),
    Stream.concat(Stream.sync(() => splitter.end()))
  )
})

/** A line that parsed as a transaction, waiting to be committed with its neighbours. */
interface ParsedLine {
  readonly lineNumber: number
  readonly events: ReadonlyArray<MutationEvent>
}

/**
 * Commits each line of standard input as one transaction and acknowledges
 * it on stdout once its commit returns. The transactions of a read are
 * committed together (`commitAll`: one write, and under PerCommit one
 * fsync, for all of them), each with its own LSN. A line that is not a
 * transaction, or that the log cannot encode, is reported on stderr with its
 * number and skipped (nothing written, no LSN used); any other failure (the
 * log is poisoned or closed) stops the run. Acknowledgements are written
 * before the next read of input, so a caller waiting for one is never kept
 * waiting; a caller that stops reading them stops the run.
 */
const commitStdinLines = (wal: Wal.Wal, input: string) =>
  Effect.gen(function*() {
    const output = yield* Output
    let linesRead = 0
    let badLines = 0
    // The last line whose fate is settled (committed or refused): what a caller resumes after.
    let settled = 0
    const settle = (lineNumber: number) => void (settled = Math.max(settled, lineNumber))
    // The acknowledgements before a line named on stderr are written first, so that stdout and
    // stderr read together (2>&1) keep the input's order.
    const tell = (lineNumber: number, message: string) =>
      Effect.zipRight(output.flush, output.err(`lora-wal: line ${lineNumber}: ${message}\n`))
    const refuse = (lineNumber: number, reason: string) =>
      Effect.suspend(() => {
        badLines++
        settle(lineNumber)
        return tell(lineNumber, reason)
      })
    /** Acknowledges a run's lines: one `out` for the acknowledgements between empty transactions. */
    const acknowledge = (run: ReadonlyArray<ParsedLine>, commitLsns: ReadonlyArray<Option.Option<Lsn>>) =>
      Effect.suspend(() => {
        const steps: Array<Effect.Effect<void, BrokenPipe | OutputFailed>> = []
        let acks = ""
        run.forEach((line, i) => {
          const commitLsn = commitLsns[i]!
          if (Option.isSome(commitLsn)) acks += `committed ${commitLsn.value}\n`
          else {
            steps.push(output.out(acks), tell(line.lineNumber, "empty transaction, nothing written"))
            acks = ""
          }
        })
        steps.push(output.out(acks))
        return Effect.all(steps, { discard: true })
      })
    const stopped = (line: ParsedLine, error: WriteError) =>
      failed(
        `line ${line.lineNumber}: ${describeError(error, input)}; ` +
          "lines read after the last acknowledged one may or may not be in the log"
      )
    // One line at a time, when a run of lines holds one the log cannot encode: it names the line.
    const commitOne = (line: ParsedLine): Effect.Effect<void, CliError> =>
      Effect.matchEffect(wal.commitTx(line.events), {
        onFailure: (error): Effect.Effect<void, CliError> =>
          error._tag === "Encode"
            ? refuse(line.lineNumber, `cannot be logged: ${error.message}`)
            : Effect.fail(stopped(line, error)),
        onSuccess: (commitLsn) =>
          Effect.suspend(() => {
            settle(line.lineNumber)
            return acknowledge([line], [commitLsn])
          })
      })
    const commitRun = (run: ReadonlyArray<ParsedLine>): Effect.Effect<void, CliError> =>
      run.length === 0 ? Effect.void : Effect.matchEffect(wal.commitAll(run.map((line) => line.events)), {
        onFailure: (error): Effect.Effect<void, CliError> =>
          error._tag === "Encode" ? Effect.forEach(run, commitOne, { discard: true }) : Effect.fail(stopped(run[0]!, error)),
        onSuccess: (commitLsns) =>
          Effect.suspend(() => {
            settle(run[run.length - 1]!.lineNumber)
            return acknowledge(run, commitLsns)
          })
      })
    // The runs of parsed lines between refused ones, each committed at once, in input order.
    const commitLines = (lines: ReadonlyArray<InputLine>) =>
      Effect.suspend(() => {
        const steps: Array<Effect.Effect<void, CliError>> = []
        let run: Array<ParsedLine> = []
        const refuseHere = (lineNumber: number, reason: string) => {
          steps.push(commitRun(run), refuse(lineNumber, reason))
          run = []
        }
        for (const line of lines) {
          const lineNumber = ++linesRead
          if (!("text" in line)) refuseHere(lineNumber, "not UTF-8")
          else if (line.text.trim() !== "") {
            const events = LoraJson.parseEvents(line.text)
            if (Either.isLeft(events)) refuseHere(lineNumber, events.left)
            else run.push({ lineNumber, events: events.right })
          }
        }
        steps.push(commitRun(run))
        return Effect.zipRight(Effect.all(steps, { discard: true }), output.flush)
      })
    yield* Stream.runForEach(stdinLineChunks, commitLines).pipe(
      Effect.catchTag("BrokenPipe", () =>
        Effect.fail(failed(
          `stdout closed: acknowledgements cannot be delivered; stopped after line ${settled} ` +
            "(every line up to it is committed or refused, no later one is)"
        )))
    )
    return badLines
  })

export const appendCommand = Command.make(
  "append",
  {
    dir: dirArg,
    sync: Options.text("sync").pipe(
      Options.withDefault("per-commit"),
      Options.withDescription("per-commit, group:<ms> or none")
    ),
    segmentBytes: Options.integer("segment-bytes").pipe(
      Options.withDefault(WalConfig.DEFAULT_SEGMENT_TARGET_BYTES),
      Options.withDescription(
        "rotate segments at this size (checked before each read's lines, which go into one segment: a segment may exceed it by a read, up to 64 KiB of input)"
      )
    )
  },
  ({ dir: input, segmentBytes, sync }) =>
    runBody(Effect.gen(function*() {
      const dir = path.resolve(input)
      const syncMode = yield* Either.match(WalConfig.parseSyncMode(sync), {
        onLeft: (message) => Effect.fail(usage(`--sync: ${message}`)),
        onRight: Effect.succeed
      })
      if (!Number.isInteger(segmentBytes) || segmentBytes < 64) {
        return yield* Effect.fail(usage(`--segment-bytes must be at least 64, got ${segmentBytes}`))
      }
      const wal = yield* Wal.make({ dir, syncMode, segmentTargetBytes: segmentBytes }).pipe(
        Effect.mapError((e) => failed(describeError(e, input)))
      )
      const badLines = yield* commitStdinLines(wal, input)
      if (badLines > 0) yield* setExitCode(1)
    }).pipe(
      Effect.scoped,
      withLock,
      // The tool does nothing while a commit waits for its fsync: a blocking fsync saves the
      // thread-pool round trip (NodeWal.layer's `io: "sync"`).
      Effect.provide(NodeSyncFileSystem.layer)
    ))
).pipe(Command.withDescription(describe(
  "Commit each line of standard input (a JSON array of events) as one transaction and print `committed <lsn>` once it is durable as --sync says. Lines that are not transactions are named on stderr and skipped (exit 1 at the end).",
  `echo '[{"type":"CreateNode","id":"1","labels":["Person"],"properties":{}}]' | lora-wal append /var/lib/app/wal`
)))
