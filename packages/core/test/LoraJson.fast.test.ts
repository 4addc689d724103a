import { Arbitraries } from "@lora-wal/testkit"
import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as fc from "effect/FastCheck"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Fast from "../src/internal/loraJsonFast.js"
import * as LoraJson from "../src/LoraJson.js"
import type { MutationEvent } from "../src/MutationEvent.js"
import * as PropertyValue from "../src/PropertyValue.js"
import { committedThroughOps, scenarios } from "./fixtures.js"

// The Schema path, as the command line took it before the fast path.
const EventsFromJson = Schema.Array(LoraJson.MutationEventFromJson)
const schemaStringify = (events: ReadonlyArray<MutationEvent>): string =>
  JSON.stringify(Schema.encodeSync(EventsFromJson)(events))
const decodeSchema = Schema.decodeUnknownEither(EventsFromJson)
const schemaParse = (line: string): Either.Either<ReadonlyArray<MutationEvent>, string> => {
  let json: unknown
  try {
    json = JSON.parse(line)
  } catch (e) {
    return Either.left(`not JSON: ${(e as Error).message}`)
  }
  return Either.mapLeft(decodeSchema(json), (error) =>
    "not an array of events: " +
    ParseResult.ArrayFormatter.formatErrorSync(error)
      .map((issue) => `${issue.path.length > 0 ? `at [${issue.path.join("][")}]: ` : ""}${issue.message}`)
      .join("; "))
}

const bitsView = new DataView(new ArrayBuffer(8))
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")

/**
 * A value written out in full: key order, prototypes, typed array classes
 * and bytes, and every number's bits (NaN payloads, -0), which `toEqual`
 * does not all see.
 */
const fingerprint = (u: unknown): string => {
  if (typeof u === "number") {
    bitsView.setFloat64(0, u)
    return `f${bitsView.getBigUint64(0).toString(16)}`
  }
  if (typeof u === "bigint") return `${u}n`
  if (typeof u === "string") return JSON.stringify(u)
  if (typeof u !== "object" || u === null) return String(u)
  if (ArrayBuffer.isView(u)) {
    return `${u.constructor.name}@${u.byteOffset}(${hex(new Uint8Array(u.buffer, u.byteOffset, u.byteLength))})`
  }
  if (Array.isArray(u)) return `[${u.map(fingerprint).join(",")}]`
  if (u instanceof Map) return `Map{${Array.from(u, ([k, v]) => `${fingerprint(k)}=>${fingerprint(v)}`).join(",")}}`
  const prototype = Object.getPrototypeOf(u) === Object.prototype ? "" : "!"
  return `${prototype}{${Reflect.ownKeys(u).map((k) => `${String(k)}:${fingerprint((u as any)[k])}`).join(",")}}`
}

const expectSameResult = (
  actual: Either.Either<ReadonlyArray<MutationEvent>, string>,
  expected: Either.Either<ReadonlyArray<MutationEvent>, string>
) => {
  if (Either.isLeft(expected)) {
    expect(actual).toStrictEqual(expected)
  } else {
    expect(Either.isRight(actual)).toBe(true)
    const events = Either.getOrThrow(actual)
    expect(events).toStrictEqual(expected.right)
    expect(fingerprint(events)).toBe(fingerprint(expected.right))
  }
}

const events = fc.array(Arbitraries.mutationEvent, { maxLength: 4 })

type Json = null | boolean | number | string | Array<Json> | { [key: string]: Json }

/** A place in a JSON value or in events: the object, array or map holding it, and its key there. */
interface Place {
  readonly holder: any
  readonly key: string | number
}

/** Every place in `root` (itself included, held in a box), in a walk of the tree. */
const placesIn = (root: unknown): { readonly box: { root: unknown }; readonly places: Array<Place> } => {
  const box = { root }
  const places: Array<Place> = []
  const walk = (holder: any, key: string | number) => {
    places.push({ holder, key })
    const value = holder instanceof Map ? holder.get(key) : holder[key]
    if (Array.isArray(value)) value.forEach((_, i) => walk(value, i))
    else if (value instanceof Map) for (const k of value.keys()) walk(value, k)
    else if (typeof value === "object" && value !== null && !ArrayBuffer.isView(value)) {
      for (const k of Object.keys(value)) walk(value, k)
    }
  }
  walk(box, "root")
  return { box, places }
}

const setAt = ({ holder, key }: Place, value: unknown) =>
  holder instanceof Map
    ? holder.set(key, value)
    : Object.defineProperty(holder, key, { value, enumerable: true, writable: true, configurable: true })

const valueAt = ({ holder, key }: Place): unknown => (holder instanceof Map ? holder.get(key) : holder[key])

/** A JSON number written as is (`-0`, `1e400`, `1.0`), which JSON.stringify cannot write. */
const raw = (text: string) => `@@raw:${text}@@`
const unraw = (line: string) => line.replace(/"@@raw:([^"@]*)@@"/g, "$1")

const typeNames = [
  "CreateNode", "CreateRelationship", "SetNodeProperty", "RemoveNodeProperty", "AddNodeLabel", "RemoveNodeLabel",
  "SetRelationshipProperty", "RemoveRelationshipProperty", "DeleteRelationship", "DeleteNode", "DetachDeleteNode",
  "Clear", "Null", "Bool", "Int", "Float", "String", "List", "Map", "Date", "Time", "LocalTime", "DateTime",
  "LocalDateTime", "Duration", "Point", "Vector", "Binary", "FLOAT64", "FLOAT32", "INTEGER64", "INTEGER32",
  "INTEGER16", "INTEGER8", "float64", "Nope"
]

const oddStrings = [
  "18446744073709551615", "18446744073709551616", "9223372036854775807", "9223372036854775808",
  "-9223372036854775808", "-9223372036854775809", "000000000000000000001", "0", "-0", "00", "-1", "", " 1", "1 ",
  "+1", "1e3", "0x1", "1.0", "NaN", "Infinity", "-Infinity", "nan", "infinity", "7ff8000000000001", "7FF8000000000001",
  "8000000000000000", "7ff800000000000", "7ff80000000000011", "7ff800000000000g", "0g", "ff", "FF", "f", "é", "\ud800",
  "__proto__", "constructor", "toString", "hasOwnProperty", "length"
]

const oddNumbers = [
  0, 1, -1, 0.5, 1.5, 127, 128, -128, -129, 32767, 32768, -32768, -32769, 2 ** 31 - 1, 2 ** 31, -(2 ** 31),
  -(2 ** 31) - 1, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 0.1, 1e300, 3.4028234663852886e38,
  3.4028235677973366e38, 1.401298464324817e-45, 5e-324
]

const oddRaw = ["-0", "1e400", "-1e400", "1.0", "1E2", "-0.0", "9007199254740993", "1e-400"].map(raw)

const oddKeys = [
  "extra", "bits", "len", "z", "type", "_tag", "__proto__", "value", "id", "0", "4294967295", "constructor"
]

const jsonValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(...typeNames, ...oddStrings, ...oddNumbers, ...oddRaw, null, true, false, [], {}),
  fc.jsonValue({ maxDepth: 2 }),
  fc.string({ maxLength: 6 })
)

/** What is done to a valid line's JSON, at the place its index picks. */
type Mutation =
  | { readonly kind: "delete"; readonly at: number }
  | { readonly kind: "replace"; readonly at: number; readonly value: unknown }
  | { readonly kind: "tweak"; readonly at: number; readonly pick: number }
  | { readonly kind: "add"; readonly at: number; readonly key: string; readonly value: unknown }

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("replace" as const), at: fc.nat(), value: jsonValue }),
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("tweak" as const), at: fc.nat(), pick: fc.nat() }) },
  fc.record({ kind: fc.constant("add" as const), at: fc.nat(), key: fc.constantFrom(...oddKeys), value: jsonValue })
)

/** Spreads fast-check's small naturals over the range, so that deep places are picked as often as shallow ones. */
const scramble = (n: number): number => Math.imul(n ^ (n >>> 15), 0x2c1b3c6d) >>> 0

const pickFrom = <A>(choices: ReadonlyArray<A>, pick: number): A => choices[pick % choices.length]!

/** A value changed a little, keeping its type most of the time: what sits at the edge of what a field accepts. */
const tweaked = (value: unknown, pick: number): unknown => {
  if (typeof value === "number") {
    const near = [value + 1, value - 1, -value, value + 1e-9, value * 2 ** 32, value + 0.5]
    return pick % 2 === 0 ? pickFrom(near, pick >>> 1) : pickFrom([...oddNumbers, ...oddRaw], pick >>> 1)
  }
  if (typeof value === "string") {
    const at = value.length === 0 ? 0 : (pick >>> 4) % value.length
    const decimal = /^-?[0-9]+$/.test(value) ? [String(BigInt(value) + 1n), String(BigInt(value) - 1n)] : [value]
    return pickFrom([
      value.slice(0, at) + value.slice(at + 1),
      value.slice(0, at) + value.charAt(at) + value.slice(at),
      `${value}0`,
      `-${value}`,
      value.toUpperCase(),
      `${value}g`,
      ...decimal,
      pickFrom(oddStrings, pick >>> 4),
      pickFrom(typeNames, pick >>> 4)
    ], pick)
  }
  if (typeof value === "boolean") return pickFrom([0, 1, "true", null, !value], pick)
  if (Array.isArray(value)) return pick % 2 === 0 ? value.slice(1) : [...value, ...value.slice(0, 1)]
  return pickFrom([0, "null", {}, [], null], pick)
}

/** `m` applied at exactly the place and with exactly the tweak its numbers say. */
const mutateAt = (json: unknown, m: Mutation): unknown => {
  const { box, places } = placesIn(json)
  const place = places[m.at % places.length]!
  const value = valueAt(place)
  if (m.kind === "delete") {
    if (Array.isArray(place.holder)) place.holder.splice(place.key as number, 1)
    else if (place.holder === box) box.root = {}
    else delete place.holder[place.key]
  } else if (m.kind === "replace") setAt(place, m.value)
  else if (m.kind === "tweak") setAt(place, tweaked(value, m.pick))
  else if (Array.isArray(value)) value.push(m.value as Json)
  else if (typeof value === "object" && value !== null) setAt({ holder: value, key: m.key }, m.value)
  else setAt(place, m.value)
  return box.root
}

const mutate = (json: unknown, m: Mutation): unknown =>
  mutateAt(json, { ...m, at: scramble(m.at), ...(m.kind === "tweak" ? { pick: scramble(m.pick) } : {}) })

/** Events, or events that are mostly property values, where most of the format's rules are. */
const mutable = fc.oneof(
  events,
  fc.array(
    fc.record({ nodeId: Arbitraries.u64, key: Arbitraries.text, value: Arbitraries.propertyValue })
      .map((r): MutationEvent => ({ _tag: "SetNodeProperty", ...r })),
    { minLength: 1, maxLength: 3 }
  )
)

/** Lines that are mostly valid transactions, and some that are anything. */
const lines: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.tuple(mutable, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([events, mutations]) =>
      unraw(JSON.stringify(mutations.reduce(mutate, JSON.parse(schemaStringify(events)))))
    )
  },
  { weight: 1, arbitrary: fc.tuple(events, fc.nat()).map(([events, cut]) => schemaStringify(events).slice(0, cut)) },
  { weight: 1, arbitrary: fc.json() },
  { weight: 1, arbitrary: fc.array(jsonValue, { maxLength: 3 }).map((values) => unraw(JSON.stringify(values))) },
  { weight: 1, arbitrary: fc.string() }
)

/** One event of every kind, and one SetNodeProperty for every kind of value, all with their optional parts. */
const everyVariant: ReadonlyArray<MutationEvent> = (() => {
  const values: ReadonlyArray<PropertyValue.PropertyValue> = [
    PropertyValue.null_,
    PropertyValue.bool(true),
    PropertyValue.int(-5),
    PropertyValue.float(1.5),
    PropertyValue.string("s"),
    PropertyValue.list([PropertyValue.null_, PropertyValue.int(1)]),
    PropertyValue.map({ k: PropertyValue.null_, "7": PropertyValue.bool(false) }),
    { _tag: "Date", year: -44, month: 3, day: 15 },
    { _tag: "Time", hour: 1, minute: 2, second: 3, nanosecond: 4, offsetSeconds: -3600 },
    { _tag: "LocalTime", hour: 23, minute: 59, second: 59, nanosecond: 999_999_999 },
    { _tag: "DateTime", year: 2024, month: 2, day: 29, hour: 1, minute: 2, second: 3, nanosecond: 4, offsetSeconds: 0 },
    { _tag: "LocalDateTime", year: 1, month: 1, day: 1, hour: 0, minute: 0, second: 0, nanosecond: 0 },
    { _tag: "Duration", months: 1n, days: -2n, seconds: 3n, nanoseconds: 4n },
    { _tag: "Point", x: 1.5, y: -2, z: undefined, srid: 7203 },
    { _tag: "Point", x: 1, y: 2, z: 3.25, srid: 4979 },
    PropertyValue.vector(Float64Array.of(1.5, -0.25)),
    PropertyValue.vector(Float32Array.of(1.5, 3)),
    PropertyValue.vector(BigInt64Array.of(-(2n ** 63n), 2n ** 63n - 1n)),
    PropertyValue.vector(Int32Array.of(-(2 ** 31), 2 ** 31 - 1)),
    PropertyValue.vector(Int16Array.of(-32768, 32767)),
    PropertyValue.vector(Int8Array.of(-128, 127)),
    PropertyValue.binary(Uint8Array.of(0, 255), Uint8Array.of(16))
  ]
  const properties = PropertyValue.properties({ a: PropertyValue.int(1), "0": PropertyValue.string("zero") })
  return [
    { _tag: "CreateNode", id: 1n, labels: ["A", "B"], properties },
    { _tag: "CreateRelationship", id: 2n, src: 18446744073709551615n, dst: 0n, relType: "R", properties },
    { _tag: "RemoveNodeProperty", nodeId: 1n, key: "k" },
    { _tag: "AddNodeLabel", nodeId: 1n, label: "L" },
    { _tag: "RemoveNodeLabel", nodeId: 1n, label: "L" },
    { _tag: "SetRelationshipProperty", relId: 2n, key: "k", value: PropertyValue.int(2n ** 63n - 1n) },
    { _tag: "RemoveRelationshipProperty", relId: 2n, key: "k" },
    { _tag: "DeleteRelationship", relId: 2n },
    { _tag: "DeleteNode", nodeId: 1n },
    { _tag: "DetachDeleteNode", nodeId: 1n },
    { _tag: "Clear" },
    ...values.map((value): MutationEvent => ({ _tag: "SetNodeProperty", nodeId: 3n, key: "k", value }))
  ]
})()

const oddValues: ReadonlyArray<unknown> = [
  ...typeNames, ...oddStrings, ...oddNumbers, ...oddRaw, null, true, false, [], {}, ["1"], { type: "Null" }
]

const junk: ReadonlyArray<unknown> = [
  undefined, null, 0, -0, 1.5, NaN, Infinity, -1, 2 ** 32, 2 ** 53, 1n, -1n, 2n ** 64n, "x", "", true, [], {},
  new Map(), new Map([[1, { _tag: "Null" }]]), new Map([["k", { _tag: "Nope" }]]), new Uint8Array([1]),
  new Float32Array([0.5]), new Uint16Array([1]), { _tag: "Null" }, { _tag: "Nope" }, Object.create({ _tag: "Null" })
]

/** What a call returned, or the message it threw. */
const attempt = (f: () => string): { readonly ok: string } | { readonly threw: string } => {
  try {
    return { ok: f() }
  } catch (e) {
    return { threw: String(e) }
  }
}

describe("LoraJson fast path", () => {
  it("stringifyEvents writes what the Schema and JSON.stringify write, without falling back", () => {
    fc.assert(
      fc.property(events, (events) => {
        const expected = schemaStringify(events)
        expect(Fast.writeEvents(events)).toBe(expected)
        expect(LoraJson.stringifyEvents(events)).toBe(expected)
      }),
      { numRuns: 3000 }
    )
  })

  it("parseEvents decodes what the Schema decodes, without falling back, and round-trips", () => {
    fc.assert(
      fc.property(events, (events) => {
        const line = schemaStringify(events)
        expect(Fast.readEvents(JSON.parse(line))).toBeDefined()
        const parsed = LoraJson.parseEvents(line)
        expectSameResult(parsed, schemaParse(line))
        // The JSON form spells vector and point NaNs as "NaN": compare structurally (NaN equals NaN).
        expect(Either.getOrThrow(parsed)).toEqual(events)
        expect(LoraJson.stringifyEvents(Either.getOrThrow(parsed))).toBe(line)
      }),
      { numRuns: 3000 }
    )
  })

  it("parseEvents agrees with the Schema on mutated lines, other JSON and other text", () => {
    let accepted = 0
    fc.assert(
      fc.property(lines, (line) => {
        const expected = schemaParse(line)
        expectSameResult(LoraJson.parseEvents(line), expected)
        if (Either.isRight(expected)) {
          accepted++
          expect(Fast.readEvents(JSON.parse(line))).toBeDefined()
        }
      }),
      { numRuns: 8000 }
    )
    expect(accepted).toBeGreaterThan(500)
  })

  it("stringifyEvents writes or throws as the Schema does for events with a field out of type or range", () => {
    fc.assert(
      fc.property(events, fc.nat(), fc.constantFrom(...junk), (events, at, value) => {
        const { box, places } = placesIn(structuredClone(events))
        setAt(places[at % places.length]!, value)
        const input = box.root as ReadonlyArray<MutationEvent>
        expect(attempt(() => LoraJson.stringifyEvents(input))).toStrictEqual(attempt(() => schemaStringify(input)))
      }),
      { numRuns: 3000 }
    )
  })

  it("the hand-written decoder accepts what the Schema accepts, as the same events, at edges of every field", () => {
    let compared = 0
    for (const event of everyVariant) {
      const json = JSON.parse(schemaStringify([event]))
      const count = placesIn(json).places.length
      const variants = (at: number): Array<Mutation> => [
        { kind: "delete", at },
        ...oddValues.map((value): Mutation => ({ kind: "replace", at, value })),
        ...oddKeys.map((key): Mutation => ({ kind: "add", at, key, value: 1 })),
        ...Array.from({ length: 32 }, (_, pick): Mutation => ({ kind: "tweak", at, pick }))
      ]
      for (let at = 0; at < count; at++) {
        for (const m of variants(at)) {
          // The reasons are the Schema's by construction (and compared above): compare what is accepted, and as what.
          const mutated = JSON.parse(unraw(JSON.stringify(mutateAt(structuredClone(json), m))))
          const fast = Fast.readEvents(mutated)
          const schema = decodeSchema(mutated)
          const same = fast === undefined
            ? Either.isLeft(schema)
            : Either.isRight(schema) && fingerprint(fast) === fingerprint(schema.right)
          if (!same) expect({ mutated, fast }).toStrictEqual({ mutated, fast: Either.getOrUndefined(schema) })
          compared++
        }
      }
    }
    expect(compared).toBeGreaterThan(20_000)
  })

  it("keeps what the Schema keeps at the edges", () => {
    const roundTrip = (events: ReadonlyArray<MutationEvent>, contains: string) => {
      const line = LoraJson.stringifyEvents(events)
      expect(line).toBe(schemaStringify(events))
      expect(line).toContain(contains)
      expectSameResult(LoraJson.parseEvents(line), Either.right(events))
    }
    const set = (value: PropertyValue.PropertyValue): MutationEvent => ({
      _tag: "SetNodeProperty",
      nodeId: 1n,
      key: "k",
      value
    })
    const nanWithPayload = (bitsView.setBigUint64(0, 0x7ff8_0000_0000_0001n), bitsView.getFloat64(0))
    roundTrip([{ _tag: "AddNodeLabel", nodeId: 1n, label: "a\ud800b" }], `"label":"a\\ud800b"`)
    roundTrip(
      [{
        _tag: "CreateNode",
        id: 1n,
        labels: ["\udc00"],
        properties: PropertyValue.properties({ "\udfff": PropertyValue.string("\ud83d") })
      }],
      `"labels":["\\udc00"],"properties":{"\\udfff":{"type":"String","value":"\\ud83d"}}`
    )
    roundTrip([set(PropertyValue.float(nanWithPayload))], `"value":"NaN","bits":"7ff8000000000001"`)
    roundTrip([set(PropertyValue.float(-0))], `"value":"-0","bits":"8000000000000000"`)
    roundTrip([set(PropertyValue.float(-Infinity))], `"value":"-Infinity","bits":"fff0000000000000"`)
    roundTrip([{ _tag: "DeleteNode", nodeId: 2n ** 64n - 1n }], `"node_id":"18446744073709551615"`)
    roundTrip([set(PropertyValue.int(-(2n ** 63n)))], `"value":"-9223372036854775808"`)
    roundTrip([], "[]")

    const parse = (line: string) => {
      const result = LoraJson.parseEvents(line)
      expectSameResult(result, schemaParse(line))
      return result
    }
    const setLine = (value: string) => `[{"type":"SetNodeProperty","node_id":"1","key":"k","value":${value}}]`
    const float = (value: string) => setLine(`{"type":"Float","value":${value}}`)
    expect(Object.is((Either.getOrThrow(parse(float("-0")))[0] as any).value.value, -0)).toBe(true)
    expect(Object.is((Either.getOrThrow(parse(float(`"-0"`)))[0] as any).value.value, -0)).toBe(true)
    expect(Either.getOrThrow(parse(`[{"type":"Clear","extra":1,"_tag":"x"}]`))).toStrictEqual([{ _tag: "Clear" }])
    expect(Either.getOrThrow(parse(`[{"type":"DeleteNode","node_id":"18446744073709551615"}]`))).toHaveLength(1)
    expect(Either.getLeft(parse(`[{"type":"DeleteNode","node_id":"18446744073709551616"}]`))).toEqual(
      Option.some("not an array of events: at [0][node_id]: expected a u64 as a decimal string")
    )
    expect(Either.getLeft(parse(setLine(`{"type":"Int","value":"-9223372036854775809"}`)))).toEqual(
      Option.some(expect.stringContaining("expected an i64 as a decimal string"))
    )
    expect(Either.getOrThrow(parse("[]"))).toStrictEqual([])
    expect(Either.getLeft(parse("{}"))).toEqual(
      Option.some(expect.stringMatching(/^not an array of events: Expected ReadonlyArray<.*, actual \{\}$/))
    )
    expect(Either.getLeft(parse(`[{"type":"Nope"}]`))).toEqual(
      Option.some(expect.stringMatching(/^not an array of events: at \[0\]\[type\]: Expected "CreateNode" \| .*"Nope"$/))
    )
    expect(Either.getLeft(parse("nope"))).toEqual(Option.some(expect.stringMatching(/^not JSON: /)))
    expect(Either.getLeft(parse(""))).toEqual(Option.some(expect.stringMatching(/^not JSON: /)))
  })

  it("the golden fixtures' events parse as the Schema parses them, and are written back as they were", () => {
    let checked = 0
    for (const scenario of scenarios) {
      const transactions = [
        committedThroughOps(scenario),
        ...scenario.expected.replay_dir.flatMap(({ result }) =>
          result.committed_events ? [result.committed_events] : []
        )
      ]
      for (const events of transactions) {
        const line = JSON.stringify(events)
        const parsed = LoraJson.parseEvents(line)
        expectSameResult(parsed, schemaParse(line))
        expect(LoraJson.stringifyEvents(Either.getOrThrow(parsed))).toBe(line)
        checked += events.length
      }
    }
    expect(checked).toBeGreaterThan(1000)
  })
})
