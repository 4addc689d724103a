import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as LoraJson from "@lora-wal/core/LoraJson"
import * as Replay from "@lora-wal/core/Replay"
import * as ReplayReport from "@lora-wal/core/ReplayReport"
import * as WalError from "@lora-wal/core/WalError"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
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
  progress,
  runBody,
  usage
} from "./common.js"
import { Output } from "./output.js"
import { setStreamingHeapFlags } from "../heapFlags.js"
import { transcodeThread } from "./transcodeThread.js"

const tornTailLine = (outcome: Replay.Outcome<unknown>) =>
  Option.match(outcome.tornTail, {
    onNone: () => "none",
    onSome: (t) =>
      `${t.classification} in ${t.segmentFile} at offset ${t.lastGoodOffset}: ${t.cause.message}${
        Option.match(t.followedBy, {
          onNone: () => "",
          onSome: (f) =>
            ` (valid data follows: ${path.basename(f.segmentPath)}${f.offset > 0 ? ` offset ${f.offset}` : ""}${
              Option.match(f.lsn, { onNone: () => "", onSome: (l) => ` lsn ${l}` })
            })`
        })
      }`
  })

const summaryLines = (outcome: Replay.Outcome<unknown>) => [
  `segments:          ${outcome.segments.length}${
    Option.match(outcome.interruptedSegment, {
      onNone: () => "",
      onSome: (p) => ` (ignored ${path.basename(p)}: interrupted rotation)`
    })
  }`,
  `committed events:  ${outcome.committedEvents.length}`,
  `max lsn:           ${outcome.maxLsn}`,
  `checkpoint lsn:    ${Option.getOrElse(Option.map(outcome.checkpointLsnObserved, String), () => "none")}`,
  `torn tail:         ${tornTailLine(outcome)}`
]

/** The collected replay, as a summary or as lora-wal's fixture JSON. */
const replaySummary = (dir: string, input: string, fence: bigint, json: boolean) =>
  Effect.gen(function*() {
    const onProgress = yield* progress("replay")
    const result = yield* Effect.either(Replay.replayDir(dir, { fence, onProgress }))
    if (result._tag === "Left") {
      if (json) yield* printJson(ReplayReport.replayError(result.left, dir))
      return yield* Effect.fail(failed(describeError(result.left, input)))
    }
    yield* json ? printJson(ReplayReport.replayOutcome(result.right, dir)) : printLines(summaryLines(result.right))
  })

/**
 * One line per committed transaction as replay reads it, written straight
 * from the records' bytes (`LoraJson.replayLines`), so memory holds a read
 * chunk, not the log. A failure after some lines is reported on stderr (the
 * lines already printed stand: they are committed transactions).
 */
const replayLines = (dir: string, input: string, fence: bigint) =>
  Effect.gen(function*() {
    const output = yield* Output
    const onProgress = yield* progress("replay")
    const prepared = yield* transcodeThread(dir, { onOnline: setStreamingHeapFlags })
    yield* LoraJson.replayLines(dir, { fence, onProgress, onLines: output.outBytes, prepared }).pipe(
      Effect.catchIf(
        (e): e is WalError.ReplayError | WalError.Corruption => WalError.isWalError(e),
        (e) => Effect.fail(failed(describeError(e, input)))
      )
    )
  }).pipe(Effect.scoped)

export const replayCommand = Command.make(
  "replay",
  {
    dir: dirArg,
    fence: fenceOption,
    json: jsonOption,
    jsonl: Options.boolean("jsonl").pipe(
      Options.withDescription(
        "stream one line per committed transaction, {\"commit_lsn\":\"…\",\"events\":[…]}, in bounded memory"
      )
    )
  },
  ({ dir: input, fence: fenceText, json, jsonl }) =>
    runBody(Effect.gen(function*() {
      const fence = yield* parseLsn("fence", fenceText)
      if (json && jsonl) return yield* Effect.fail(usage("--json and --jsonl cannot be combined"))
      const dir = path.resolve(input)
      yield* jsonl ? replayLines(dir, input, fence) : replaySummary(dir, input, fence, json)
    }))
).pipe(Command.withDescription(describe(
  "Replay the committed transactions read-only (no lock, no changes): a summary, the fixtures' JSON (--json), or every transaction as a JSON line (--jsonl).",
  "lora-wal replay /var/lib/app/wal --fence 1200 --jsonl | jq -c '.events | length'"
)))
