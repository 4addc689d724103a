import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Inspect from "../src/Inspect.js"
import * as Replay from "../src/Replay.js"
import * as ReplayReport from "../src/ReplayReport.js"
import { scenarios } from "./fixtures.js"

/** What a reader of the printed report gets back. */
const reread = <A, I>(schema: Schema.Schema<A, I>, encoded: I): A =>
  Schema.decodeUnknownSync(schema)(JSON.parse(JSON.stringify(encoded)))

describe("ReplayReport", () => {
  for (const scenario of scenarios) {
    it.effect(`${scenario.name}: the printed replay report decodes back to the outcome`, () =>
      Effect.gen(function*() {
        const result = yield* Effect.either(Replay.replayDir(scenario.walDir))
        if (Either.isLeft(result)) {
          const report = reread(ReplayReport.ReplayReport, ReplayReport.replayError(result.left, scenario.walDir))
          expect(report).toEqual({ ok: false, error: ReplayReport.error(result.left, scenario.walDir) })
          return
        }
        const outcome = result.right
        const report = reread(ReplayReport.ReplayReport, ReplayReport.replayOutcome(outcome, scenario.walDir))
        expect(report).toEqual({
          ok: true,
          event_count: outcome.committedEvents.length,
          max_lsn: outcome.maxLsn,
          torn_tail: Option.getOrNull(Option.map(outcome.tornTail, (torn) => ({
            segment_file: torn.segmentFile,
            segment_path: `<dir>/${torn.segmentFile}`,
            last_good_offset: torn.lastGoodOffset,
            error: ReplayReport.error(torn.cause, scenario.walDir),
            classification: torn.classification
          }))),
          checkpoint_lsn_observed: Option.getOrNull(outcome.checkpointLsnObserved),
          committed_events: outcome.committedEvents
        })
      }).pipe(Effect.provide(NodeContext.layer)))

    it.effect(`${scenario.name}: every printed file report decodes back to the file`, () =>
      Effect.gen(function*() {
        const files = yield* Inspect.inspectDir(scenario.walDir)
        expect(files.map((f) => reread(ReplayReport.FileReport, ReplayReport.file(f)))).toEqual(files)
      }).pipe(Effect.provide(NodeContext.layer)))
  }

  it("rejects a report whose LSN is not a u64, naming the field", () => {
    const decoded = Schema.decodeUnknownEither(ReplayReport.ReplayReport)({
      ok: true,
      event_count: 0,
      max_lsn: "-1",
      torn_tail: null,
      checkpoint_lsn_observed: null,
      committed_events: []
    })
    expect(Either.isLeft(decoded)).toBe(true)
    if (Either.isLeft(decoded)) {
      const issues = ParseResult.ArrayFormatter.formatErrorSync(decoded.left)
      expect(issues.map(({ message, path }) => ({ message, path }))).toEqual([
        { path: ["max_lsn"], message: "expected a u64 as a decimal string" }
      ])
    }
  })
})
