import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Inspect from "../src/Inspect.js"
import { scenarios } from "./fixtures.js"

const dir = scenarios.find((s) => s.name === "many-commits-rotating")!.walDir

describe("Inspect.segments", () => {
  it.scoped("a segment's records and payloads can no longer be read once the next segment is pulled", () =>
    Effect.gen(function*() {
      const pull = yield* Stream.toPull(Stream.rechunk(Inspect.segments(dir), 1))
      const first = Chunk.unsafeHead(yield* pull)
      const records = first.records[Symbol.iterator]()
      const record = records.next().value!
      expect(record).toMatchObject({ _tag: "Record", kindName: "TxBegin", offset: 32 })
      const second = Chunk.unsafeHead(yield* pull)
      expect(second.name).toBe("0000000002.wal")
      // The buffer now holds the second segment: reading the first must fail, not read the second's bytes.
      expect(() => records.next()).toThrow(/0000000001\.wal was read after the next segment was pulled/)
      expect(() => Array.from(first.records)).toThrow(/0000000001\.wal/)
      expect(() => first.payload(record as Extract<Inspect.RecordInfo, { _tag: "Record" }>)).toThrow(/0000000001\.wal/)
      expect(Array.from(second.records).length).toBeGreaterThan(0)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.effect("records and payloads agree with the whole-file framing", () =>
    Effect.gen(function*() {
      const views = yield* Inspect.segments(dir).pipe(
        Stream.map((s) => ({
          name: s.name,
          records: Array.from(s.records),
          events: Array.from(s.records).map((r) => (r._tag === "Record" ? s.payload(r) : undefined))
        })),
        Stream.runCollect
      )
      const files = (yield* Inspect.inspectDir(dir)).filter((f) => f.segmentId !== undefined)
      expect(Chunk.toReadonlyArray(views).map((v) => [v.name, v.records])).toEqual(files.map((f) => [f.name, f.records]))
      const payloads = Chunk.toReadonlyArray(views).flatMap((v) => v.events)
      expect(payloads.filter((p) => p?._tag === "Events").length).toBe(400)
    }).pipe(Effect.provide(NodeContext.layer)))
})
