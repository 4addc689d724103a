import * as Layer from "effect/Layer"
import * as Path from "@effect/platform/Path"
import { MemoryFileSystem } from "@lora-wal/testkit"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { Writer } from "../src/Bytes.js"
import * as EventCodec from "../src/EventCodec.js"
import * as LoraCodec from "../src/LoraCodec.js"
import { unsafeMake as lsn } from "../src/Lsn.js"
import * as WalRecord from "../src/WalRecord.js"
import * as Replay from "../src/Replay.js"
import * as Segment from "../src/Segment.js"

class Deposited extends Schema.TaggedClass<Deposited>()("Deposited", {
  account: Schema.String,
  cents: Schema.BigInt
}) {}
class Withdrawn extends Schema.TaggedClass<Withdrawn>()("Withdrawn", {
  account: Schema.String,
  cents: Schema.BigInt
}) {}
const BankEvent = Schema.Union(Deposited, Withdrawn)
const bankCodec = EventCodec.fromSchema(BankEvent)

const writeLog = <E>(codec: EventCodec.EventCodec<E>, transactions: ReadonlyArray<ReadonlyArray<E>>) => {
  const writer = new Writer()
  writer.raw(Segment.encodeHeader({ baseLsn: lsn(1n) }))
  let next = 1n
  for (const events of transactions) {
    const begin = lsn(next++)
    for (const record of [
      { _tag: "TxBegin", lsn: begin },
      { _tag: "MutationBatch", lsn: lsn(next++), txBeginLsn: begin, events },
      { _tag: "TxCommit", lsn: lsn(next++), txBeginLsn: begin }
    ] as const) {
      expect(Either.isRight(WalRecord.encode(codec, writer, record))).toBe(true)
    }
  }
  const state = new MemoryFileSystem.MemoryState()
  state.write(`/log/${Segment.fileName(1n as Segment.SegmentId)}`, writer.written)
  return MemoryFileSystem.layerWith(state)
}

describe("EventCodec.fromSchema", () => {
  const transactions = [
    [new Deposited({ account: "a", cents: 2n ** 70n }), new Withdrawn({ account: "a", cents: 5n })],
    [new Deposited({ account: "b", cents: 1n })]
  ]

  it.effect("logs an application's own events through the same framing and replay", () =>
    Effect.gen(function*() {
      const outcome = yield* Replay.replayDir("/log", { codec: bankCodec })
      expect(outcome.committedEvents).toEqual(transactions.flat())
      expect(outcome.maxLsn).toBe(6n)
    }).pipe(Effect.provide(Layer.provideMerge(writeLog(bankCodec, transactions), Path.layer))))

  it.effect("the LoraDB codec refuses a log written with another codec instead of misreading it", () =>
    Effect.gen(function*() {
      const outcome = yield* Replay.replayDir("/log", { codec: LoraCodec.codec })
      expect(outcome.committedEvents).toEqual([])
      expect(outcome.tornTail._tag === "Some" && outcome.tornTail.value.cause.message).toBe(
        "WAL record could not be decoded: WAL mutation payload has bad magic"
      )
    }).pipe(Effect.provide(Layer.provideMerge(writeLog(bankCodec, transactions), Path.layer))))

  it("an event the schema rejects is an Encode error naming the problem", () => {
    const writer = new Writer()
    const result = WalRecord.encode(bankCodec, writer, {
      _tag: "Mutation",
      lsn: lsn(2n),
      txBeginLsn: lsn(1n),
      event: { _tag: "Deposited", account: 7, cents: 1n } as any
    })
    expect(Either.isLeft(result) && result.left._tag).toBe("Encode")
    expect(Either.isLeft(result) && result.left.message).toContain("account")
  })

  it("make rejects a magic that is not four bytes", () => {
    expect(() => EventCodec.make({ magic: "LW", write: () => {}, read: () => 1 })).toThrow("4 bytes")
  })
})
