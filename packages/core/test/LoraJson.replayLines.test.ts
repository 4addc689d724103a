import { describe, expect, it } from "@effect/vitest"
import { Arbitraries } from "@lora-wal/testkit"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as fc from "effect/FastCheck"
import * as Stream from "effect/Stream"
import { DecodeFailure, Writer } from "../src/Bytes.js"
import * as EventCodec from "../src/EventCodec.js"
import { jsonCodec } from "../src/internal/jsonLines/eventJson.js"
import { EventTexts } from "../src/internal/jsonLines/eventTexts.js"
import * as LoraCodec from "../src/LoraCodec.js"
import * as LoraJson from "../src/LoraJson.js"
import type { MutationEvent } from "../src/MutationEvent.js"
import type { PropertyValue } from "../src/PropertyValue.js"
import * as V from "../src/PropertyValue.js"
import * as Replay from "../src/Replay.js"
import { buildLog, replayCase } from "./logActions.js"

const oneEvent = (event: MutationEvent): string => LoraJson.stringifyEvents([event]).slice(1, -1)

const payloadOf = (events: ReadonlyArray<MutationEvent>): Uint8Array => {
  const writer = new Writer()
  EventCodec.encodeBatch(LoraCodec.codec, writer, events)
  return writer.written.slice()
}

/** What the LoraDB codec makes of a batch payload: each event's JSON, or its DecodeFailure's message. */
const throughCodec = (payload: Uint8Array): { readonly texts: Array<string> } | { readonly failure: string } => {
  try {
    return { texts: EventCodec.decodeBatch(LoraCodec.codec, payload).map(oneEvent) }
  } catch (e) {
    return { failure: (e as DecodeFailure).message }
  }
}

/** What the JSON codec makes of it, and how many events its direct path left to the codec. */
const throughJson = (payload: Uint8Array) => {
  const texts = new EventTexts()
  const json = jsonCodec(texts, oneEvent)
  try {
    const slots = EventCodec.decodeBatch(json.codec, payload)
    const bytes = texts.bytes.bytes
    const decoded = slots.map((slot) => new TextDecoder().decode(bytes.subarray(texts.start(slot), texts.end(slot))))
    return { result: { texts: decoded }, fallbacks: json.fallbacks() }
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeFailure)
    return { result: { failure: (e as DecodeFailure).message }, fallbacks: json.fallbacks() }
  }
}

/** Whether every part of `event` is a shape the direct path writes itself. */
const directShape = (event: MutationEvent): boolean => {
  const key = (k: string) => !/^(?:0|[1-9][0-9]{0,9})$/.test(k) || Number(k) > 0xffff_fffe
  const entries = (map: ReadonlyMap<string, PropertyValue>, depth: number): boolean => {
    const keys = Array.from(map.keys())
    return keys.every(key) && Array.from(map.values()).every((v) => value(v, depth))
  }
  const value = (v: PropertyValue, depth: number): boolean => {
    switch (v._tag) {
      case "Vector":
      case "Binary":
        return false
      case "Float":
        return !Number.isNaN(v.value)
      case "List":
        return depth < 32 && v.items.every((item) => value(item, depth + 1))
      case "Map":
        return depth < 32 && entries(v.entries, depth + 1)
      default:
        return true
    }
  }
  switch (event._tag) {
    case "CreateNode":
    case "CreateRelationship":
      return entries(event.properties, 0)
    case "SetNodeProperty":
    case "SetRelationshipProperty":
      return value(event.value, 0)
    default:
      return true
  }
}

/** A byte changed, bytes cut or bytes inserted, at a place the numbers pick. */
const damage = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 9 }) }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 9 }) })
)

type Damage = typeof damage extends fc.Arbitrary<infer D> ? D : never

const damaged = (payload: Uint8Array, d: Damage): Uint8Array => {
  const at = d.at % (payload.length + 1)
  if (d.kind === "flip") {
    const copy = payload.slice()
    if (at < copy.length) copy[at] = d.value
    return copy
  }
  if (d.kind === "cut") return Uint8Array.of(...payload.subarray(0, at), ...payload.subarray(at + d.count))
  return Uint8Array.of(...payload.subarray(0, at), ...d.bytes, ...payload.subarray(at))
}

describe("the JSON codec", () => {
  it("writes exactly stringifyEvents' text for every event the LoraDB codec reads", () =>
    fc.assert(
      fc.property(fc.array(Arbitraries.mutationEvent, { minLength: 1, maxLength: 6 }), (events) => {
        const payload = payloadOf(events)
        const { fallbacks, result } = throughJson(payload)
        expect(result).toEqual(throughCodec(payload))
        // The direct path writes the shapes it knows itself (a path that gave every event to the codec would pass the rest).
        if (events.every(directShape)) expect(fallbacks).toBe(0)
      }),
      { numRuns: 1000 }
    ))

  it("accepts exactly the payloads the LoraDB codec accepts, and fails with its message", () =>
    fc.assert(
      fc.property(fc.array(Arbitraries.mutationEvent, { minLength: 1, maxLength: 4 }), fc.array(damage, { minLength: 1, maxLength: 3 }), (events, damages) => {
        const payload = damages.reduce(damaged, payloadOf(events))
        expect(throughJson(payload).result).toEqual(throughCodec(payload))
      }),
      { numRuns: 2000 }
    ))

  it.each([
    ["escapes and text beyond ASCII", V.string("a\"b\\c\n\t\u0000\u001f\u007f é \u2028 😀")],
    ["a byte order mark kept at the start", V.string("\ufeffx")],
    ["-0, the infinities, the smallest subnormal, a float past 2^53", V.list([V.float(-0), V.float(Infinity), V.float(-Infinity), V.float(5e-324), V.float(2 ** 70), V.float(-1.5)])],
    ["i64 and u64 extremes", V.list([V.int(-(2n ** 63n)), V.int(2n ** 63n - 1n), V.int(-(2n ** 53n)), V.int(2n ** 53n)])],
    ["temporal values and points", V.list([
      { _tag: "Date", year: -5, month: 2, day: 29 },
      { _tag: "Time", hour: 23, minute: 59, second: 60, nanosecond: 999_999_999, offsetSeconds: -3600 },
      { _tag: "LocalTime", hour: 0, minute: 0, second: 0, nanosecond: 0 },
      { _tag: "DateTime", year: 2026, month: 11, day: 30, hour: 12, minute: 0, second: 0, nanosecond: 1, offsetSeconds: 7200 },
      { _tag: "LocalDateTime", year: 1, month: 1, day: 1, hour: 1, minute: 1, second: 1, nanosecond: 1 },
      { _tag: "Duration", months: -1n, days: 2n ** 63n - 1n, seconds: -(2n ** 63n), nanoseconds: 0n },
      { _tag: "Point", x: NaN, y: -0, z: 1.5, srid: 4326 },
      { _tag: "Point", x: 1, y: 2, z: undefined, srid: 7203 }
    ])],
    ["a map with keys in byte order", V.map({ "": V.null, a: V.bool(true), "é": V.bool(false), z: V.string("") })]
  ])("the direct path writes %s", (_, value) => {
    const events: Array<MutationEvent> = [{ _tag: "SetNodeProperty", nodeId: 2n ** 64n - 1n, key: "k", value }]
    const { fallbacks, result } = throughJson(payloadOf(events))
    expect(result).toEqual(throughCodec(payloadOf(events)))
    expect(fallbacks).toBe(0)
  })

  it.each([
    ["array-index keys, which a JSON object lists first", V.map({ "10": V.null, "2": V.null, a: V.null })],
    ["a NaN, whose payload bits the codec keeps", V.float(NaN)],
    ["a vector", V.vector(Float32Array.of(1.5, -0))],
    ["binary segments", V.binary(Uint8Array.of(0, 255))],
    ["a list nested 40 deep", Array.from({ length: 40 }).reduce<PropertyValue>((inner) => V.list([inner]), V.null)]
  ])("the codec writes %s", (_, value) => {
    const events: Array<MutationEvent> = [{ _tag: "SetRelationshipProperty", relId: 1n, key: "k", value }]
    const { fallbacks, result } = throughJson(payloadOf(events))
    expect(result).toEqual(throughCodec(payloadOf(events)))
    expect(fallbacks).toBe(1)
  })
})

/** The lines as a library user would write them from `Replay.stream`. */
const linesOf = (transactions: ReadonlyArray<Replay.Transaction<MutationEvent>>): string =>
  transactions.map((tx) => `{"commit_lsn":"${tx.commitLsn}","events":${LoraJson.stringifyEvents(tx.events)}}\n`).join("")

describe("LoraJson.replayLines", () => {
  it("prints the lines of Replay.stream's transactions, and fails where it fails after the same lines", () =>
    fc.assert(
      fc.asyncProperty(replayCase, async ({ actions, chunkBytes, fence, tail }) => {
        const layer = buildLog(actions).layer(tail)
        const streamed: Array<Replay.Transaction<MutationEvent>> = []
        const expected = await Effect.runPromiseExit(
          Stream.runForEach(Replay.stream("/log", { fence: BigInt(fence), chunkBytes }), (tx) => Effect.sync(() => void streamed.push(tx)))
            .pipe(Effect.provide(layer))
        )
        let printed = ""
        const handed: Array<string> = []
        const actual = await Effect.runPromiseExit(
          LoraJson.replayLines("/log", {
            fence: BigInt(fence),
            chunkBytes,
            onLines: (bytes) => Effect.sync(() => void handed.push(new TextDecoder().decode(bytes)))
          }).pipe(Effect.provide(layer))
        )
        printed = handed.join("")
        expect(printed).toBe(linesOf(streamed))
        for (const piece of handed) expect(piece.endsWith("\n")).toBe(true)
        if (Exit.isSuccess(expected)) expect(Exit.isSuccess(actual)).toBe(true)
        else expect(Exit.mapBoth(actual, { onFailure: (e) => e, onSuccess: () => undefined })).toEqual(expected)
      }),
      { numRuns: 300 }
    ))

  it.effect("keeps an open transaction's events while what committed around it is released and compacted", () =>
    Effect.gen(function*() {
      // A transaction begun first and committed last, with ~2 MiB of other transactions in
      // between: its events outlive many releases and at least one compaction of the texts.
      const event = (id: number): MutationEvent => ({ _tag: "SetNodeProperty", nodeId: BigInt(id), key: "name", value: V.string(`value-${id}`) })
      const log = buildLog([{ _tag: "begin" }, { _tag: "mutation", which: 0, event: event(1_000_001) }])
      const first = log.openTransactions[0]!
      for (let i = 0; i < 20_000; i++) log.commitTx([event(i), event(i + 1)])
      log.mutation(first, event(1_000_002))
      log.commit(first)
      const handed: Array<string> = []
      const summary = yield* LoraJson.replayLines("/log", {
        chunkBytes: 4096,
        onLines: (bytes) => Effect.sync(() => void handed.push(new TextDecoder().decode(bytes)))
      }).pipe(Effect.provide(log.layer()))
      expect(handed.join("")).toBe(linesOf(log.committed.map((tx) => ({ ...tx, beginLsn: tx.beginLsn as never, commitLsn: tx.commitLsn as never }))))
      expect(handed.length).toBeGreaterThan(1)
      expect(summary.maxLsn).toBe(log.nextLsn - 1n)
      const last = JSON.parse(handed.join("").trimEnd().split("\n").at(-1)!)
      expect(last.events.map((e: { readonly node_id: string }) => e.node_id)).toEqual(["1000001", "1000002"])
    }))

  it.effect("a pull reads at most one chunk: what fenced or aborted records decoded is released as it goes", () =>
    Effect.gen(function*() {
      const log = buildLog([])
      for (let i = 0; i < 2000; i++) {
        if (i % 2 === 0) log.commitTx([{ _tag: "DeleteNode", nodeId: BigInt(i) }])
        else {
          const tx = log.begin()
          log.batch(tx, [{ _tag: "DeleteNode", nodeId: BigInt(i) }])
          log.abort(tx)
        }
      }
      let reads = 0
      let pulls = 0
      let empty = 0
      yield* Effect.scoped(Effect.gen(function*() {
        // Everything at or below the fence: nothing is released to the caller until the end.
        const { pull } = yield* Replay.refusingCursor("/log", LoraCodec.codec, {
          fence: log.nextLsn - 1n,
          chunkBytes: 4096,
          onProgress: () => Effect.sync(() => void reads++)
        })
        for (;;) {
          const before = reads
          const batch = yield* pull
          pulls++
          expect(reads - before).toBeLessThanOrEqual(1)
          if (batch === undefined) break
          expect(batch).toEqual([])
          empty++
        }
      })).pipe(Effect.provide(log.layer()))
      // The caller had control back after every read, with nothing to print.
      expect(reads).toBeGreaterThan(10)
      expect(pulls).toBeGreaterThanOrEqual(reads)
      expect(empty).toBe(pulls - 1)
    }))
})

describe("EventTexts", () => {
  it("keeps the texts of open transactions intact and its buffer within twice them and a slack", () => {
    const texts = new EventTexts()
    const write = (text: string) => {
      const slot = texts.open()
      texts.bytes.raw(new TextEncoder().encode(text))
      texts.close(slot)
      return slot
    }
    const textOf = (slot: number) =>
      new TextDecoder().decode(texts.bytes.bytes.subarray(texts.start(slot), texts.end(slot)))
    const long: Array<number> = []
    const longTexts: Array<string> = []
    let peak = 0
    for (let round = 0; round < 3000; round++) {
      const text = `{"open":${round},"pad":"${"x".repeat(round % 97)}"}`
      long.push(write(text))
      longTexts.push(text)
      for (let i = 0; i < 64; i++) write(`{"committed":${round * 64 + i}}`)
      texts.release([long, []])
      peak = Math.max(peak, texts.bytes.length)
    }
    expect(long.map(textOf)).toEqual(longTexts)
    const live = longTexts.reduce((n, t) => n + t.length + 1, 0)
    expect(peak).toBeLessThanOrEqual(2 * live + (1 << 20) + 64 * 30)
    // Once nothing is open, the buffer starts over.
    texts.release([[]])
    expect(texts.bytes.length).toBe(0)
  })
})

