import * as Command from "@effect/cli/Command"
import * as Follow from "@lora-wal/core/Follow"
import * as LoraJson from "@lora-wal/core/LoraJson"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as path from "node:path"
import {
  describe,
  describeError,
  dirArg,
  endsBySignal,
  failed,
  forEachChunk,
  jsonOption,
  lsnOption,
  parseOptionalLsn,
  runBody
} from "./common.js"
import { eventsSummary } from "./dump.js"
import { Output } from "./output.js"

/**
 * One line per committed transaction as it reaches the log's files, each
 * batch written at once (a reader waiting on a pipe sees it without delay),
 * until SIGINT or SIGTERM.
 */
export const followCommand = Command.make(
  "follow",
  {
    dir: dirArg,
    fromLsn: lsnOption("from-lsn", "the first commit LSN to print (default: the oldest transaction the log holds whole)"),
    json: jsonOption
  },
  ({ dir: input, fromLsn: fromText, json }) =>
    runBody(Effect.gen(function*() {
      const fromLsn = yield* parseOptionalLsn("from-lsn", fromText)
      const dir = path.resolve(input)
      if (!fs.existsSync(dir)) return yield* Effect.fail(failed(`${input}: no such directory`))
      const output = yield* Output
      endsBySignal.expected = true
      const transactions = Stream.mapError(Follow.directory(dir, { fromLsn }), (e) => failed(describeError(e, input)))
      yield* forEachChunk(transactions, (batch) => {
        let text = ""
        for (const tx of batch) {
          text += json
            ? `{"commit_lsn":"${tx.commitLsn}","events":${LoraJson.stringifyEvents(tx.events)}}\n`
            : `commit ${tx.commitLsn}  ${eventsSummary(tx.events)}\n`
        }
        return Effect.zipRight(output.out(text), output.flush)
      })
    }))
).pipe(Command.withDescription(describe(
  "Print each committed transaction as another process commits it (read-only, no lock), from the log's oldest whole transaction or --from-lsn, until SIGINT or SIGTERM (exit 0). With --json, one {\"commit_lsn\":\"…\",\"events\":[…]} line each, as replay --jsonl.",
  "lora-wal follow /var/lib/app/wal --from-lsn 1200 --json | jq -c .events"
)))
