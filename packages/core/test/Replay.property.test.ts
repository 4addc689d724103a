import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as fc from "effect/FastCheck"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as Replay from "../src/Replay.js"
import { buildLog as build, logAction as action } from "./logActions.js"

describe("replay properties", () => {
  it("collected replay returns exactly the committed transactions, in commit order", () =>
    fc.assert(
      fc.asyncProperty(fc.array(action, { maxLength: 40 }), fc.uint8Array({ maxLength: 30 }), async (actions, tail) => {
        const log = build(actions)
        const outcome = await Effect.runPromise(Replay.replayDir("/log").pipe(Effect.provide(log.layer(tail))))
        expect(outcome.committedEvents).toEqual(log.committed.flatMap((t) => t.events))
        expect(Option.isSome(outcome.tornTail)).toBe(tail.length > 0)
      }),
      { numRuns: 300 }
    ))

  it("streaming and collected replay agree at every fence", () =>
    fc.assert(
      fc.asyncProperty(
        fc.array(action, { maxLength: 40 }),
        fc.uint8Array({ maxLength: 30 }),
        fc.nat({ max: 120 }),
        fc.integer({ min: 1, max: 400 }),
        async (actions, tail, fenceRaw, chunkBytes) => {
          const log = build(actions)
          const fence = BigInt(fenceRaw)
          const layer = log.layer(tail)
          const collected = await Effect.runPromiseExit(
            Replay.replayDir("/log", { fence }).pipe(Effect.provide(layer))
          )
          const streamed = await Effect.runPromiseExit(
            Stream.runCollect(Replay.stream("/log", { fence, chunkBytes })).pipe(Effect.provide(layer))
          )
          if (Exit.isSuccess(collected)) {
            expect(Exit.isSuccess(streamed)).toBe(true)
            const transactions = Chunk.toArray(Exit.isSuccess(streamed) ? streamed.value : Chunk.empty())
            expect(transactions.flatMap((t) => t.events)).toEqual(collected.value.committedEvents)
            if (fence === 0n) {
              expect(transactions.map((t) => [t.beginLsn, t.commitLsn])).toEqual(
                log.committed.map((t) => [t.beginLsn, t.commitLsn])
              )
            }
          } else {
            expect(streamed).toEqual(collected)
          }
        }
      ),
      { numRuns: 300 }
    ))
})
