/**
 * fast-check arbitraries (through effect's `FastCheck`) for LoraDB events and
 * values of every variant, with the awkward cases weighted in: NaN payloads
 * and -0, i64/u64 extremes, astral and empty strings, empty and segmented
 * binaries, nested lists and maps, vectors of every element type.
 *
 * @since 0.1.0
 */
import type { MutationEvent } from "@lora-wal/core/MutationEvent"
import type { Properties, PropertyValue, VectorValues } from "@lora-wal/core/PropertyValue"
import * as fc from "effect/FastCheck"

const bitsView = new DataView(new ArrayBuffer(8))

/** Any f64 bit pattern, NaN payloads and -0 included. @since 0.1.0 */
export const f64: fc.Arbitrary<number> = fc.oneof(
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((bits) => {
    bitsView.setBigUint64(0, bits)
    return bitsView.getFloat64(0)
  }),
  fc.constantFrom(0, -0, NaN, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE, 0.1, 1),
  fc.double()
)

/** @since 0.1.0 */
export const u64: fc.Arbitrary<bigint> = fc.oneof(
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  fc.constantFrom(0n, 1n, 2n ** 53n + 1n, 2n ** 64n - 1n),
  fc.bigInt({ min: 0n, max: 1000n })
)

/** @since 0.1.0 */
export const i64: fc.Arbitrary<bigint> = fc.oneof(
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.constantFrom(-(2n ** 63n), -1n, 0n, 2n ** 63n - 1n)
)

const u32 = fc.nat({ max: 0xffff_ffff })
const i32 = fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff })

/** Well-formed strings, astral characters and the empty string included. @since 0.1.0 */
export const text: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 12 }).filter((s) => s.isWellFormed()),
  fc.constantFrom("", "é", "日本語", "🚀", "\u0000", "\uffff", "𐀀")
)

const vectorOf = <A extends VectorValues>(bytesPerElement: number, make: (buffer: ArrayBuffer) => A) =>
  fc.uint8Array({ maxLength: 6 * bytesPerElement }).map((bytes) => {
    const whole = bytes.subarray(0, bytes.length - (bytes.length % bytesPerElement))
    return make(whole.slice().buffer)
  })

/** Typed arrays of every element type, with random bit patterns. @since 0.1.0 */
export const vectorValues: fc.Arbitrary<VectorValues> = fc.oneof(
  vectorOf(8, (b) => new Float64Array(b)),
  vectorOf(4, (b) => new Float32Array(b)),
  vectorOf(8, (b) => new BigInt64Array(b)),
  vectorOf(4, (b) => new Int32Array(b)),
  vectorOf(2, (b) => new Int16Array(b)),
  vectorOf(1, (b) => new Int8Array(b))
)

const localTime = { hour: u32, minute: u32, second: u32, nanosecond: u32 }
const date = { year: i32, month: u32, day: u32 }

const tagged = <T extends string, R>(
  tag: T,
  fields: { [K in keyof R]: fc.Arbitrary<R[K]> }
): fc.Arbitrary<{ readonly _tag: T } & R> => fc.record(fields).map((r) => ({ _tag: tag, ...r }))

const scalar: fc.Arbitrary<PropertyValue> = fc.oneof(
  fc.constant({ _tag: "Null" } as const),
  tagged("Bool", { value: fc.boolean() }),
  tagged("Int", { value: i64 }),
  tagged("Float", { value: f64 }),
  tagged("String", { value: text }),
  tagged("Date", date),
  tagged("Time", { ...localTime, offsetSeconds: i32 }),
  tagged("LocalTime", localTime),
  tagged("DateTime", { ...date, ...localTime, offsetSeconds: i32 }),
  tagged("LocalDateTime", { ...date, ...localTime }),
  tagged("Duration", { months: i64, days: i64, seconds: i64, nanoseconds: i64 }),
  tagged("Point", { x: f64, y: f64, z: fc.option(f64, { nil: undefined }), srid: u32 }),
  tagged("Vector", { values: vectorValues }),
  tagged("Binary", { segments: fc.array(fc.uint8Array({ maxLength: 8 }), { maxLength: 3 }) })
)

/** Property maps with random keys. @since 0.1.0 */
export const propertiesOf = (value: fc.Arbitrary<PropertyValue>): fc.Arbitrary<Properties> =>
  fc.array(fc.tuple(text, value), { maxLength: 4 }).map((entries) => new Map(entries))

/** Values of every variant, nested up to a few levels. @since 0.1.0 */
export const propertyValue: fc.Arbitrary<PropertyValue> = fc.letrec<{ value: PropertyValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    tagged("List", { items: fc.array(tie("value"), { maxLength: 3 }) }),
    tagged("Map", { entries: propertiesOf(tie("value")) })
  )
})).value

const properties = propertiesOf(propertyValue)

/** Events of every variant. @since 0.1.0 */
export const mutationEvent: fc.Arbitrary<MutationEvent> = fc.oneof(
  tagged("CreateNode", { id: u64, labels: fc.array(text, { maxLength: 3 }), properties }),
  tagged("CreateRelationship", { id: u64, src: u64, dst: u64, relType: text, properties }),
  tagged("SetNodeProperty", { nodeId: u64, key: text, value: propertyValue }),
  tagged("RemoveNodeProperty", { nodeId: u64, key: text }),
  tagged("AddNodeLabel", { nodeId: u64, label: text }),
  tagged("RemoveNodeLabel", { nodeId: u64, label: text }),
  tagged("SetRelationshipProperty", { relId: u64, key: text, value: propertyValue }),
  tagged("RemoveRelationshipProperty", { relId: u64, key: text }),
  tagged("DeleteRelationship", { relId: u64 }),
  tagged("DeleteNode", { nodeId: u64 }),
  tagged("DetachDeleteNode", { nodeId: u64 }),
  fc.constant({ _tag: "Clear" } as const)
)
