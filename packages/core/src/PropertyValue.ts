/**
 * LoraDB property values: what nodes and relationships carry, and what the
 * LoraDB event codec writes byte for byte as lora-wal does.
 *
 * Integers are `bigint` (i64, exact), floats are `number` (every bit pattern,
 * including NaN payloads and -0, survives a round trip), vectors are typed
 * arrays (their element type is the array's type), maps are `ReadonlyMap`
 * (no prototype keys, and a key that repeats on disk keeps the last value).
 *
 * @since 0.1.0
 */

/**
 * The absent value (Cypher `null`).
 *
 * @since 0.1.0
 * @category models
 */
export interface NullValue {
  readonly _tag: "Null"
}

/**
 * A boolean.
 *
 * @since 0.1.0
 * @category models
 */
export interface BoolValue {
  readonly _tag: "Bool"
  readonly value: boolean
}

/**
 * An i64.
 *
 * @since 0.1.0
 * @category models
 */
export interface IntValue {
  readonly _tag: "Int"
  readonly value: bigint
}

/**
 * An f64, bit-exact.
 *
 * @since 0.1.0
 * @category models
 */
export interface FloatValue {
  readonly _tag: "Float"
  readonly value: number
}

/**
 * A string, written as UTF-8.
 *
 * @since 0.1.0
 * @category models
 */
export interface StringValue {
  readonly _tag: "String"
  readonly value: string
}

/**
 * An ordered list of values, which may mix variants and nest.
 *
 * @since 0.1.0
 * @category models
 */
export interface ListValue {
  readonly _tag: "List"
  readonly items: ReadonlyArray<PropertyValue>
}

/**
 * Written with keys in UTF-8 byte order.
 *
 * @since 0.1.0
 * @category models
 */
export interface MapValue {
  readonly _tag: "Map"
  readonly entries: Properties
}

/**
 * A calendar date; `year` may be negative (BCE).
 *
 * @since 0.1.0
 * @category models
 */
export interface DateValue {
  readonly _tag: "Date"
  readonly year: number
  readonly month: number
  readonly day: number
}

/**
 * A time of day without a time zone, to the nanosecond.
 *
 * @since 0.1.0
 * @category models
 */
export interface LocalTimeValue {
  readonly _tag: "LocalTime"
  readonly hour: number
  readonly minute: number
  readonly second: number
  readonly nanosecond: number
}

/**
 * A time of day with a UTC offset.
 *
 * @since 0.1.0
 * @category models
 */
export interface TimeValue extends Omit<LocalTimeValue, "_tag"> {
  readonly _tag: "Time"
  readonly offsetSeconds: number
}

/**
 * A date and time of day without a time zone.
 *
 * @since 0.1.0
 * @category models
 */
export interface LocalDateTimeValue extends Omit<DateValue, "_tag">, Omit<LocalTimeValue, "_tag"> {
  readonly _tag: "LocalDateTime"
}

/**
 * A date and time of day with a UTC offset.
 *
 * @since 0.1.0
 * @category models
 */
export interface DateTimeValue extends Omit<LocalDateTimeValue, "_tag"> {
  readonly _tag: "DateTime"
  readonly offsetSeconds: number
}

/**
 * Four independent i64 components, as Cypher durations have.
 *
 * @since 0.1.0
 * @category models
 */
export interface DurationValue {
  readonly _tag: "Duration"
  readonly months: bigint
  readonly days: bigint
  readonly seconds: bigint
  readonly nanoseconds: bigint
}

/**
 * A 2D or 3D point (`z` undefined for 2D) in a spatial reference system.
 *
 * @since 0.1.0
 * @category models
 */
export interface PointValue {
  readonly _tag: "Point"
  readonly x: number
  readonly y: number
  readonly z: number | undefined
  readonly srid: number
}

/**
 * The typed arrays a vector can hold; the array type is the element type.
 *
 * @since 0.1.0
 * @category models
 */
export type VectorValues = Float64Array | Float32Array | BigInt64Array | Int32Array | Int16Array | Int8Array

/**
 * A vector of numbers (an embedding, say), kept as a typed array.
 *
 * @since 0.1.0
 * @category models
 */
export interface VectorValue {
  readonly _tag: "Vector"
  readonly values: VectorValues
}

/**
 * Bytes kept as the segments they were written in.
 *
 * @since 0.1.0
 * @category models
 */
export interface BinaryValue {
  readonly _tag: "Binary"
  readonly segments: ReadonlyArray<Uint8Array>
}

/**
 * Any value a node or relationship property can hold. Build one with the
 * constructors of this module ({@link int}, {@link map}, ...) and switch on
 * `_tag` to read one.
 *
 * @since 0.1.0
 * @category models
 */
export type PropertyValue =
  | NullValue
  | BoolValue
  | IntValue
  | FloatValue
  | StringValue
  | ListValue
  | MapValue
  | DateValue
  | TimeValue
  | LocalTimeValue
  | DateTimeValue
  | LocalDateTimeValue
  | DurationValue
  | PointValue
  | VectorValue
  | BinaryValue

/**
 * Properties of a node or relationship, and the entries of a map value.
 *
 * @since 0.1.0
 * @category models
 */
export type Properties = ReadonlyMap<string, PropertyValue>

/**
 * Vector element types, with the tag byte the format uses.
 *
 * @since 0.1.0
 * @category models
 */
export type VectorElementType = "FLOAT64" | "FLOAT32" | "INTEGER64" | "INTEGER32" | "INTEGER16" | "INTEGER8"

/**
 * The element type of a vector, from its array type.
 *
 * @since 0.1.0
 * @category utils
 */
export const vectorElementType = (values: VectorValues): VectorElementType =>
  ELEMENT_TYPES.find(([array]) => values instanceof array)![1]

const ELEMENT_TYPES: ReadonlyArray<readonly [Function, VectorElementType]> = [
  [Float64Array, "FLOAT64"],
  [Float32Array, "FLOAT32"],
  [BigInt64Array, "INTEGER64"],
  [Int32Array, "INTEGER32"],
  [Int16Array, "INTEGER16"],
  [Int8Array, "INTEGER8"]
]

/**
 * The null value, also exported as `null` (`PropertyValue.null`); `null_` is
 * the name to import it by, `null` being a keyword.
 *
 * @since 0.1.0
 * @category constructors
 */
export const null_: NullValue = { _tag: "Null" }
export {
  /**
   * The null value (Cypher `null`).
   *
   * @since 0.1.0
   * @category constructors
   */
  null_ as null
}

/**
 * A boolean value.
 *
 * @since 0.1.0
 * @category constructors
 */
export const bool = (value: boolean): BoolValue => ({ _tag: "Bool", value })

/**
 * An integer value. Accepts a safe integer `number` for convenience; stored
 * as `bigint`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const int = (value: bigint | number): IntValue => ({ _tag: "Int", value: BigInt(value) })

/**
 * A float value; any `number`, NaN and -0 included, is stored bit for bit.
 *
 * @since 0.1.0
 * @category constructors
 */
export const float = (value: number): FloatValue => ({ _tag: "Float", value })

/**
 * A string value.
 *
 * @since 0.1.0
 * @category constructors
 */
export const string = (value: string): StringValue => ({ _tag: "String", value })

/**
 * A list value of the given items.
 *
 * @since 0.1.0
 * @category constructors
 */
export const list = (items: ReadonlyArray<PropertyValue>): ListValue => ({ _tag: "List", items })

/**
 * A map value, from entries or a plain object (own keys only), like {@link properties}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const map = (entries: Iterable<readonly [string, PropertyValue]> | Record<string, PropertyValue>): MapValue => ({
  _tag: "Map",
  entries: properties(entries)
})

/**
 * A vector value; its element type is the typed array's ({@link vectorElementType}).
 *
 * @since 0.1.0
 * @category constructors
 */
export const vector = (values: VectorValues): VectorValue => ({ _tag: "Vector", values })

/**
 * A binary value from the byte segments it was written in (usually one).
 *
 * @since 0.1.0
 * @category constructors
 */
export const binary = (...segments: ReadonlyArray<Uint8Array>): BinaryValue => ({ _tag: "Binary", segments })

/**
 * Builds a property map from entries or a plain object (own keys only).
 *
 * @since 0.1.0
 * @category constructors
 */
export const properties = (
  entries: Iterable<readonly [string, PropertyValue]> | Record<string, PropertyValue>
): Properties =>
  new Map(
    Symbol.iterator in entries
      ? (entries as Iterable<readonly [string, PropertyValue]>)
      : Object.entries(entries as Record<string, PropertyValue>)
  )

/**
 * An empty property map, shared.
 *
 * @since 0.1.0
 * @category constants
 */
export const noProperties: Properties = new Map()
