import * as Layer from "effect/Layer"
import * as Path from "@effect/platform/Path"
import { Arbitraries, MemoryFileSystem } from "@lora-wal/testkit"
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as fc from "effect/FastCheck"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type { MutationEvent } from "../src/MutationEvent.js"
import * as Replay from "../src/Replay.js"
import { LogBuilder } from "./logBuilder.js"

type Action =
  | { readonly _tag: "commitTx"; readonly events: Array<MutationEvent> }
  | { readonly _tag: "begin" }
  | { readonly _tag: "mutation"; readonly which: number; readonly event: MutationEvent }
  | { readonly _tag: "batch"; readonly which: number; readonly events: Array<MutationEvent> }
  | { readonly _tag: "commit"; readonly which: number }
  | { readonly _tag: "abort"; readonly which: number }
  | { readonly _tag: "checkpoint" }
  | { readonly _tag: "rotate" }

const events = fc.array(Arbitraries.mutationEvent, { minLength: 1, maxLength: 3 })
const which = fc.nat({ max: 7 })
const action: fc.Arbitrary<Action> = fc.oneof(
  { arbitrary: events.map((e) => ({ _tag: "commitTx" as const, events: e })), weight: 4 },
  fc.constant({ _tag: "begin" as const }),
  fc.record({ which, event: Arbitraries.mutationEvent }).map((r) => ({ _tag: "mutation" as const, ...r })),
  fc.record({ which, events }).map((r) => ({ _tag: "batch" as const, ...r })),
  which.map((w) => ({ _tag: "commit" as const, which: w })),
  which.map((w) => ({ _tag: "abort" as const, which: w })),
  fc.constant({ _tag: "checkpoint" as const }),
  fc.constant({ _tag: "rotate" as const })
)

/** Interprets actions into a valid log (actions on missing transactions are skipped). */
const build = (actions: ReadonlyArray<Action>): LogBuilder => {
  const log = new LogBuilder()
  let lastCheckpoint = 0n
  for (const a of actions) {
    const open = log.openTransactions
    const pick = "which" in a && open.length > 0 ? open[a.which % open.length] : undefined
    switch (a._tag) {
      case "commitTx":
        log.commitTx(a.events)
        break
      case "begin":
        log.begin()
        break
      case "mutation":
        if (pick !== undefined) log.mutation(pick, a.event)
        break
      case "batch":
        if (pick !== undefined) log.batch(pick, a.events)
        break
      case "commit":
        if (pick !== undefined) log.commit(pick)
        break
      case "abort":
        if (pick !== undefined) log.abort(pick)
        break
      case "checkpoint":
        lastCheckpoint = log.nextLsn - 1n > lastCheckpoint ? log.nextLsn - 1n : lastCheckpoint
        log.checkpoint(lastCheckpoint)
        break
      case "rotate":
        if (log.activeHasRecords) log.rotate()
        break
    }
  }
  return log
}

const withLog = (log: LogBuilder, tail: Uint8Array) => {
  const state = new MemoryFileSystem.MemoryState()
  const files = log.files()
  files.forEach(([name, bytes], i) => {
    const last = i === files.length - 1
    state.write(`/log/${name}`, last ? Uint8Array.of(...bytes, ...tail) : bytes)
  })
  return MemoryFileSystem.layerWith(state)
}

describe("replay properties", () => {
  it("collected replay returns exactly the committed transactions, in commit order", () =>
    fc.assert(
      fc.asyncProperty(fc.array(action, { maxLength: 40 }), fc.uint8Array({ maxLength: 30 }), async (actions, tail) => {
        const log = build(actions)
        const outcome = await Effect.runPromise(Replay.replayDir("/log").pipe(Effect.provide(Layer.provideMerge(withLog(log, tail), Path.layer))))
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
          const layer = withLog(log, tail)
          const collected = await Effect.runPromiseExit(
            Replay.replayDir("/log", { fence }).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
          )
          const streamed = await Effect.runPromiseExit(
            Stream.runCollect(Replay.stream("/log", { fence, chunkBytes })).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer)))
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
