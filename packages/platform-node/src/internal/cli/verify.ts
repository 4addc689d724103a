import * as Command from "@effect/cli/Command"
import * as ReplayReport from "@lora-wal/core/ReplayReport"
import * as Verify from "@lora-wal/core/Verify"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as path from "node:path"
import {
  describe,
  describeError,
  dirArg,
  failed,
  jsonOption,
  lsnOption,
  parseOptionalLsn,
  printJson,
  printLines,
  progress,
  runBody,
  setExitCode,
  withLock
} from "./common.js"
import { probeLock } from "./status.js"

const LOCKED = "locked: a live handle has the log open, so its active segment may be changing under the check"
const LOCK_UNKNOWN = "lock: cannot be taken here (read-only?), so whether a live handle holds the log is unknown"

const snakeCase = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)

/** A field as JSON: LSNs and ids as decimal strings, nested objects with snake_case keys. */
const jsonValue = (value: unknown): unknown =>
  typeof value === "bigint"
    ? String(value)
    : typeof value === "object" && value !== null
    ? Object.fromEntries(Object.entries(value).map(([k, v]) => [snakeCase(k), jsonValue(v)]))
    : value

/**
 * A problem as JSON, in the snake_case of the tool's other JSON: `problem`
 * (its kind), its fields, CRCs as the hex the line shows, and the line.
 */
const problemJson = (problem: Verify.Problem) => {
  const { _tag, ...fields } = problem
  const hex = (n: unknown) => `0x${Number(n).toString(16).padStart(8, "0")}`
  return {
    problem: _tag,
    ...(jsonValue(fields) as Record<string, unknown>),
    ...(_tag === "CrcMismatch" ? { expected: hex(problem.expected), actual: hex(problem.actual) } : {}),
    message: Verify.describe(problem)
  }
}

export const verifyCommand = Command.make(
  "verify",
  {
    dir: dirArg,
    fence: lsnOption("fence", "the snapshot's LSN: the log must reach back to it (not checked when absent)"),
    json: jsonOption
  },
  ({ dir: input, fence: fenceText, json }) =>
    runBody(Effect.gen(function*() {
      const dir = path.resolve(input)
      const fence = yield* parseOptionalLsn("fence", fenceText)
      const onProgress = yield* progress("verify")
      const result = yield* Effect.either(Verify.verifyDir(dir, { fence, onProgress }))
      if (Either.isLeft(result)) {
        if (json) yield* printJson({ ok: false, error: ReplayReport.error(result.left, dir) })
        return yield* Effect.fail(failed(describeError(result.left, input)))
      }
      const report = result.right
      const locked = yield* probeLock(dir)
      const healthy = report.problems.length === 0 && report.omitted === 0 && locked !== true
      yield* json
        ? printJson({
          ok: healthy,
          locked,
          problems: report.problems.map(problemJson),
          omitted_problems: report.omitted,
          summary: Verify.summarize(report)
        })
        : printLines([
          ...report.problems.map(Verify.describe),
          ...(locked === true ? [LOCKED] : locked === "unknown" ? [LOCK_UNKNOWN] : []),
          Verify.summarize(report)
        ])
      if (!healthy) yield* setExitCode(1)
    }).pipe(withLock))
).pipe(Command.withDescription(describe(
  "Check every segment and record of a log at rest and name every problem, one line each with its file and offset, and what opening the log would do about it. Exit codes: 0 healthy, 1 damaged, malformed, unreadable or held open by a live handle, 2 usage.",
  "lora-wal verify /var/lib/app/wal --fence 1200 || echo 'the log needs attention'"
)))
