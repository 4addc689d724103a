/**
 * The JSON form of LoraDB events and values used by lora-wal's golden
 * fixtures and by the command-line tool: `{"type": "CreateNode", "id": "1",
 * ...}` with u64/i64 as decimal strings, floats as numbers or
 * `"NaN"`/`"Infinity"`/`"-Infinity"`/`"-0"` (plus the exact `bits` for Float
 * values), binary segments as hex.
 *
 * This is an edge format (files, stdin, diagnostics), so it is a Schema:
 * decoding reports every problem with its path. The log itself stores the
 * compact binary form (`LoraCodec`).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as ParseResult from "effect/ParseResult"
import type { ParseOptions } from "effect/SchemaAST"
import type * as SchemaAST from "effect/SchemaAST"
import * as Schema from "effect/Schema"
import type { MutationEvent } from "./MutationEvent.js"
import type { Properties, PropertyValue, VectorValues } from "./PropertyValue.js"
import { vectorElementType } from "./PropertyValue.js"

const decimal = (pattern: RegExp, min: bigint, max: bigint, what: string) =>
  Schema.String.pipe(
    Schema.filter((s) => (pattern.test(s) && BigInt(s) >= min && BigInt(s) <= max) || `expected ${what} as a decimal string`)
  )

/** A u64 as a decimal string. @since 0.1.0 */
export const U64String = decimal(/^[0-9]{1,20}$/, 0n, 2n ** 64n - 1n, "a u64")
/** An i64 as a decimal string. @since 0.1.0 */
export const I64String = decimal(/^-?[0-9]{1,19}$/, -(2n ** 63n), 2n ** 63n - 1n, "an i64")

const int = (min: number, max: number) => Schema.Number.pipe(Schema.int(), Schema.between(min, max))
const U32 = int(0, 0xffff_ffff)
const I32 = int(-0x8000_0000, 0x7fff_ffff)

/** An f64: a JSON number, or a string for the values JSON cannot spell. @since 0.1.0 */
export const F64Json = Schema.Union(Schema.Number, Schema.Literal("NaN", "Infinity", "-Infinity", "-0"))
/** @since 0.1.0 */
export type F64Json = typeof F64Json.Type

const Hex = Schema.String.pipe(Schema.pattern(/^(?:[0-9a-fA-F]{2})*$/))

/**
 * The JSON shape of a property value.
 *
 * @since 0.1.0
 */
export type PropertyValueJson =
  | { readonly type: "Null" }
  | { readonly type: "Bool"; readonly value: boolean }
  | { readonly type: "Int"; readonly value: string }
  | { readonly type: "Float"; readonly value: F64Json; readonly bits?: string | undefined }
  | { readonly type: "String"; readonly value: string }
  | { readonly type: "List"; readonly items: ReadonlyArray<PropertyValueJson> }
  | { readonly type: "Map"; readonly entries: { readonly [key: string]: PropertyValueJson } }
  | { readonly type: "Date"; readonly year: number; readonly month: number; readonly day: number }
  | {
    readonly type: "Time"
    readonly hour: number
    readonly minute: number
    readonly second: number
    readonly nanosecond: number
    readonly offset_seconds: number
  }
  | {
    readonly type: "LocalTime"
    readonly hour: number
    readonly minute: number
    readonly second: number
    readonly nanosecond: number
  }
  | {
    readonly type: "DateTime"
    readonly year: number
    readonly month: number
    readonly day: number
    readonly hour: number
    readonly minute: number
    readonly second: number
    readonly nanosecond: number
    readonly offset_seconds: number
  }
  | {
    readonly type: "LocalDateTime"
    readonly year: number
    readonly month: number
    readonly day: number
    readonly hour: number
    readonly minute: number
    readonly second: number
    readonly nanosecond: number
  }
  | {
    readonly type: "Duration"
    readonly months: string
    readonly days: string
    readonly seconds: string
    readonly nanoseconds: string
  }
  | { readonly type: "Point"; readonly x: F64Json; readonly y: F64Json; readonly z: F64Json | null; readonly srid: number }
  | {
    readonly type: "Vector"
    readonly dimension: string
    readonly element_type: "FLOAT64" | "FLOAT32" | "INTEGER64" | "INTEGER32" | "INTEGER16" | "INTEGER8"
    readonly values: ReadonlyArray<F64Json | string>
  }
  | { readonly type: "Binary"; readonly len?: string | undefined; readonly segments: ReadonlyArray<string> }

/**
 * A JSON object of values that keeps every own key. `Schema.Record` builds
 * its output by assignment, which turns a `"__proto__"` key into a prototype
 * change and loses it; a property may legitimately be called that.
 */
const JsonObject = <A>(value: Schema.Schema<A>): Schema.Schema<{ readonly [key: string]: A }> => {
  const run = (parse: (u: unknown, options?: ParseOptions) => Effect.Effect<A, ParseResult.ParseIssue>) =>
  (input: unknown, options: ParseOptions, ast: SchemaAST.Declaration) => {
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
      return Effect.fail(new ParseResult.Type(ast, input))
    }
    const source = input as { readonly [key: string]: unknown }
    return Effect.map(
      Effect.forEach(Object.keys(source), (key) =>
        parse(source[key], options).pipe(
          Effect.mapError((issue) => new ParseResult.Pointer(key, input, issue)),
          Effect.map((decoded) => [key, decoded] as const)
        )),
      (entries) => {
        const out: { [key: string]: A } = {}
        for (const [key, decoded] of entries) {
          Object.defineProperty(out, key, { value: decoded, enumerable: true, writable: true, configurable: true })
        }
        return out
      }
    )
  }
  return Schema.declare([value], {
    decode: (item) => run(ParseResult.decodeUnknown(item)),
    encode: (item) => run(ParseResult.encodeUnknown(item))
  }, { identifier: "JsonObject" })
}

const localTimeFields = { hour: U32, minute: U32, second: U32, nanosecond: U32 }
const dateFields = { year: I32, month: U32, day: U32 }

/**
 * Structural schema of {@link PropertyValueJson}.
 *
 * @since 0.1.0
 */
export const PropertyValueJson: Schema.Schema<PropertyValueJson> = Schema.Union(
  Schema.Struct({ type: Schema.Literal("Null") }),
  Schema.Struct({ type: Schema.Literal("Bool"), value: Schema.Boolean }),
  Schema.Struct({ type: Schema.Literal("Int"), value: I64String }),
  Schema.Struct({
    type: Schema.Literal("Float"),
    value: F64Json,
    bits: Schema.optional(Schema.String.pipe(Schema.pattern(/^[0-9a-fA-F]{16}$/)))
  }),
  Schema.Struct({ type: Schema.Literal("String"), value: Schema.String }),
  Schema.Struct({ type: Schema.Literal("List"), items: Schema.Array(Schema.suspend(() => PropertyValueJson)) }),
  Schema.Struct({
    type: Schema.Literal("Map"),
    entries: JsonObject(Schema.suspend(() => PropertyValueJson))
  }),
  Schema.Struct({ type: Schema.Literal("Date"), ...dateFields }),
  Schema.Struct({ type: Schema.Literal("Time"), ...localTimeFields, offset_seconds: I32 }),
  Schema.Struct({ type: Schema.Literal("LocalTime"), ...localTimeFields }),
  Schema.Struct({ type: Schema.Literal("DateTime"), ...dateFields, ...localTimeFields, offset_seconds: I32 }),
  Schema.Struct({ type: Schema.Literal("LocalDateTime"), ...dateFields, ...localTimeFields }),
  Schema.Struct({
    type: Schema.Literal("Duration"),
    months: I64String,
    days: I64String,
    seconds: I64String,
    nanoseconds: I64String
  }),
  Schema.Struct({ type: Schema.Literal("Point"), x: F64Json, y: F64Json, z: Schema.NullOr(F64Json), srid: U32 }),
  Schema.Struct({
    type: Schema.Literal("Vector"),
    dimension: U64String,
    element_type: Schema.Literal("FLOAT64", "FLOAT32", "INTEGER64", "INTEGER32", "INTEGER16", "INTEGER8"),
    values: Schema.Array(Schema.Union(F64Json, Schema.String))
  }),
  Schema.Struct({ type: Schema.Literal("Binary"), len: Schema.optional(U64String), segments: Schema.Array(Hex) })
)

const bitsView = new DataView(new ArrayBuffer(8))

const f64FromJson = (value: F64Json): number =>
  value === "NaN" ? NaN : value === "Infinity" ? Infinity : value === "-Infinity" ? -Infinity : value === "-0" ? -0 : value

/**
 * An f64 in the JSON convention.
 *
 * @since 0.1.0
 */
export const f64ToJson = (value: number): F64Json =>
  Number.isNaN(value)
    ? "NaN"
    : value === Infinity
    ? "Infinity"
    : value === -Infinity
    ? "-Infinity"
    : Object.is(value, -0)
    ? "-0"
    : value

const floatBits = (value: number): string => {
  bitsView.setFloat64(0, value)
  return bitsView.getBigUint64(0).toString(16).padStart(16, "0")
}

const floatFromBits = (bits: string): number => {
  bitsView.setBigUint64(0, BigInt(`0x${bits}`))
  return bitsView.getFloat64(0)
}

const hexToBytes = (hex: string): Uint8Array => Uint8Array.from({ length: hex.length / 2 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16))
const bytesToHex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")

class JsonValueError extends Error {}

const intElement = (value: F64Json | string, min: number, max: number): number => {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new JsonValueError(`vector element ${JSON.stringify(value)} is not an integer in ${min}..=${max}`)
  }
  return value
}

const numberElement = (value: F64Json | string): number => {
  if (typeof value === "string" && !["NaN", "Infinity", "-Infinity", "-0"].includes(value)) {
    throw new JsonValueError(`vector element ${JSON.stringify(value)} is not a float`)
  }
  return f64FromJson(value as F64Json)
}

const vectorFromJson = (json: Extract<PropertyValueJson, { type: "Vector" }>): VectorValues => {
  if (BigInt(json.dimension) !== BigInt(json.values.length)) {
    throw new JsonValueError(`vector dimension ${json.dimension} does not match its ${json.values.length} values`)
  }
  const values = json.values
  switch (json.element_type) {
    case "FLOAT64":
      return Float64Array.from(values, numberElement)
    case "FLOAT32":
      return Float32Array.from(values, (v) => {
        const n = numberElement(v)
        if (!Number.isNaN(n) && Math.fround(n) !== n) throw new JsonValueError(`vector element ${n} is not an f32`)
        return n
      })
    case "INTEGER64":
      return BigInt64Array.from(values, (v) => {
        if (typeof v !== "string" || !/^-?[0-9]{1,19}$/.test(v) || BigInt.asIntN(64, BigInt(v)) !== BigInt(v)) {
          throw new JsonValueError(`vector element ${JSON.stringify(v)} is not an i64 decimal string`)
        }
        return BigInt(v)
      })
    case "INTEGER32":
      return Int32Array.from(values, (v) => intElement(v, -0x8000_0000, 0x7fff_ffff))
    case "INTEGER16":
      return Int16Array.from(values, (v) => intElement(v, -0x8000, 0x7fff))
    case "INTEGER8":
      return Int8Array.from(values, (v) => intElement(v, -0x80, 0x7f))
  }
}

const entriesFromJson = (entries: { readonly [key: string]: PropertyValueJson }): Properties =>
  new Map(Object.entries(entries).map(([k, v]) => [k, valueFromJson(v)]))

const valueFromJson = (json: PropertyValueJson): PropertyValue => {
  switch (json.type) {
    case "Null":
      return { _tag: "Null" }
    case "Bool":
      return { _tag: "Bool", value: json.value }
    case "Int":
      return { _tag: "Int", value: BigInt(json.value) }
    case "Float":
      return { _tag: "Float", value: json.bits !== undefined ? floatFromBits(json.bits) : f64FromJson(json.value) }
    case "String":
      return { _tag: "String", value: json.value }
    case "List":
      return { _tag: "List", items: json.items.map(valueFromJson) }
    case "Map":
      return { _tag: "Map", entries: entriesFromJson(json.entries) }
    // Temporal values carry the same fields in both forms, but for the offset's name.
    case "Date":
    case "LocalTime":
    case "LocalDateTime": {
      const { type, ...fields } = json
      return { _tag: type, ...fields } as PropertyValue
    }
    case "Time":
    case "DateTime": {
      const { offset_seconds, type, ...fields } = json
      return { _tag: type, ...fields, offsetSeconds: offset_seconds } as PropertyValue
    }
    case "Duration":
      return {
        _tag: "Duration",
        months: BigInt(json.months),
        days: BigInt(json.days),
        seconds: BigInt(json.seconds),
        nanoseconds: BigInt(json.nanoseconds)
      }
    case "Point":
      return {
        _tag: "Point",
        x: f64FromJson(json.x),
        y: f64FromJson(json.y),
        z: json.z === null ? undefined : f64FromJson(json.z),
        srid: json.srid
      }
    case "Vector":
      return { _tag: "Vector", values: vectorFromJson(json) }
    case "Binary": {
      const segments = json.segments.map(hexToBytes)
      const total = segments.reduce((n, s) => n + s.length, 0)
      if (json.len !== undefined && BigInt(json.len) !== BigInt(total)) {
        throw new JsonValueError(`binary len ${json.len} does not match its ${total} bytes`)
      }
      return { _tag: "Binary", segments }
    }
  }
}

const entriesToJson = (entries: Properties): { readonly [key: string]: PropertyValueJson } =>
  Object.fromEntries(Array.from(entries, ([k, v]) => [k, valueToJson(v)]))

/**
 * A property value in the JSON form (total: every value has one).
 *
 * @since 0.1.0
 */
export const valueToJson = (value: PropertyValue): PropertyValueJson => {
  switch (value._tag) {
    case "Null":
      return { type: "Null" }
    case "Bool":
    case "String":
      return { type: value._tag, value: value.value } as PropertyValueJson
    case "Int":
      return { type: "Int", value: value.value.toString() }
    case "Float":
      return { type: "Float", value: f64ToJson(value.value), bits: floatBits(value.value) }
    case "List":
      return { type: "List", items: value.items.map(valueToJson) }
    case "Map":
      return { type: "Map", entries: entriesToJson(value.entries) }
    case "Date":
    case "LocalTime":
    case "LocalDateTime": {
      const { _tag, ...fields } = value
      return { type: _tag, ...fields } as PropertyValueJson
    }
    case "Time":
    case "DateTime": {
      const { _tag, offsetSeconds, ...fields } = value
      return { type: _tag, ...fields, offset_seconds: offsetSeconds } as PropertyValueJson
    }
    case "Duration":
      return {
        type: "Duration",
        months: value.months.toString(),
        days: value.days.toString(),
        seconds: value.seconds.toString(),
        nanoseconds: value.nanoseconds.toString()
      }
    case "Point":
      return {
        type: "Point",
        x: f64ToJson(value.x),
        y: f64ToJson(value.y),
        z: value.z === undefined ? null : f64ToJson(value.z),
        srid: value.srid
      }
    case "Vector": {
      const elementType = vectorElementType(value.values)
      const values = Array.from(value.values as ArrayLike<number | bigint>, (v) =>
        typeof v === "bigint" ? v.toString() : elementType.startsWith("FLOAT") ? f64ToJson(v) : v)
      return { type: "Vector", dimension: String(value.values.length), element_type: elementType, values }
    }
    case "Binary":
      return {
        type: "Binary",
        len: String(value.segments.reduce((n, s) => n + s.length, 0)),
        segments: value.segments.map(bytesToHex)
      }
  }
}

/**
 * The JSON shape of a mutation event.
 *
 * @since 0.1.0
 */
export type MutationEventJson =
  | {
    readonly type: "CreateNode"
    readonly id: string
    readonly labels: ReadonlyArray<string>
    readonly properties: { readonly [key: string]: PropertyValueJson }
  }
  | {
    readonly type: "CreateRelationship"
    readonly id: string
    readonly src: string
    readonly dst: string
    readonly rel_type: string
    readonly properties: { readonly [key: string]: PropertyValueJson }
  }
  | { readonly type: "SetNodeProperty"; readonly node_id: string; readonly key: string; readonly value: PropertyValueJson }
  | { readonly type: "RemoveNodeProperty"; readonly node_id: string; readonly key: string }
  | { readonly type: "AddNodeLabel" | "RemoveNodeLabel"; readonly node_id: string; readonly label: string }
  | { readonly type: "SetRelationshipProperty"; readonly rel_id: string; readonly key: string; readonly value: PropertyValueJson }
  | { readonly type: "RemoveRelationshipProperty"; readonly rel_id: string; readonly key: string }
  | { readonly type: "DeleteRelationship"; readonly rel_id: string }
  | { readonly type: "DeleteNode" | "DetachDeleteNode"; readonly node_id: string }
  | { readonly type: "Clear" }

const JsonProperties = JsonObject(PropertyValueJson)

/**
 * Structural schema of {@link MutationEventJson}.
 *
 * @since 0.1.0
 */
export const MutationEventJson: Schema.Schema<MutationEventJson> = Schema.Union(
  Schema.Struct({
    type: Schema.Literal("CreateNode"),
    id: U64String,
    labels: Schema.Array(Schema.String),
    properties: JsonProperties
  }),
  Schema.Struct({
    type: Schema.Literal("CreateRelationship"),
    id: U64String,
    src: U64String,
    dst: U64String,
    rel_type: Schema.String,
    properties: JsonProperties
  }),
  Schema.Struct({ type: Schema.Literal("SetNodeProperty"), node_id: U64String, key: Schema.String, value: PropertyValueJson }),
  Schema.Struct({ type: Schema.Literal("RemoveNodeProperty"), node_id: U64String, key: Schema.String }),
  Schema.Struct({ type: Schema.Literal("AddNodeLabel"), node_id: U64String, label: Schema.String }),
  Schema.Struct({ type: Schema.Literal("RemoveNodeLabel"), node_id: U64String, label: Schema.String }),
  Schema.Struct({
    type: Schema.Literal("SetRelationshipProperty"),
    rel_id: U64String,
    key: Schema.String,
    value: PropertyValueJson
  }),
  Schema.Struct({ type: Schema.Literal("RemoveRelationshipProperty"), rel_id: U64String, key: Schema.String }),
  Schema.Struct({ type: Schema.Literal("DeleteRelationship"), rel_id: U64String }),
  Schema.Struct({ type: Schema.Literal("DeleteNode"), node_id: U64String }),
  Schema.Struct({ type: Schema.Literal("DetachDeleteNode"), node_id: U64String }),
  Schema.Struct({ type: Schema.Literal("Clear") })
)

const eventFromJson = (json: MutationEventJson): MutationEvent => {
  switch (json.type) {
    case "CreateNode":
      return { _tag: "CreateNode", id: BigInt(json.id), labels: json.labels, properties: entriesFromJson(json.properties) }
    case "CreateRelationship":
      return {
        _tag: "CreateRelationship",
        id: BigInt(json.id),
        src: BigInt(json.src),
        dst: BigInt(json.dst),
        relType: json.rel_type,
        properties: entriesFromJson(json.properties)
      }
    case "SetNodeProperty":
      return { _tag: "SetNodeProperty", nodeId: BigInt(json.node_id), key: json.key, value: valueFromJson(json.value) }
    case "RemoveNodeProperty":
      return { _tag: "RemoveNodeProperty", nodeId: BigInt(json.node_id), key: json.key }
    case "AddNodeLabel":
    case "RemoveNodeLabel":
      return { _tag: json.type, nodeId: BigInt(json.node_id), label: json.label }
    case "SetRelationshipProperty":
      return { _tag: "SetRelationshipProperty", relId: BigInt(json.rel_id), key: json.key, value: valueFromJson(json.value) }
    case "RemoveRelationshipProperty":
      return { _tag: "RemoveRelationshipProperty", relId: BigInt(json.rel_id), key: json.key }
    case "DeleteRelationship":
      return { _tag: "DeleteRelationship", relId: BigInt(json.rel_id) }
    case "DeleteNode":
    case "DetachDeleteNode":
      return { _tag: json.type, nodeId: BigInt(json.node_id) }
    case "Clear":
      return { _tag: "Clear" }
  }
}

/**
 * A mutation event in the JSON form.
 *
 * @since 0.1.0
 */
export const eventToJson = (event: MutationEvent): MutationEventJson => {
  switch (event._tag) {
    case "CreateNode":
      return { type: "CreateNode", id: event.id.toString(), labels: event.labels, properties: entriesToJson(event.properties) }
    case "CreateRelationship":
      return {
        type: "CreateRelationship",
        id: event.id.toString(),
        src: event.src.toString(),
        dst: event.dst.toString(),
        rel_type: event.relType,
        properties: entriesToJson(event.properties)
      }
    case "SetNodeProperty":
      return { type: "SetNodeProperty", node_id: event.nodeId.toString(), key: event.key, value: valueToJson(event.value) }
    case "RemoveNodeProperty":
      return { type: "RemoveNodeProperty", node_id: event.nodeId.toString(), key: event.key }
    case "AddNodeLabel":
    case "RemoveNodeLabel":
      return { type: event._tag, node_id: event.nodeId.toString(), label: event.label }
    case "SetRelationshipProperty":
      return { type: "SetRelationshipProperty", rel_id: event.relId.toString(), key: event.key, value: valueToJson(event.value) }
    case "RemoveRelationshipProperty":
      return { type: "RemoveRelationshipProperty", rel_id: event.relId.toString(), key: event.key }
    case "DeleteRelationship":
      return { type: "DeleteRelationship", rel_id: event.relId.toString() }
    case "DeleteNode":
    case "DetachDeleteNode":
      return { type: event._tag, node_id: event.nodeId.toString() }
    case "Clear":
      return { type: "Clear" }
  }
}

const isTagged = (u: unknown): u is { readonly _tag: string } =>
  typeof u === "object" && u !== null && typeof (u as { _tag?: unknown })._tag === "string"

const convert = <J, A>(from: (json: J) => A) => (json: J, _: unknown, ast: import("effect/SchemaAST").AST) => {
  try {
    return ParseResult.succeed(from(json))
  } catch (e) {
    if (e instanceof JsonValueError) return ParseResult.fail(new ParseResult.Type(ast, json, e.message))
    throw e
  }
}

/**
 * Property values from and to their JSON form.
 *
 * @since 0.1.0
 */
export const PropertyValueFromJson: Schema.Schema<PropertyValue, PropertyValueJson> = Schema.transformOrFail(
  PropertyValueJson,
  Schema.declare((u): u is PropertyValue => isTagged(u), { identifier: "PropertyValue" }),
  { strict: true, decode: convert(valueFromJson), encode: (value) => ParseResult.succeed(valueToJson(value)) }
)

/**
 * Mutation events from and to their JSON form: what `lora-wal append` reads
 * and what `lora-wal replay --json` prints.
 *
 * @since 0.1.0
 */
export const MutationEventFromJson: Schema.Schema<MutationEvent, MutationEventJson> = Schema.transformOrFail(
  MutationEventJson,
  Schema.declare((u): u is MutationEvent => isTagged(u), { identifier: "MutationEvent" }),
  { strict: true, decode: convert(eventFromJson), encode: (event) => ParseResult.succeed(eventToJson(event)) }
)
