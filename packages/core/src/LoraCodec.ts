/**
 * The LoraDB mutation-event codec: lora-wal 0.8.3's compact payload format,
 * written byte for byte as the Rust crate writes it (sorted map keys, exact
 * float bits, i64 extremes, binary segments kept as written).
 *
 * Reading is hardened against hostile bytes: every count is checked against
 * the bytes left before anything is allocated, and nesting is bounded, so a
 * corrupt payload is a `Decode` failure, never an allocation spike or a
 * stack overflow.
 *
 * @since 0.1.0
 */
import { compareUtf8, DecodeFailure, EncodeFailure, littleEndianHost, type Reader, type Writer } from "./Bytes.js"
import * as EventCodec from "./EventCodec.js"
import type { MutationEvent } from "./MutationEvent.js"
import type { Properties, PropertyValue, VectorValues } from "./PropertyValue.js"

/**
 * How deeply lists and maps may nest. Writing refuses deeper values so the
 * log never holds what it cannot read back; lora-wal itself would exhaust
 * its stack long before a depth that deep is useful.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_NESTING = 1024

const EVENT = {
  CreateNode: 1,
  CreateRelationship: 2,
  SetNodeProperty: 3,
  RemoveNodeProperty: 4,
  AddNodeLabel: 5,
  RemoveNodeLabel: 6,
  SetRelationshipProperty: 7,
  RemoveRelationshipProperty: 8,
  DeleteRelationship: 9,
  DeleteNode: 10,
  DetachDeleteNode: 11,
  Clear: 12
} as const

const VALUE = {
  Null: 0,
  Bool: 1,
  Int: 2,
  Float: 3,
  String: 4,
  List: 5,
  Map: 6,
  Date: 7,
  Time: 8,
  LocalTime: 9,
  DateTime: 10,
  LocalDateTime: 11,
  Duration: 12,
  Point: 13,
  Vector: 14,
  Binary: 15
} as const

/** Vector element types in tag order (tag = index + 1), with how to move one element. */
interface VectorKind {
  readonly tag: number
  readonly size: number
  readonly label: string
  readonly array: new(lengthOrBuffer: number | ArrayBuffer) => VectorValues
  readonly get: (view: DataView, at: number) => number | bigint
  readonly set: (view: DataView, at: number, value: number | bigint) => void
}

const VECTOR_KINDS: ReadonlyArray<VectorKind> = [
  {
    tag: 1, size: 8, label: "float64 vector value", array: Float64Array,
    get: (v, at) => v.getFloat64(at, true), set: (v, at, x) => v.setFloat64(at, x as number, true)
  },
  {
    tag: 2, size: 4, label: "float32 vector value", array: Float32Array,
    get: (v, at) => v.getFloat32(at, true), set: (v, at, x) => v.setFloat32(at, x as number, true)
  },
  {
    tag: 3, size: 8, label: "int64 vector value", array: BigInt64Array,
    get: (v, at) => v.getBigInt64(at, true), set: (v, at, x) => v.setBigInt64(at, x as bigint, true)
  },
  {
    tag: 4, size: 4, label: "int32 vector value", array: Int32Array,
    get: (v, at) => v.getInt32(at, true), set: (v, at, x) => v.setInt32(at, x as number, true)
  },
  {
    tag: 5, size: 2, label: "int16 vector value", array: Int16Array,
    get: (v, at) => v.getInt16(at, true), set: (v, at, x) => v.setInt16(at, x as number, true)
  },
  {
    tag: 6, size: 1, label: "int8 vector value", array: Int8Array,
    get: (v, at) => v.getInt8(at), set: (v, at, x) => v.setInt8(at, x as number)
  }
]

const vectorKindOf = (values: VectorValues): VectorKind | undefined =>
  VECTOR_KINDS.find((kind) => values instanceof kind.array)

const U64_MAX = 0xffff_ffff_ffff_ffffn
const I64_MIN = -(2n ** 63n)
const I64_MAX = 2n ** 63n - 1n

const u64 = (w: Writer, value: bigint, what: string): void => {
  if (value < 0n || value > U64_MAX) throw new EncodeFailure(`${what} ${value} is outside the u64 range`)
  w.u64(value)
}

const i64 = (w: Writer, value: bigint, what: string): void => {
  if (value < I64_MIN || value > I64_MAX) throw new EncodeFailure(`${what} ${value} is outside the i64 range`)
  w.i64(value)
}

const intIn = (value: number, min: number, max: number, what: string): number => {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new EncodeFailure(`${what} ${value} is not an integer in ${min}..=${max}`)
  }
  return value
}
const u32 = (w: Writer, value: number, what: string) => w.u32(intIn(value, 0, 0xffff_ffff, what))
const i32 = (w: Writer, value: number, what: string) => w.i32(intIn(value, -0x8000_0000, 0x7fff_ffff, what))

const byUtf8Key = (a: readonly [string, PropertyValue], b: readonly [string, PropertyValue]) => compareUtf8(a[0], b[0])

const writeEntries = (w: Writer, map: Properties, depth: number): void => {
  w.len(map.size)
  // Keys go in UTF-8 byte order; a single entry needs no sorted copy.
  for (const [key, value] of map.size <= 1 ? map : Array.from(map).sort(byUtf8Key)) {
    w.string(key)
    writeValue(w, value, depth)
  }
}

const writeVector = (w: Writer, values: VectorValues): void => {
  const kind = vectorKindOf(values)
  if (kind === undefined) {
    throw new EncodeFailure("vector values must be a Float64/Float32/BigInt64/Int32/Int16/Int8 array")
  }
  w.len(values.length)
  w.u8(kind.tag)
  w.len(values.length)
  if (littleEndianHost) {
    w.raw(new Uint8Array(values.buffer, values.byteOffset, values.byteLength))
    return
  }
  w.reserve(values.byteLength)
  for (let i = 0; i < values.length; i++) kind.set(w.view, w.length + i * kind.size, values[i]!)
  w.length += values.byteLength
}

const writeLocalTime = (
  w: Writer,
  v: { readonly hour: number; readonly minute: number; readonly second: number; readonly nanosecond: number }
): void => {
  u32(w, v.hour, "hour")
  u32(w, v.minute, "minute")
  u32(w, v.second, "second")
  u32(w, v.nanosecond, "nanosecond")
}

const writeDate = (w: Writer, v: { readonly year: number; readonly month: number; readonly day: number }): void => {
  i32(w, v.year, "year")
  u32(w, v.month, "month")
  u32(w, v.day, "day")
}

const writeValue = (w: Writer, value: PropertyValue, depth: number): void => {
  const tag = VALUE[value._tag]
  if (typeof tag !== "number") throw new EncodeFailure(`unknown property value type ${String(value._tag)}`)
  w.u8(tag)
  switch (value._tag) {
    case "Null":
      return
    case "Bool":
      return w.u8(value.value ? 1 : 0)
    case "Int":
      return i64(w, value.value, "Int value")
    case "Float":
      return w.f64(value.value)
    case "String":
      return w.string(value.value)
    case "List": {
      if (depth >= MAX_NESTING) throw new EncodeFailure(`value nesting deeper than ${MAX_NESTING} levels`)
      w.len(value.items.length)
      for (const item of value.items) writeValue(w, item, depth + 1)
      return
    }
    case "Map":
      if (depth >= MAX_NESTING) throw new EncodeFailure(`value nesting deeper than ${MAX_NESTING} levels`)
      return writeEntries(w, value.entries, depth + 1)
    case "Date":
      return writeDate(w, value)
    case "Time":
      writeLocalTime(w, value)
      return i32(w, value.offsetSeconds, "offset_seconds")
    case "LocalTime":
      return writeLocalTime(w, value)
    case "DateTime":
      writeDate(w, value)
      writeLocalTime(w, value)
      return i32(w, value.offsetSeconds, "offset_seconds")
    case "LocalDateTime":
      writeDate(w, value)
      return writeLocalTime(w, value)
    case "Duration":
      i64(w, value.months, "months")
      i64(w, value.days, "days")
      i64(w, value.seconds, "seconds")
      return i64(w, value.nanoseconds, "nanoseconds")
    case "Point":
      w.f64(value.x)
      w.f64(value.y)
      if (value.z === undefined) {
        w.u8(0)
      } else {
        w.u8(1)
        w.f64(value.z)
      }
      return u32(w, value.srid, "srid")
    case "Vector":
      return writeVector(w, value.values)
    case "Binary":
      w.len(value.segments.length)
      for (const segment of value.segments) w.lenBytes(segment)
      return
  }
}

const writeEvent = (w: Writer, event: MutationEvent): void => {
  const tag = EVENT[event._tag]
  if (typeof tag !== "number") throw new EncodeFailure(`unknown mutation event type ${String(event._tag)}`)
  w.u8(tag)
  switch (event._tag) {
    case "CreateNode":
      u64(w, event.id, "node id")
      w.len(event.labels.length)
      for (const label of event.labels) w.string(label)
      return writeEntries(w, event.properties, 0)
    case "CreateRelationship":
      u64(w, event.id, "relationship id")
      u64(w, event.src, "source node id")
      u64(w, event.dst, "target node id")
      w.string(event.relType)
      return writeEntries(w, event.properties, 0)
    case "SetNodeProperty":
      u64(w, event.nodeId, "node id")
      w.string(event.key)
      return writeValue(w, event.value, 0)
    case "RemoveNodeProperty":
      u64(w, event.nodeId, "node id")
      return w.string(event.key)
    case "AddNodeLabel":
    case "RemoveNodeLabel":
      u64(w, event.nodeId, "node id")
      return w.string(event.label)
    case "SetRelationshipProperty":
      u64(w, event.relId, "relationship id")
      w.string(event.key)
      return writeValue(w, event.value, 0)
    case "RemoveRelationshipProperty":
      u64(w, event.relId, "relationship id")
      return w.string(event.key)
    case "DeleteRelationship":
      return u64(w, event.relId, "relationship id")
    case "DeleteNode":
    case "DetachDeleteNode":
      return u64(w, event.nodeId, "node id")
    case "Clear":
      return
  }
}

const readEntries = (r: Reader, label: string, depth: number): Map<string, PropertyValue> => {
  const count = r.count(label)
  const map = new Map<string, PropertyValue>()
  for (let i = 0; i < count; i++) {
    const key = r.name()
    map.set(key, readValue(r, depth))
  }
  return map
}

const readVectorElements = (r: Reader, kind: VectorKind, count: number): VectorValues => {
  const bytes = r.take(count * kind.size)
  // Copying the bytes keeps every bit, NaN payloads included. `new Uint8Array` copies into a
  // buffer of their own: a Node Buffer's `slice` would share the whole pool instead.
  if (littleEndianHost) return new kind.array(new Uint8Array(bytes).buffer)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out = new kind.array(count)
  for (let i = 0; i < count; i++) out[i] = kind.get(view, i * kind.size)
  return out
}

const readVector = (r: Reader): PropertyValue => {
  const dimensionAt = r.offset
  r.u64()
  const tag = r.u8()
  const kind = VECTOR_KINDS[tag - 1]
  if (kind === undefined) throw new DecodeFailure(`unknown vector value tag ${tag}`)
  const count = r.count(kind.label)
  const values = readVectorElements(r, kind, count)
  const dimension = r.view.getBigUint64(dimensionAt, true)
  if (dimension !== BigInt(count)) {
    throw new DecodeFailure(`vector dimension mismatch: declared ${dimension}, got ${count}`)
  }
  return { _tag: "Vector", values }
}

const readDate = (r: Reader) => ({ year: r.i32(), month: r.u32(), day: r.u32() })
const readLocalTime = (r: Reader) => ({ hour: r.u32(), minute: r.u32(), second: r.u32(), nanosecond: r.u32() })

const readValue = (r: Reader, depth: number): PropertyValue => {
  const tag = r.u8()
  switch (tag) {
    case VALUE.Null:
      return { _tag: "Null" }
    case VALUE.Bool:
      return { _tag: "Bool", value: r.u8() !== 0 }
    case VALUE.Int:
      return { _tag: "Int", value: r.i64() }
    case VALUE.Float:
      return { _tag: "Float", value: r.f64() }
    case VALUE.String:
      return { _tag: "String", value: r.string() }
    case VALUE.List: {
      if (depth >= MAX_NESTING) throw new DecodeFailure(`value nesting deeper than ${MAX_NESTING} levels`)
      const count = r.count("property list value")
      const items = new Array<PropertyValue>(count)
      for (let i = 0; i < count; i++) items[i] = readValue(r, depth + 1)
      return { _tag: "List", items }
    }
    case VALUE.Map:
      if (depth >= MAX_NESTING) throw new DecodeFailure(`value nesting deeper than ${MAX_NESTING} levels`)
      return { _tag: "Map", entries: readEntries(r, "property map entry", depth + 1) }
    // Object literals evaluate in order, so the spreads read the fields in format order.
    case VALUE.Date:
      return { _tag: "Date", ...readDate(r) }
    case VALUE.Time:
      return { _tag: "Time", ...readLocalTime(r), offsetSeconds: r.i32() }
    case VALUE.LocalTime:
      return { _tag: "LocalTime", ...readLocalTime(r) }
    case VALUE.DateTime:
      return { _tag: "DateTime", ...readDate(r), ...readLocalTime(r), offsetSeconds: r.i32() }
    case VALUE.LocalDateTime:
      return { _tag: "LocalDateTime", ...readDate(r), ...readLocalTime(r) }
    case VALUE.Duration:
      return { _tag: "Duration", months: r.i64(), days: r.i64(), seconds: r.i64(), nanoseconds: r.i64() }
    case VALUE.Point: {
      const x = r.f64()
      const y = r.f64()
      const presence = r.u8()
      if (presence > 1) throw new DecodeFailure(`invalid point z-presence tag ${presence}`)
      const z = presence === 1 ? r.f64() : undefined
      return { _tag: "Point", x, y, z, srid: r.u32() }
    }
    case VALUE.Vector:
      return readVector(r)
    case VALUE.Binary: {
      const count = r.count("binary segment")
      const segments = new Array<Uint8Array>(count)
      for (let i = 0; i < count; i++) segments[i] = r.lenBytes()
      return { _tag: "Binary", segments }
    }
    default:
      throw new DecodeFailure(`unknown WAL property value tag ${tag}`)
  }
}

/** Arrays are sized from their count: grown by `push`, a kept one-label array would hold 17 slots. */
const readNames = (r: Reader): Array<string> => {
  const count = r.count("string")
  const out = new Array<string>(count)
  for (let i = 0; i < count; i++) out[i] = r.name()
  return out
}

const readEvent = (r: Reader): MutationEvent => {
  const tag = r.u8()
  switch (tag) {
    case EVENT.CreateNode:
      return { _tag: "CreateNode", id: r.u64(), labels: readNames(r), properties: readEntries(r, "property", 0) }
    case EVENT.CreateRelationship:
      return {
        _tag: "CreateRelationship",
        id: r.u64(),
        src: r.u64(),
        dst: r.u64(),
        relType: r.name(),
        properties: readEntries(r, "property", 0)
      }
    case EVENT.SetNodeProperty:
      return { _tag: "SetNodeProperty", nodeId: r.u64(), key: r.name(), value: readValue(r, 0) }
    case EVENT.RemoveNodeProperty:
      return { _tag: "RemoveNodeProperty", nodeId: r.u64(), key: r.name() }
    case EVENT.AddNodeLabel:
      return { _tag: "AddNodeLabel", nodeId: r.u64(), label: r.name() }
    case EVENT.RemoveNodeLabel:
      return { _tag: "RemoveNodeLabel", nodeId: r.u64(), label: r.name() }
    case EVENT.SetRelationshipProperty:
      return { _tag: "SetRelationshipProperty", relId: r.u64(), key: r.name(), value: readValue(r, 0) }
    case EVENT.RemoveRelationshipProperty:
      return { _tag: "RemoveRelationshipProperty", relId: r.u64(), key: r.name() }
    case EVENT.DeleteRelationship:
      return { _tag: "DeleteRelationship", relId: r.u64() }
    case EVENT.DeleteNode:
      return { _tag: "DeleteNode", nodeId: r.u64() }
    case EVENT.DetachDeleteNode:
      return { _tag: "DetachDeleteNode", nodeId: r.u64() }
    case EVENT.Clear:
      return { _tag: "Clear" }
    default:
      throw new DecodeFailure(`unknown WAL mutation tag ${tag}`)
  }
}

/**
 * The LoraDB codec (payload magic `LW1\0`), the log's default.
 *
 * @since 0.1.0
 * @category codecs
 */
export const codec: EventCodec.EventCodec<MutationEvent> = EventCodec.make({
  magic: "LW1\0",
  write: writeEvent,
  read: readEvent
})
