/**
 * The JSON form of mutation events (see `LoraJson`) written and read by
 * hand, for the command line's per-transaction paths, where going through
 * the Schemas costs several times JSON.parse and JSON.stringify. Both directions give
 * up (return `undefined`) on anything they are not sure of, and the caller
 * then takes the Schema path, which decides: so they only ever need to be
 * right about what they accept, never about what they refuse or why.
 */
import type { MutationEvent } from "../MutationEvent.js"
import type { BinaryValue, Properties, PropertyValue, VectorValue } from "../PropertyValue.js"

/** Thrown where the fast path is not sure, and caught at its two entry points. */
const NotSure: unique symbol = Symbol("NotSure")

const notSure = (): never => {
  throw NotSure
}

/** Runs `f`, or gives `undefined` when anything in it is unsure (or fails in any other way). */
const orUndefined = <A>(f: () => A): A | undefined => {
  try {
    return f()
  } catch {
    return undefined
  }
}

const bitsView = new DataView(new ArrayBuffer(8))

type Fields = { readonly [key: string]: unknown }

const isRecord = (u: unknown): u is Fields => typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * The JSON of `events`, exactly the string the Schema encoding and
 * `JSON.stringify` give, or `undefined` when something is not a
 * well-formed event (the Schema then throws, or encodes what this refused).
 */
export const writeEvents = (events: unknown): string | undefined => orUndefined(() => writeArray(events, writeEvent))

/**
 * The events of a parsed JSON value, equal to what the Schema decodes, or
 * `undefined` when the value is not plainly an array of well-formed events.
 */
export const readEvents = (json: unknown): Array<MutationEvent> | undefined =>
  orUndefined(() => readArray(json, readEvent))

// Writing. Numbers are written by `${n}`, which is the ToString that
// JSON.stringify applies to finite numbers; strings by JSON.stringify itself.

/** A domain object's `_tag`, own as the Schema's union requires. */
const tagOf = (u: unknown): unknown => (isRecord(u) && Object.hasOwn(u, "_tag") ? u._tag : notSure())

const writeString = (u: unknown): string => (typeof u === "string" ? JSON.stringify(u) : notSure())

const writeBoolean = (u: unknown): string => (typeof u === "boolean" ? `${u}` : notSure())

const writeDecimal = (u: unknown): string => (typeof u === "bigint" ? `"${u}"` : notSure())

const writeInt = (min: number, max: number) => (u: unknown): string =>
  typeof u === "number" && Number.isSafeInteger(u) && u >= min && u <= max ? `${u}` : notSure()

const writeU32 = writeInt(0, 0xffff_ffff)
const writeI32 = writeInt(-0x8000_0000, 0x7fff_ffff)

const writeF64 = (u: unknown): string => {
  if (typeof u !== "number") return notSure()
  if (u === 0) return Object.is(u, -0) ? `"-0"` : "0"
  if (Number.isFinite(u)) return `${u}`
  return u === Infinity ? `"Infinity"` : u === -Infinity ? `"-Infinity"` : `"NaN"`
}

const hex32 = (n: number): string => n.toString(16).padStart(8, "0")

const writeFloat = (u: unknown): string => {
  const value = writeF64(u)
  bitsView.setFloat64(0, u as number)
  return `{"type":"Float","value":${value},"bits":"${hex32(bitsView.getUint32(0))}${hex32(bitsView.getUint32(4))}"}`
}

const writeItems = (items: ArrayLike<unknown>, item: (u: unknown) => string): string => {
  let out = "["
  for (let i = 0; i < items.length; i++) out += (i === 0 ? "" : ",") + item(items[i])
  return `${out}]`
}

const writeArray = (u: unknown, item: (u: unknown) => string): string =>
  Array.isArray(u) ? writeItems(u, item) : notSure()

/** Whether `key` is an array index, which an object (and so the Schema's output) lists first, in numeric order. */
const isArrayIndex = (key: string): boolean =>
  key.length <= 10 && /^(?:0|[1-9][0-9]*)$/.test(key) && Number(key) <= 0xffff_fffe

/** A Properties map as the JSON object the Schema builds from it: array-index keys first, as in any object. */
const writeProperties = (u: unknown): string => {
  if (!(u instanceof Map)) return notSure()
  let body = ""
  let indexKeys: Array<string> | undefined
  for (const [key, value] of u as Map<unknown, unknown>) {
    if (typeof key !== "string") return notSure()
    if (isArrayIndex(key)) (indexKeys ??= []).push(key)
    else body += `,${JSON.stringify(key)}:${writeValue(value)}`
  }
  if (indexKeys !== undefined) {
    const first = indexKeys.sort((a, b) => Number(a) - Number(b)).map((key) => `,"${key}":${writeValue(u.get(key))}`)
    body = first.join("") + body
  }
  return `{${body.slice(1)}}`
}

const writeDate = (v: Fields): string =>
  `"year":${writeI32(v.year)},"month":${writeU32(v.month)},"day":${writeU32(v.day)}`

const writeLocalTime = (v: Fields): string =>
  `"hour":${writeU32(v.hour)},"minute":${writeU32(v.minute)},"second":${writeU32(v.second)},"nanosecond":${
    writeU32(v.nanosecond)
  }`

/** A vector's element type, and how its elements are written, from its array type. */
const vectorElements = (u: unknown): readonly [string, (u: unknown) => string] =>
  u instanceof Float64Array
    ? ["FLOAT64", writeF64]
    : u instanceof Float32Array
    ? ["FLOAT32", writeF64]
    : u instanceof BigInt64Array
    ? ["INTEGER64", writeDecimal]
    : u instanceof Int32Array
    ? ["INTEGER32", writeI32]
    : u instanceof Int16Array
    ? ["INTEGER16", writeI32]
    : u instanceof Int8Array
    ? ["INTEGER8", writeI32]
    : notSure()

const writeVector = (u: unknown): string => {
  const [elementType, element] = vectorElements(u)
  const values = u as ArrayLike<unknown>
  return `{"type":"Vector","dimension":"${values.length}","element_type":"${elementType}","values":${
    writeItems(values, element)
  }}`
}

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"))

const writeBinary = (u: unknown): string => {
  if (!Array.isArray(u)) return notSure()
  let length = 0
  let segments = ""
  for (let i = 0; i < u.length; i++) {
    const segment: unknown = u[i]
    if (!(segment instanceof Uint8Array)) return notSure()
    let hex = ""
    for (let j = 0; j < segment.length; j++) hex += HEX[segment[j]]
    segments += `${i === 0 ? "" : ","}"${hex}"`
    length += segment.length
  }
  return `{"type":"Binary","len":"${length}","segments":[${segments}]}`
}

const writePoint = (v: Fields): string =>
  `{"type":"Point","x":${writeF64(v.x)},"y":${writeF64(v.y)},"z":${v.z === undefined ? "null" : writeF64(v.z)},"srid":${
    writeU32(v.srid)
  }}`

const writeValue = (u: unknown): string => {
  const v = u as Fields
  const tag = tagOf(u)
  switch (tag) {
    case "Null":
      return `{"type":"Null"}`
    case "Bool":
      return `{"type":"Bool","value":${writeBoolean(v.value)}}`
    case "Int":
      return `{"type":"Int","value":${writeDecimal(v.value)}}`
    case "Float":
      return writeFloat(v.value)
    case "String":
      return `{"type":"String","value":${writeString(v.value)}}`
    case "List":
      return `{"type":"List","items":${writeArray(v.items, writeValue)}}`
    case "Map":
      return `{"type":"Map","entries":${writeProperties(v.entries)}}`
    case "Point":
      return writePoint(v)
    case "Vector":
      return writeVector(v.values)
    case "Binary":
      return writeBinary(v.segments)
    default:
      return writeTemporal(tag, v)
  }
}

const writeTemporal = (tag: unknown, v: Fields): string => {
  switch (tag) {
    case "Date":
      return `{"type":"Date",${writeDate(v)}}`
    case "Time":
      return `{"type":"Time",${writeLocalTime(v)},"offset_seconds":${writeI32(v.offsetSeconds)}}`
    case "LocalTime":
      return `{"type":"LocalTime",${writeLocalTime(v)}}`
    case "DateTime":
      return `{"type":"DateTime",${writeDate(v)},${writeLocalTime(v)},"offset_seconds":${writeI32(v.offsetSeconds)}}`
    case "LocalDateTime":
      return `{"type":"LocalDateTime",${writeDate(v)},${writeLocalTime(v)}}`
    case "Duration":
      return `{"type":"Duration","months":${writeDecimal(v.months)},"days":${writeDecimal(v.days)},"seconds":${
        writeDecimal(v.seconds)
      },"nanoseconds":${writeDecimal(v.nanoseconds)}}`
    default:
      return notSure()
  }
}

const writeEvent = (u: unknown): string => {
  const e = u as Fields
  const tag = tagOf(u)
  switch (tag) {
    case "CreateNode":
      return `{"type":"CreateNode","id":${writeDecimal(e.id)},"labels":${
        writeArray(e.labels, writeString)
      },"properties":${writeProperties(e.properties)}}`
    case "CreateRelationship":
      return `{"type":"CreateRelationship","id":${writeDecimal(e.id)},"src":${writeDecimal(e.src)},"dst":${
        writeDecimal(e.dst)
      },"rel_type":${writeString(e.relType)},"properties":${writeProperties(e.properties)}}`
    case "SetNodeProperty":
      return `{"type":"${tag}","node_id":${writeDecimal(e.nodeId)},"key":${writeString(e.key)},"value":${
        writeValue(e.value)
      }}`
    case "SetRelationshipProperty":
      return `{"type":"${tag}","rel_id":${writeDecimal(e.relId)},"key":${writeString(e.key)},"value":${
        writeValue(e.value)
      }}`
    case "RemoveNodeProperty":
      return `{"type":"${tag}","node_id":${writeDecimal(e.nodeId)},"key":${writeString(e.key)}}`
    case "RemoveRelationshipProperty":
      return `{"type":"${tag}","rel_id":${writeDecimal(e.relId)},"key":${writeString(e.key)}}`
    case "AddNodeLabel":
    case "RemoveNodeLabel":
      return `{"type":"${tag}","node_id":${writeDecimal(e.nodeId)},"label":${writeString(e.label)}}`
    case "DeleteNode":
    case "DetachDeleteNode":
      return `{"type":"${tag}","node_id":${writeDecimal(e.nodeId)}}`
    case "DeleteRelationship":
      return `{"type":"${tag}","rel_id":${writeDecimal(e.relId)}}`
    case "Clear":
      return `{"type":"Clear"}`
    default:
      return notSure()
  }
}

// Reading. The parsed JSON is taken as it is, so a number given as `-0`
// stays -0, as the Schema keeps it.

const readRecord = (u: unknown): Fields => (isRecord(u) ? u : notSure())

const readString = (u: unknown): string => (typeof u === "string" ? u : notSure())

const readBoolean = (u: unknown): boolean => (typeof u === "boolean" ? u : notSure())

const readDecimal = (pattern: RegExp, min: bigint, max: bigint) => (u: unknown): bigint => {
  const n = typeof u === "string" && pattern.test(u) ? BigInt(u) : notSure()
  return n >= min && n <= max ? n : notSure()
}

const readU64 = readDecimal(/^[0-9]{1,20}$/, 0n, 2n ** 64n - 1n)
const readI64 = readDecimal(/^-?[0-9]{1,19}$/, -(2n ** 63n), 2n ** 63n - 1n)

const readInt = (min: number, max: number) => (u: unknown): number =>
  typeof u === "number" && Number.isSafeInteger(u) && u >= min && u <= max ? u : notSure()

const readU32 = readInt(0, 0xffff_ffff)
const readI32 = readInt(-0x8000_0000, 0x7fff_ffff)
const readI16 = readInt(-0x8000, 0x7fff)
const readI8 = readInt(-0x80, 0x7f)

const readF64 = (u: unknown): number =>
  typeof u === "number"
    ? u
    : u === "NaN"
    ? NaN
    : u === "Infinity"
    ? Infinity
    : u === "-Infinity"
    ? -Infinity
    : u === "-0"
    ? -0
    : notSure()

const readF32 = (u: unknown): number => {
  const n = readF64(u)
  return Number.isNaN(n) || Math.fround(n) === n ? n : notSure()
}

/** A Float's value: its `bits` when present (every NaN payload survives), else its `value`; both must be valid. */
const readFloat = (v: Fields): number => {
  const value = readF64(v.value)
  if (v.bits === undefined) return value
  const bits = typeof v.bits === "string" && /^[0-9a-fA-F]{16}$/.test(v.bits) ? v.bits : notSure()
  bitsView.setUint32(0, parseInt(bits.slice(0, 8), 16))
  bitsView.setUint32(4, parseInt(bits.slice(8), 16))
  return bitsView.getFloat64(0)
}

const readArray = <A>(u: unknown, item: (u: unknown) => A): Array<A> => {
  if (!Array.isArray(u)) return notSure()
  const out: Array<A> = []
  for (let i = 0; i < u.length; i++) out.push(item(u[i]))
  return out
}

/** Properties in the order of the object's own keys, as the Schema takes them. */
const readProperties = (u: unknown): Properties => {
  const object = readRecord(u)
  const properties = new Map<string, PropertyValue>()
  for (const key of Object.keys(object)) properties.set(key, readValue(object[key]))
  return properties
}

const nibble = (c: number): number =>
  c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : notSure()

const readHex = (u: unknown): Uint8Array => {
  const hex = typeof u === "string" && u.length % 2 === 0 ? u : notSure()
  const bytes = new Uint8Array(hex.length / 2)
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = (nibble(hex.charCodeAt(2 * i)) << 4) | nibble(hex.charCodeAt(2 * i + 1))
  }
  return bytes
}

const readBinary = (v: Fields): BinaryValue => {
  const len = v.len === undefined ? undefined : readU64(v.len)
  const segments = readArray(v.segments, readHex)
  if (len !== undefined && len !== BigInt(segments.reduce((n, s) => n + s.length, 0))) return notSure()
  return { _tag: "Binary", segments }
}

const readVector = (v: Fields): VectorValue => {
  const dimension = readU64(v.dimension)
  const json = Array.isArray(v.values) ? v.values : notSure()
  if (dimension !== BigInt(json.length)) return notSure()
  switch (v.element_type) {
    case "FLOAT64":
      return { _tag: "Vector", values: Float64Array.from(json, readF64) }
    case "FLOAT32":
      return { _tag: "Vector", values: Float32Array.from(json, readF32) }
    case "INTEGER64":
      return { _tag: "Vector", values: BigInt64Array.from(json, readI64) }
    case "INTEGER32":
      return { _tag: "Vector", values: Int32Array.from(json, readI32) }
    case "INTEGER16":
      return { _tag: "Vector", values: Int16Array.from(json, readI16) }
    case "INTEGER8":
      return { _tag: "Vector", values: Int8Array.from(json, readI8) }
    default:
      return notSure()
  }
}

const readValue = (u: unknown): PropertyValue => {
  const v = readRecord(u)
  switch (v.type) {
    case "Null":
      return { _tag: "Null" }
    case "Bool":
      return { _tag: "Bool", value: readBoolean(v.value) }
    case "Int":
      return { _tag: "Int", value: readI64(v.value) }
    case "Float":
      return { _tag: "Float", value: readFloat(v) }
    case "String":
      return { _tag: "String", value: readString(v.value) }
    case "List":
      return { _tag: "List", items: readArray(v.items, readValue) }
    case "Map":
      return { _tag: "Map", entries: readProperties(v.entries) }
    case "Point":
      return { _tag: "Point", x: readF64(v.x), y: readF64(v.y), z: readZ(v.z), srid: readU32(v.srid) }
    case "Vector":
      return readVector(v)
    case "Binary":
      return readBinary(v)
    default:
      return readTemporal(v)
  }
}

const readZ = (u: unknown): number | undefined => (u === null ? undefined : readF64(u))

const readTemporal = (v: Fields): PropertyValue => {
  switch (v.type) {
    case "Date":
      return { _tag: "Date", ...readDate(v) }
    case "Time":
      return { _tag: "Time", ...readLocalTime(v), offsetSeconds: readI32(v.offset_seconds) }
    case "LocalTime":
      return { _tag: "LocalTime", ...readLocalTime(v) }
    case "DateTime":
      return { _tag: "DateTime", ...readDate(v), ...readLocalTime(v), offsetSeconds: readI32(v.offset_seconds) }
    case "LocalDateTime":
      return { _tag: "LocalDateTime", ...readDate(v), ...readLocalTime(v) }
    case "Duration":
      return {
        _tag: "Duration",
        months: readI64(v.months),
        days: readI64(v.days),
        seconds: readI64(v.seconds),
        nanoseconds: readI64(v.nanoseconds)
      }
    default:
      return notSure()
  }
}

const readDate = (v: Fields) => ({ year: readI32(v.year), month: readU32(v.month), day: readU32(v.day) })

const readLocalTime = (v: Fields) => ({
  hour: readU32(v.hour),
  minute: readU32(v.minute),
  second: readU32(v.second),
  nanosecond: readU32(v.nanosecond)
})

const readEvent = (u: unknown): MutationEvent => {
  const e = readRecord(u)
  switch (e.type) {
    case "CreateNode":
      return {
        _tag: "CreateNode",
        id: readU64(e.id),
        labels: readArray(e.labels, readString),
        properties: readProperties(e.properties)
      }
    case "CreateRelationship":
      return {
        _tag: "CreateRelationship",
        id: readU64(e.id),
        src: readU64(e.src),
        dst: readU64(e.dst),
        relType: readString(e.rel_type),
        properties: readProperties(e.properties)
      }
    case "SetNodeProperty":
      return { _tag: "SetNodeProperty", nodeId: readU64(e.node_id), key: readString(e.key), value: readValue(e.value) }
    case "RemoveNodeProperty":
      return { _tag: "RemoveNodeProperty", nodeId: readU64(e.node_id), key: readString(e.key) }
    case "AddNodeLabel":
      return { _tag: "AddNodeLabel", nodeId: readU64(e.node_id), label: readString(e.label) }
    case "RemoveNodeLabel":
      return { _tag: "RemoveNodeLabel", nodeId: readU64(e.node_id), label: readString(e.label) }
    case "SetRelationshipProperty":
      return {
        _tag: "SetRelationshipProperty",
        relId: readU64(e.rel_id),
        key: readString(e.key),
        value: readValue(e.value)
      }
    case "RemoveRelationshipProperty":
      return { _tag: "RemoveRelationshipProperty", relId: readU64(e.rel_id), key: readString(e.key) }
    case "DeleteRelationship":
      return { _tag: "DeleteRelationship", relId: readU64(e.rel_id) }
    case "DeleteNode":
      return { _tag: "DeleteNode", nodeId: readU64(e.node_id) }
    case "DetachDeleteNode":
      return { _tag: "DetachDeleteNode", nodeId: readU64(e.node_id) }
    case "Clear":
      return { _tag: "Clear" }
    default:
      return notSure()
  }
}
