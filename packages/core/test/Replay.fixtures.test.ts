import * as Layer from "effect/Layer"
import * as Path from "@effect/platform/Path"
import { NodeFileSystem } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Replay from "../src/Replay.js"
import * as ReplayReport from "../src/ReplayReport.js"
import type { WalError } from "../src/WalError.js"
import { committedThroughOps, expectedJson, type ReplayJson, scenarios } from "./fixtures.js"

const replay = (dir: string, fence: string, chunkBytes?: number) =>
  Replay.replayDir(dir, { fence: BigInt(fence), chunkBytes }).pipe(
    Effect.map((outcome) => ({
      outcome,
      json: JSON.parse(JSON.stringify(ReplayReport.replayOutcome(outcome, dir))) as ReplayJson
    })),
    Effect.catchAll((error: WalError) =>
      Effect.succeed({ outcome: undefined, json: ReplayReport.replayError(error, dir) as ReplayJson })
    ),
    Effect.provide(Layer.provideMerge(NodeFileSystem.layer, Path.layer))
  )

describe("replay_dir against lora-wal 0.8.3 fixtures", () => {
  for (const scenario of scenarios) {
    for (const { fence, result } of scenario.expected.replay_dir) {
      it.effect(`${scenario.name} fence ${fence}`, () =>
        Effect.gen(function*() {
          const { json, outcome } = yield* replay(scenario.walDir, fence)
          // Small reads split records across chunk boundaries; the result must not change.
          expect((yield* replay(scenario.walDir, fence, 41)).json).toEqual(json)
          switch (scenario.name) {
            case "empty-segment-file": {
              // Deliberate difference: a newest segment shorter than its header is an
              // interrupted rotation and is ignored instead of failing with an I/O error.
              // Each commit_tx takes three LSNs (TxBegin, MutationBatch, TxCommit).
              const commits = scenario.ops.ops.filter((op) => op.op === "commit_tx" && op.events.length > 0)
              const events = committedThroughOps(scenario)
              expect(json).toEqual({
                ok: true,
                event_count: events.length,
                max_lsn: String(3 * commits.length),
                torn_tail: null,
                checkpoint_lsn_observed: null,
                committed_events: events
              })
              expect(Option.getOrThrow(outcome!.interruptedSegment)).toBe(`${scenario.walDir}/0000000002.wal`)
              return
            }
            case "segment-gap-in-middle": {
              // Deliberate difference: a missing middle segment is Malformed, naming it.
              expect(json.ok).toBe(false)
              expect(json.error!.variant).toBe("Malformed")
              expect(json.error!.display).toContain("segment 2 (0000000002.wal) is missing")
              return
            }
          }
          expect(json).toEqual(expectedJson(scenario.name, result))
        }))
    }
  }
})
