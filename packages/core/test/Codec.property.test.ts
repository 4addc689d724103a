import { Arbitraries } from "@lora-wal/testkit"
import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as fc from "effect/FastCheck"
import * as Schema from "effect/Schema"
import { Writer } from "../src/Bytes.js"
import * as LoraCodec from "../src/LoraCodec.js"
import * as LoraJson from "../src/LoraJson.js"
import { unsafeMake as lsn } from "../src/Lsn.js"
import type { MutationEvent } from "../src/MutationEvent.js"
import * as WalRecord from "../src/WalRecord.js"

const encodeRecord = (record: WalRecord.WalRecord<MutationEvent>): Uint8Array => {
  const writer = new Writer(64)
  const length = WalRecord.encode(LoraCodec.codec, writer, record)
  expect(Either.isRight(length)).toBe(true)
  return writer.written.slice()
}

const decodeRecord = (bytes: Uint8Array) => {
  const decoded = WalRecord.decode(LoraCodec.codec, bytes, 0, bytes.length)
  if (decoded._tag !== "Record") throw new Error(`expected a record, got ${JSON.stringify(decoded)}`)
  expect(decoded.length).toBe(bytes.length)
  return decoded.record
}

const lsnArb = fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }).map(lsn)

const recordArb: fc.Arbitrary<WalRecord.WalRecord<MutationEvent>> = fc.oneof(
  fc.record({ lsn: lsnArb, txBeginLsn: lsnArb, event: Arbitraries.mutationEvent }).map((r) => ({
    _tag: "Mutation" as const,
    ...r
  })),
  fc.record({
    lsn: lsnArb,
    txBeginLsn: lsnArb,
    events: fc.array(Arbitraries.mutationEvent, { minLength: 1, maxLength: 5 })
  }).map((r) => ({ _tag: "MutationBatch" as const, ...r })),
  lsnArb.map((l) => ({ _tag: "TxBegin" as const, lsn: l })),
  fc.record({ lsn: lsnArb, txBeginLsn: lsnArb }).map((r) => ({ _tag: "TxCommit" as const, ...r })),
  fc.record({ lsn: lsnArb, txBeginLsn: lsnArb }).map((r) => ({ _tag: "TxAbort" as const, ...r })),
  fc.record({ lsn: lsnArb, snapshotLsn: lsnArb }).map((r) => ({ _tag: "Checkpoint" as const, ...r }))
)

describe("codec and framing properties", () => {
  it("every record kind round-trips, and re-encoding is byte-identical", () => {
    fc.assert(
      fc.property(recordArb, (record) => {
        const bytes = encodeRecord(record)
        const decoded = decodeRecord(bytes)
        expect(decoded).toEqual(record)
        expect(encodeRecord(decoded)).toEqual(bytes)
      }),
      { numRuns: 2000 }
    )
  })

  it("a record read from a Node Buffer that shares a larger allocation decodes the same (vectors included)", () => {
    fc.assert(
      fc.property(recordArb, fc.nat({ max: 15 }), fc.nat({ max: 15 }), (record, before, after) => {
        const bytes = encodeRecord(record)
        // Like fs.readFile's result or a slice of one: a view at some offset into a shared buffer.
        const shared = Buffer.alloc(before + bytes.length + after, 0x7f)
        shared.set(bytes, before)
        const view = shared.subarray(before, before + bytes.length)
        expect(decodeRecord(view)).toEqual(record)
      }),
      { numRuns: 1000 }
    )
  })

  it("map keys are written in UTF-8 byte order whatever the insertion order", () => {
    fc.assert(
      fc.property(fc.uniqueArray(Arbitraries.text, { minLength: 2, maxLength: 6 }), (keys) => {
        const event = (order: ReadonlyArray<string>): MutationEvent => ({
          _tag: "CreateNode",
          id: 1n,
          labels: [],
          properties: new Map(order.map((k) => [k, { _tag: "Null" }]))
        })
        const reversed = encodeRecord({ _tag: "Mutation", lsn: lsn(2n), txBeginLsn: lsn(1n), event: event([...keys].reverse()) })
        const forward = encodeRecord({ _tag: "Mutation", lsn: lsn(2n), txBeginLsn: lsn(1n), event: event(keys) })
        expect(reversed).toEqual(forward)
        const decoded = decodeRecord(forward) as Extract<WalRecord.WalRecord<MutationEvent>, { _tag: "Mutation" }>
        const written = Array.from((decoded.event as Extract<MutationEvent, { _tag: "CreateNode" }>).properties.keys())
        const utf8 = written.map((k) => Buffer.from(k, "utf8"))
        for (let i = 1; i < utf8.length; i++) expect(Buffer.compare(utf8[i - 1]!, utf8[i]!)).toBe(-1)
      }),
      { numRuns: 500 }
    )
  })

  it("the fixture JSON form round-trips every event", () => {
    const decode = Schema.decodeUnknownSync(LoraJson.MutationEventFromJson)
    fc.assert(
      fc.property(Arbitraries.mutationEvent, (event) => {
        // Structural equality (NaN equals NaN): the JSON form spells vector and
        // point NaNs as "NaN", so only Float values keep their payload bits.
        expect(decode(JSON.parse(JSON.stringify(Schema.encodeSync(LoraJson.MutationEventFromJson)(event))))).toEqual(event)
      }),
      { numRuns: 1000 }
    )
  })

  it("a property or map key named __proto__ survives the JSON form", () => {
    const decode = Schema.decodeUnknownSync(LoraJson.MutationEventFromJson)
    const event: MutationEvent = {
      _tag: "CreateNode",
      id: 1n,
      labels: [],
      properties: new Map([
        ["__proto__", { _tag: "Int", value: 1n }],
        ["m", { _tag: "Map", entries: new Map([["__proto__", { _tag: "Null" }]]) }]
      ])
    }
    expect(decode(JSON.parse(JSON.stringify(Schema.encodeSync(LoraJson.MutationEventFromJson)(event))))).toEqual(event)
  })

  it("Float values keep their exact bits through the JSON form", () => {
    const decode = Schema.decodeUnknownSync(LoraJson.MutationEventFromJson)
    fc.assert(
      fc.property(Arbitraries.f64, (value) => {
        const event: MutationEvent = { _tag: "SetNodeProperty", nodeId: 1n, key: "f", value: { _tag: "Float", value } }
        const record = (e: MutationEvent) => encodeRecord({ _tag: "Mutation", lsn: lsn(2n), txBeginLsn: lsn(1n), event: e })
        expect(record(decode(JSON.parse(JSON.stringify(Schema.encodeSync(LoraJson.MutationEventFromJson)(event)))))).toEqual(record(event))
      }),
      { numRuns: 2000 }
    )
  })

  it("an empty batch is an Encode error and leaves the writer unchanged", () => {
    const writer = new Writer(8)
    writer.u8(7)
    const result = WalRecord.encode(LoraCodec.codec, writer, { _tag: "MutationBatch", lsn: lsn(2n), txBeginLsn: lsn(1n), events: [] })
    expect(Either.isLeft(result) && result.left.message).toBe(
      "WAL record could not be encoded: mutation batch must contain at least one event"
    )
    expect(writer.written).toEqual(Uint8Array.of(7))
  })

  it("refuses values it could not read back", () => {
    const writer = new Writer(8)
    const nested = (depth: number): any => depth === 0 ? { _tag: "Null" } : { _tag: "List", items: [nested(depth - 1)] }
    const bad: Array<[MutationEvent, string]> = [
      [{ _tag: "DeleteNode", nodeId: -1n }, "node id -1 is outside the u64 range"],
      [{ _tag: "SetNodeProperty", nodeId: 1n, key: "k", value: { _tag: "Int", value: 2n ** 63n } }, "outside the i64 range"],
      [{ _tag: "AddNodeLabel", nodeId: 1n, label: "\ud800" }, "lone UTF-16 surrogate"],
      [{ _tag: "SetNodeProperty", nodeId: 1n, key: "k", value: nested(LoraCodec.MAX_NESTING + 1) }, "nesting deeper"],
      [{ _tag: "Nope" } as any, "unknown mutation event type Nope"]
    ]
    for (const [event, message] of bad) {
      const result = WalRecord.encode(LoraCodec.codec, writer, { _tag: "Mutation", lsn: lsn(2n), txBeginLsn: lsn(1n), event })
      expect(Either.isLeft(result) && result.left._tag).toBe("Encode")
      expect(Either.isLeft(result) && result.left.message).toContain(message)
      expect(writer.length).toBe(0)
    }
  })
})
