/**
 * The JSON form of LoraDB events and values used by lora-wal's golden
 * fixtures and by the command-line tool: `{"type": "CreateNode", "id": "1",
 * ...}` with u64/i64 as decimal strings, floats as numbers or
 * `"NaN"`/`"Infinity"`/`"-Infinity"`/`"-0"` (plus the exact `bits` for Float
 * values), binary segments as hex.
 *
 * Each form is a Schema transformation between the JSON and the domain type
 * (`PropertyValue`, `MutationEvent`), and the JSON types are read off the
 * Schemas: decode with `Schema.decodeUnknownEither(MutationEventFromJson)`
 * (every problem is reported with its path), encode with
 * `Schema.encodeSync(MutationEventFromJson)`. `parseEvents` and
 * `stringifyEvents` give the same results for a line of events by hand, for
 * the command line's per-transaction paths, and `replayLines` prints a whole
 * log in this form without building its events. This is an edge format
 * (files, stdin, diagnostics); the log itself stores the compact binary form
 * (`LoraCodec`).
 *
 * @since 0.1.0
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import type * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type * as SchemaAST from "effect/SchemaAST"
import * as Lines from "./internal/jsonLines/lines.js"
import * as Fast from "./internal/loraJsonFast.js"
import type { MutationEvent } from "./MutationEvent.js"
import type { Properties, PropertyValue, VectorElementType, VectorValues } from "./PropertyValue.js"
import { vectorElementType } from "./PropertyValue.js"
import type * as Replay from "./Replay.js"
import type { Corruption, ReplayError } from "./WalError.js"

/**
 * An integer from its decimal string. The range is checked when decoding
 * only: encoding is on the output path of `replay --json` for every id and
 * LSN, and the values it encodes come from the log's codec, which has
 * checked them already.
 */
const decimal = (pattern: RegExp, min: bigint, max: bigint, what: string) =>
  Schema.transformOrFail(Schema.String, Schema.BigIntFromSelf, {
    strict: true,
    decode: (s, _, ast) => {
      const n = pattern.test(s) ? BigInt(s) : undefined
      return n !== undefined && n >= min && n <= max
        ? ParseResult.succeed(n)
        : ParseResult.fail(new ParseResult.Type(ast, s, `expected ${what} as a decimal string`))
    },
    encode: (n) => ParseResult.succeed(n.toString())
  })

/**
 * A u64 (ids, LSNs) from its decimal string.
 *
 * @since 0.1.0
 * @category schemas
 */
export const U64FromString = decimal(/^[0-9]{1,20}$/, 0n, 2n ** 64n - 1n, "a u64")

/**
 * An i64 from its decimal string.
 *
 * @since 0.1.0
 * @category schemas
 */
export const I64FromString = decimal(/^-?[0-9]{1,19}$/, -(2n ** 63n), 2n ** 63n - 1n, "an i64")

const int = (min: number, max: number) => Schema.Number.pipe(Schema.int(), Schema.between(min, max))
const U32 = int(0, 0xffff_ffff)
const I32 = int(-0x8000_0000, 0x7fff_ffff)

/**
 * How JSON spells an f64: a number, or a string for the values JSON cannot
 * spell.
 *
 * @since 0.1.0
 * @category schemas
 */
export const F64Json = Schema.Union(Schema.Number, Schema.Literal("NaN", "Infinity", "-Infinity", "-0"))

/**
 * @since 0.1.0
 * @category models
 */
export type F64Json = typeof F64Json.Type

/**
 * An f64 from its JSON spelling. `-0` and the non-finite values are written
 * as strings, so they survive `JSON.stringify`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const F64FromJson = Schema.transform(F64Json, Schema.Number, {
  strict: true,
  decode: (json) =>
    json === "NaN" ? NaN : json === "Infinity" ? Infinity : json === "-Infinity" ? -Infinity : json === "-0" ? -0 : json,
  encode: (n) =>
    Number.isNaN(n) ? "NaN" : n === Infinity ? "Infinity" : n === -Infinity ? "-Infinity" : Object.is(n, -0) ? "-0" : n
})

/** A Point's `z`: `null` in JSON for a 2D point. */
const OptionalF64FromJson = Schema.transform(Schema.NullOr(F64FromJson), Schema.UndefinedOr(Schema.Number), {
  strict: true,
  decode: (z) => z ?? undefined,
  encode: (z) => z ?? null
})

const bitsView = new DataView(new ArrayBuffer(8))

/** An f64 from its 16 hex digits (big-endian IEEE 754): every NaN payload survives. */
const F64FromBits = Schema.transformOrFail(Schema.String, Schema.Number, {
  strict: true,
  decode: (bits, _, ast) => {
    if (!/^[0-9a-fA-F]{16}$/.test(bits)) {
      return ParseResult.fail(new ParseResult.Type(ast, bits, "expected 16 hex digits (the bits of an f64)"))
    }
    bitsView.setBigUint64(0, BigInt(`0x${bits}`))
    return ParseResult.succeed(bitsView.getFloat64(0))
  },
  encode: (n) => {
    bitsView.setFloat64(0, n)
    return ParseResult.succeed(bitsView.getBigUint64(0).toString(16).padStart(16, "0"))
  }
})

/** A struct field whose JSON key differs from the domain's. */
const renamed = <S extends Schema.Schema.All, const K extends string>(schema: S, key: K) =>
  Schema.propertySignature(schema).pipe(Schema.fromKey(key))

/** The domain's `_tag`, spelled `type` in JSON. */
const tag = <const T extends string>(name: T) => renamed(Schema.Literal(name), "type")

/**
 * A JSON object of values, decoded and encoded key by key, that keeps every
 * own key. `Schema.Record` builds its output by assignment, which turns a
 * `"__proto__"` key into a prototype change and loses it; a property may
 * legitimately be called that.
 */
const JsonObject = <A, I>(value: Schema.Schema<A, I>) => {
  const each = <From, To>(
    parse: (u: unknown, options?: SchemaAST.ParseOptions) => Either.Either<To, ParseResult.ParseIssue>
  ) =>
  (input: unknown, options: SchemaAST.ParseOptions, ast: SchemaAST.Declaration) => {
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
      return ParseResult.fail(new ParseResult.Type(ast, input))
    }
    const source = input as { readonly [key: string]: From }
    const out: { [key: string]: To } = {}
    for (const key of Object.keys(source)) {
      const parsed = parse(source[key], options)
      if (Either.isLeft(parsed)) return ParseResult.fail(new ParseResult.Pointer(key, input, parsed.left))
      Object.defineProperty(out, key, { value: parsed.right, enumerable: true, writable: true, configurable: true })
    }
    return ParseResult.succeed(out)
  }
  return Schema.declare([value], {
    decode: (item) => each<I, A>(ParseResult.decodeUnknownEither(item)),
    encode: (item) => each<A, I>(ParseResult.encodeUnknownEither(item))
  }, { identifier: "JsonObject" }) as Schema.Schema<{ readonly [key: string]: A }, { readonly [key: string]: I }>
}

/** Properties (a map, keys in insertion order) from a JSON object of values. */
const propertiesFrom = <A, I>(value: Schema.Schema<A, I>) =>
  Schema.transform(
    JsonObject(value),
    Schema.declare((u): u is ReadonlyMap<string, A> => u instanceof Map, { identifier: "Properties" }),
    {
      strict: true,
      decode: (object) => new Map(Object.keys(object).map((key) => [key, object[key]!])),
      encode: (map) => {
        const object: { [key: string]: A } = {}
        for (const [key, v] of map) {
          Object.defineProperty(object, key, { value: v, enumerable: true, writable: true, configurable: true })
        }
        return object
      }
    }
  )

const FloatFromJson = Schema.transform(
  Schema.Struct({ type: Schema.Literal("Float"), value: F64FromJson, bits: Schema.optional(F64FromBits) }),
  Schema.Struct({ _tag: Schema.Literal("Float"), value: Schema.Number }),
  {
    strict: true,
    // The bits, when present, are the exact value; `value` is for people.
    decode: ({ bits, value }) => ({ _tag: "Float" as const, value: bits ?? value }),
    encode: ({ value }) => ({ type: "Float" as const, value, bits: value })
  }
)

/** A vector's values from and to JSON, for one element type. */
interface VectorElements {
  readonly decode: (json: ReadonlyArray<F64Json | string>) => Either.Either<VectorValues, ParseResult.ParseIssue>
  readonly encode: (values: VectorValues) => Either.Either<ReadonlyArray<F64Json | string>, ParseResult.ParseIssue>
}

/** The JSON element of one element type, and the typed array its values fill. */
const vectorElement = <A, I extends F64Json | string>(
  element: Schema.Schema<A, I>,
  make: (values: ReadonlyArray<A>) => VectorValues
): VectorElements => {
  const elements = Schema.Array(element)
  return {
    decode: (json: ReadonlyArray<F64Json | string>) => Either.map(ParseResult.decodeUnknownEither(elements)(json), make),
    encode: (values: VectorValues) => ParseResult.encodeUnknownEither(elements)(Array.from(values as ArrayLike<unknown>))
  }
}

const vectorElements: { readonly [T in VectorElementType]: VectorElements } = {
  FLOAT64: vectorElement(F64FromJson, (values) => Float64Array.from(values)),
  FLOAT32: vectorElement(
    F64FromJson.pipe(Schema.filter((n) => Number.isNaN(n) || Math.fround(n) === n || `vector element ${n} is not an f32`)),
    (values) => Float32Array.from(values)
  ),
  INTEGER64: vectorElement(I64FromString, (values) => BigInt64Array.from(values)),
  INTEGER32: vectorElement(I32, (values) => Int32Array.from(values)),
  INTEGER16: vectorElement(int(-0x8000, 0x7fff), (values) => Int16Array.from(values)),
  INTEGER8: vectorElement(int(-0x80, 0x7f), (values) => Int8Array.from(values))
}

const isVectorValues = (u: unknown): u is VectorValues =>
  u instanceof Float64Array || u instanceof Float32Array || u instanceof BigInt64Array ||
  u instanceof Int32Array || u instanceof Int16Array || u instanceof Int8Array

const VectorFromJson = Schema.transformOrFail(
  Schema.Struct({
    type: Schema.Literal("Vector"),
    dimension: U64FromString,
    element_type: Schema.Literal("FLOAT64", "FLOAT32", "INTEGER64", "INTEGER32", "INTEGER16", "INTEGER8"),
    values: Schema.Array(Schema.Union(F64Json, Schema.String))
  }),
  Schema.Struct({ _tag: Schema.Literal("Vector"), values: Schema.declare(isVectorValues, { identifier: "VectorValues" }) }),
  {
    strict: true,
    decode: (json, _, ast) =>
      json.dimension !== BigInt(json.values.length)
        ? ParseResult.fail(
          new ParseResult.Type(ast, json, `vector dimension ${json.dimension} does not match its ${json.values.length} values`)
        )
        : Either.match(vectorElements[json.element_type].decode(json.values), {
          onLeft: (issue) => ParseResult.fail(new ParseResult.Pointer("values", json, issue)),
          onRight: (values) => ParseResult.succeed({ _tag: "Vector" as const, values })
        }),
    encode: ({ values }) => {
      const elementType = vectorElementType(values)
      return Either.map(vectorElements[elementType].encode(values), (json) => ({
        type: "Vector" as const,
        dimension: BigInt(values.length),
        element_type: elementType,
        values: json
      }))
    }
  }
)

const byteCount = (segments: ReadonlyArray<Uint8Array>): bigint => BigInt(segments.reduce((n, s) => n + s.length, 0))

const BinaryFromJson = Schema.transformOrFail(
  Schema.Struct({
    type: Schema.Literal("Binary"),
    len: Schema.optional(U64FromString),
    segments: Schema.Array(Schema.Uint8ArrayFromHex)
  }),
  Schema.Struct({ _tag: Schema.Literal("Binary"), segments: Schema.Array(Schema.Uint8ArrayFromSelf) }),
  {
    strict: true,
    decode: (json, _, ast) =>
      json.len !== undefined && json.len !== byteCount(json.segments)
        ? ParseResult.fail(
          new ParseResult.Type(ast, json, `binary len ${json.len} does not match its ${byteCount(json.segments)} bytes`)
        )
        : ParseResult.succeed({ _tag: "Binary" as const, segments: json.segments }),
    encode: ({ segments }) => ParseResult.succeed({ type: "Binary" as const, len: byteCount(segments), segments })
  }
)

const dateFields = { year: I32, month: U32, day: U32 }
const localTimeFields = { hour: U32, minute: U32, second: U32, nanosecond: U32 }
const offsetSeconds = renamed(I32, "offset_seconds")

/** Every property value but the two that contain values (List and Map). */
const ScalarFromJson = Schema.Union(
  Schema.Struct({ _tag: tag("Null") }),
  Schema.Struct({ _tag: tag("Bool"), value: Schema.Boolean }),
  Schema.Struct({ _tag: tag("Int"), value: I64FromString }),
  FloatFromJson,
  Schema.Struct({ _tag: tag("String"), value: Schema.String }),
  Schema.Struct({ _tag: tag("Date"), ...dateFields }),
  Schema.Struct({ _tag: tag("Time"), ...localTimeFields, offsetSeconds }),
  Schema.Struct({ _tag: tag("LocalTime"), ...localTimeFields }),
  Schema.Struct({ _tag: tag("DateTime"), ...dateFields, ...localTimeFields, offsetSeconds }),
  Schema.Struct({ _tag: tag("LocalDateTime"), ...dateFields, ...localTimeFields }),
  Schema.Struct({
    _tag: tag("Duration"),
    months: I64FromString,
    days: I64FromString,
    seconds: I64FromString,
    nanoseconds: I64FromString
  }),
  Schema.Struct({ _tag: tag("Point"), x: F64FromJson, y: F64FromJson, z: OptionalF64FromJson, srid: U32 }),
  VectorFromJson,
  BinaryFromJson
)

/**
 * The JSON shape of a property value. Written out only where values nest
 * (List, Map): a recursive type cannot be read off its Schema.
 *
 * @since 0.1.0
 * @category models
 */
export type PropertyValueJson =
  | typeof ScalarFromJson.Encoded
  | { readonly type: "List"; readonly items: ReadonlyArray<PropertyValueJson> }
  | { readonly type: "Map"; readonly entries: { readonly [key: string]: PropertyValueJson } }

const PropertiesFromJson: Schema.Schema<Properties, { readonly [key: string]: PropertyValueJson }> = propertiesFrom(
  Schema.suspend(() => PropertyValueFromJson)
)

/**
 * Property values from and to their JSON form.
 *
 * @since 0.1.0
 * @category schemas
 */
export const PropertyValueFromJson: Schema.Schema<PropertyValue, PropertyValueJson> = Schema.Union(
  ScalarFromJson,
  Schema.Struct({ _tag: tag("List"), items: Schema.Array(Schema.suspend(() => PropertyValueFromJson)) }),
  Schema.Struct({ _tag: tag("Map"), entries: PropertiesFromJson })
)

const nodeId = renamed(U64FromString, "node_id")
const relId = renamed(U64FromString, "rel_id")

const MutationEventUnion = Schema.Union(
  Schema.Struct({
    _tag: tag("CreateNode"),
    id: U64FromString,
    labels: Schema.Array(Schema.String),
    properties: PropertiesFromJson
  }),
  Schema.Struct({
    _tag: tag("CreateRelationship"),
    id: U64FromString,
    src: U64FromString,
    dst: U64FromString,
    relType: renamed(Schema.String, "rel_type"),
    properties: PropertiesFromJson
  }),
  Schema.Struct({ _tag: tag("SetNodeProperty"), nodeId, key: Schema.String, value: PropertyValueFromJson }),
  Schema.Struct({ _tag: tag("RemoveNodeProperty"), nodeId, key: Schema.String }),
  Schema.Struct({ _tag: tag("AddNodeLabel"), nodeId, label: Schema.String }),
  Schema.Struct({ _tag: tag("RemoveNodeLabel"), nodeId, label: Schema.String }),
  Schema.Struct({ _tag: tag("SetRelationshipProperty"), relId, key: Schema.String, value: PropertyValueFromJson }),
  Schema.Struct({ _tag: tag("RemoveRelationshipProperty"), relId, key: Schema.String }),
  Schema.Struct({ _tag: tag("DeleteRelationship"), relId }),
  Schema.Struct({ _tag: tag("DeleteNode"), nodeId }),
  Schema.Struct({ _tag: tag("DetachDeleteNode"), nodeId }),
  Schema.Struct({ _tag: tag("Clear") })
)

/**
 * The JSON shape of a mutation event.
 *
 * @since 0.1.0
 * @category models
 */
export type MutationEventJson = typeof MutationEventUnion.Encoded

/**
 * Mutation events from and to their JSON form: what `lora-wal append` reads
 * and what `lora-wal replay --json` prints.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MutationEventFromJson: Schema.Schema<MutationEvent, MutationEventJson> = MutationEventUnion

const EventsFromJson = Schema.Array(MutationEventFromJson)
const encodeEvents = Schema.encodeSync(EventsFromJson)
const decodeEvents = Schema.decodeUnknownEither(EventsFromJson)

/** The Schema's issues on one line, each with its path. */
const describeIssues = (error: ParseResult.ParseError): string =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .map((issue) => `${issue.path.length > 0 ? `at [${issue.path.join("][")}]: ` : ""}${issue.message}`)
    .join("; ")

/**
 * The JSON line of a transaction's events, for `lora-wal replay --jsonl`,
 * which prints one per transaction of logs of gigabytes: exactly
 * `JSON.stringify(Schema.encodeSync(Schema.Array(MutationEventFromJson))(events))`,
 * written directly at a fraction of the Schema's cost. What the direct
 * writer is unsure of goes through the Schema, so this throws the Schema's
 * `ParseError` for what is not an event.
 *
 * @since 0.1.0
 * @category encoding
 */
export const stringifyEvents = (events: ReadonlyArray<MutationEvent>): string =>
  Fast.writeEvents(events) ?? JSON.stringify(encodeEvents(events))

/**
 * The events of one JSON line (an array of events), as `lora-wal append`
 * reads a transaction, or why the line is not one, as a one-line reason:
 * `not JSON: ` and the parser's message, or `not an array of events: ` and
 * the issues of `Schema.Array(MutationEventFromJson)` with their paths.
 * Well-formed lines are decoded by hand, at a fraction of the Schema's
 * cost; anything else goes through the Schema, so the lines accepted, their
 * events and the reasons are exactly the Schema's.
 *
 * @since 0.1.0
 * @category decoding
 */
export const parseEvents = (line: string): Either.Either<ReadonlyArray<MutationEvent>, string> => {
  let json: unknown
  try {
    json = JSON.parse(line)
  } catch (e) {
    return Either.left(`not JSON: ${(e as Error).message}`)
  }
  const events = Fast.readEvents(json)
  return events !== undefined
    ? Either.right(events)
    : Either.mapLeft(decodeEvents(json), (error) => `not an array of events: ${describeIssues(error)}`)
}

/**
 * How {@link replayLines} reads the log, and where its output goes.
 * `onLines` gets whole lines in a buffer that is reused once its effect
 * completes: write it out or copy it before then.
 *
 * @since 0.1.0
 * @category replay
 */
export interface ReplayLinesOptions<E, R> extends Replay.ReadOptions {
  readonly onLines: (lines: Uint8Array) => Effect.Effect<void, E, R>
  /**
   * Batches transcoded by another thread (`TranscodeAhead`); without it,
   * replay transcodes every batch itself.
   *
   * @internal
   */
  readonly prepared?: PreparedBatches | undefined
}

/**
 * One `MutationBatch` payload as JSON, from another thread: each event's
 * text followed by a comma, `ends[i]` the offset of event i's comma.
 *
 * @internal
 */
export interface PreparedBatch {
  readonly texts: Uint8Array
  readonly ends: ArrayLike<number>
}

/**
 * Where {@link replayLines} looks for a batch's JSON before transcoding it:
 * `take` is asked once for each `MutationBatch` payload, in log order, and
 * returns the JSON of the payload `bytes[start..end]` only if that is what
 * these very bytes transcode to (`TranscodeAhead.consumer` compares them).
 * What it returns is valid until the next `take` (the thread reuses it).
 *
 * @internal
 */
export interface PreparedBatches {
  readonly take: (bytes: Uint8Array, start: number, end: number) => PreparedBatch | undefined
}

/**
 * The committed transactions of a LoraDB log as JSON Lines in UTF-8, one
 * `{"commit_lsn":"…","events":[…]}` per transaction, each events array the
 * text {@link stringifyEvents} gives: for exporting or piping a log of any
 * size. The events are never built: their payloads are written straight as
 * JSON (the codec decodes the rare shapes this does not know, and refuses
 * the same bytes), and output is handed over in buffers of about 64 KiB, so
 * memory holds a read chunk, the open transactions and one buffer. It
 * refuses what `Replay.stream` refuses, after the lines before the damage,
 * and returns the replay's summary.
 *
 * @example
 * ```ts
 * import { LoraJson } from "@lora-wal/core"
 * import { Effect } from "effect"
 * import * as fs from "node:fs"
 *
 * const exportLog = (dir: string, file: string) =>
 *   Effect.acquireUseRelease(
 *     Effect.sync(() => fs.openSync(file, "w")),
 *     (fd) => LoraJson.replayLines(dir, { onLines: (lines) => Effect.sync(() => fs.writeFileSync(fd, lines)) }),
 *     (fd) => Effect.sync(() => fs.closeSync(fd))
 *   )
 * ```
 *
 * @since 0.1.0
 * @category replay
 */
export const replayLines = <E = never, R = never>(
  dir: string,
  options: ReplayLinesOptions<E, R>
): Effect.Effect<Replay.Summary, ReplayError | Corruption | E, FileSystem.FileSystem | Path.Path | R> =>
  Lines.replayLines(dir, (event) => stringifyEvents([event]).slice(1, -1), options)
