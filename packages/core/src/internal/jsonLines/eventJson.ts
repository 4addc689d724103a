/**
 * LoraDB event payloads written straight as their JSON, the text
 * `LoraJson.stringifyEvents` gives for the decoded event, with no event
 * object in between: for replays that only print. The direct path knows the
 * common shapes and gives up (throws `NotSure`) on anything else, bad bytes
 * included; the event is then decoded by `LoraCodec` and printed by the
 * caller's stringify. So what is accepted, what fails and with which message
 * are always the codec's: the direct path only has to be right about what it
 * writes.
 */
import { DecodeFailure, type Reader, type Writer } from "../../Bytes.js"
import * as EventCodec from "../../EventCodec.js"
import * as LoraCodec from "../../LoraCodec.js"
import type { PreparedBatch, PreparedBatches } from "../../LoraJson.js"
import type { MutationEvent } from "../../MutationEvent.js"
import { EventTexts } from "./eventTexts.js"

const NotSure: unique symbol = Symbol("NotSure")

const notSure = (): never => {
  throw NotSure
}

/** The bytes of ASCII text. */
export const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0))

const QUOTE = 34
const BACKSLASH = 92
const COMMA = 44
const TWO_32 = 2 ** 32
/** Nesting the direct path follows; deeper values take the codec's path (which bounds them itself). */
const MAX_DEPTH = 32
const HEX = ascii("0123456789abcdef")
/** Escapes of the control characters JSON.stringify spells short; the others are \u00XX. */
const SHORT_ESCAPES: ReadonlyArray<number | undefined> = Object.assign(new Array(32).fill(undefined), {
  8: 98,
  9: 116,
  10: 110,
  12: 102,
  13: 114
})

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })
const utf8Encoder = new TextEncoder()

/** Constant text as little-endian 32-bit words, copied a word at a time. */
interface Fragment {
  readonly words: Uint32Array
  readonly length: number
}

const fragment = (text: string): Fragment => {
  const bytes = new Uint8Array(Math.ceil(text.length / 4) * 4)
  bytes.set(ascii(text))
  const view = new DataView(bytes.buffer)
  return {
    words: Uint32Array.from({ length: bytes.length / 4 }, (_, i) => view.getUint32(i * 4, true)),
    length: text.length
  }
}

const EVENT_PREFIXES: ReadonlyArray<Fragment | undefined> = [
  undefined,
  fragment(`{"type":"CreateNode","id":"`),
  fragment(`{"type":"CreateRelationship","id":"`),
  fragment(`{"type":"SetNodeProperty","node_id":"`),
  fragment(`{"type":"RemoveNodeProperty","node_id":"`),
  fragment(`{"type":"AddNodeLabel","node_id":"`),
  fragment(`{"type":"RemoveNodeLabel","node_id":"`),
  fragment(`{"type":"SetRelationshipProperty","rel_id":"`),
  fragment(`{"type":"RemoveRelationshipProperty","rel_id":"`),
  fragment(`{"type":"DeleteRelationship","rel_id":"`),
  fragment(`{"type":"DeleteNode","node_id":"`),
  fragment(`{"type":"DetachDeleteNode","node_id":"`),
  fragment(`{"type":"Clear"}`)
]

const F = {
  labels: fragment(`","labels":[`),
  properties: fragment(`],"properties":`),
  src: fragment(`","src":"`),
  dst: fragment(`","dst":"`),
  relType: fragment(`","rel_type":`),
  relProperties: fragment(`,"properties":`),
  key: fragment(`","key":`),
  value: fragment(`,"value":`),
  label: fragment(`","label":`),
  quotedEnd: fragment(`"}`),
  close: fragment(`}`),
  null: fragment(`{"type":"Null"}`),
  true: fragment(`{"type":"Bool","value":true}`),
  false: fragment(`{"type":"Bool","value":false}`),
  int: fragment(`{"type":"Int","value":"`),
  float: fragment(`{"type":"Float","value":`),
  bits: fragment(`,"bits":"`),
  bitsEnd: fragment(`"}`),
  string: fragment(`{"type":"String","value":`),
  list: fragment(`{"type":"List","items":[`),
  listEnd: fragment(`]}`),
  map: fragment(`{"type":"Map","entries":`),
  date: fragment(`{"type":"Date"`),
  time: fragment(`{"type":"Time"`),
  localTime: fragment(`{"type":"LocalTime"`),
  dateTime: fragment(`{"type":"DateTime"`),
  localDateTime: fragment(`{"type":"LocalDateTime"`),
  year: fragment(`,"year":`),
  month: fragment(`,"month":`),
  day: fragment(`,"day":`),
  hour: fragment(`,"hour":`),
  minute: fragment(`,"minute":`),
  second: fragment(`,"second":`),
  nanosecond: fragment(`,"nanosecond":`),
  offsetSeconds: fragment(`,"offset_seconds":`),
  duration: fragment(`{"type":"Duration","months":"`),
  days: fragment(`","days":"`),
  seconds: fragment(`","seconds":"`),
  nanoseconds: fragment(`","nanoseconds":"`),
  point: fragment(`{"type":"Point","x":`),
  y: fragment(`,"y":`),
  z: fragment(`,"z":`),
  zNull: fragment(`,"z":null`),
  srid: fragment(`,"srid":`),
  negativeZero: fragment(`"-0"`),
  nan: fragment(`"NaN"`),
  infinity: fragment(`"Infinity"`),
  negativeInfinity: fragment(`"-Infinity"`)
} as const

/**
 * Reads one event from `src[pos..end]` and appends its JSON to `out`. Every
 * method reads the format's fields in order and throws `NotSure` where the
 * codec could fail or where the JSON takes more than copying (index-like or
 * unsorted property keys, NaN bits, vectors, binaries, deep nesting).
 */
class DirectWriter {
  src: Uint8Array = new Uint8Array(0)
  view: DataView = new DataView(this.src.buffer)
  pos = 0
  end = 0

  constructor(readonly out: Writer) {}

  /** One event, from its tag to its last field. */
  event(): void {
    const tag = this.u8()
    const prefix = EVENT_PREFIXES[tag] ?? notSure()
    this.put(prefix)
    switch (tag) {
      case 1:
        this.u64()
        this.put(F.labels)
        this.names()
        this.put(F.properties)
        this.entries(0)
        return this.put(F.close)
      case 2:
        this.u64()
        this.put(F.src)
        this.u64()
        this.put(F.dst)
        this.u64()
        this.put(F.relType)
        this.string()
        this.put(F.relProperties)
        this.entries(0)
        return this.put(F.close)
      case 3:
      case 7:
        this.u64()
        this.put(F.key)
        this.string()
        this.put(F.value)
        this.value(0)
        return this.put(F.close)
      case 4:
      case 8:
        this.u64()
        this.put(F.key)
        this.string()
        return this.put(F.close)
      case 5:
      case 6:
        this.u64()
        this.put(F.label)
        this.string()
        return this.put(F.close)
      case 9:
      case 10:
      case 11:
        this.u64()
        return this.put(F.quotedEnd)
    }
  }

  /** CreateNode's labels. */
  private names(): void {
    const count = this.length()
    for (let i = 0; i < count; i++) {
      if (i > 0) this.byte(COMMA)
      this.string()
    }
  }

  /** A properties object; keys must rise strictly in byte order (a duplicate would collapse in the codec's map). */
  private entries(depth: number): void {
    const count = this.length()
    this.byte(123)
    let previous = -1
    let previousLength = 0
    for (let i = 0; i < count; i++) {
      if (i > 0) this.byte(COMMA)
      const length = this.length()
      const at = this.pos
      if (isArrayIndex(this.src, at, length)) notSure()
      if (previous >= 0 && compareBytes(this.src, previous, previousLength, at, length) >= 0) notSure()
      previous = at
      previousLength = length
      this.stringOf(length)
      this.byte(58)
      this.value(depth)
    }
    this.byte(125)
  }

  private value(depth: number): void {
    const tag = this.u8()
    switch (tag) {
      case 0:
        return this.put(F.null)
      case 1:
        return this.put(this.u8() !== 0 ? F.true : F.false)
      case 2:
        this.put(F.int)
        this.i64()
        return this.put(F.quotedEnd)
      case 3:
        return this.float()
      case 4:
        this.put(F.string)
        this.string()
        return this.put(F.close)
      case 5:
        return this.list(depth)
      case 6:
        if (depth >= MAX_DEPTH) notSure()
        this.put(F.map)
        this.entries(depth + 1)
        return this.put(F.close)
      default:
        return this.structured(tag)
    }
  }

  private list(depth: number): void {
    if (depth >= MAX_DEPTH) notSure()
    const count = this.length()
    this.put(F.list)
    for (let i = 0; i < count; i++) {
      if (i > 0) this.byte(COMMA)
      this.value(depth + 1)
    }
    this.put(F.listEnd)
  }

  private structured(tag: number): void {
    switch (tag) {
      case 7:
        this.put(F.date)
        this.date()
        return this.put(F.close)
      case 8:
        this.put(F.time)
        this.localTime()
        this.offsetSeconds()
        return this.put(F.close)
      case 9:
        this.put(F.localTime)
        this.localTime()
        return this.put(F.close)
      case 10:
        this.put(F.dateTime)
        this.date()
        this.localTime()
        this.offsetSeconds()
        return this.put(F.close)
      case 11:
        this.put(F.localDateTime)
        this.date()
        this.localTime()
        return this.put(F.close)
      case 12:
        return this.duration()
      case 13:
        return this.point()
      default:
        return notSure()
    }
  }

  private date(): void {
    this.put(F.year)
    this.i32()
    this.put(F.month)
    this.u32()
    this.put(F.day)
    this.u32()
  }

  private localTime(): void {
    this.put(F.hour)
    this.u32()
    this.put(F.minute)
    this.u32()
    this.put(F.second)
    this.u32()
    this.put(F.nanosecond)
    this.u32()
  }

  private offsetSeconds(): void {
    this.put(F.offsetSeconds)
    this.i32()
  }

  private duration(): void {
    this.put(F.duration)
    this.i64()
    this.put(F.days)
    this.i64()
    this.put(F.seconds)
    this.i64()
    this.put(F.nanoseconds)
    this.i64()
    this.put(F.quotedEnd)
  }

  private point(): void {
    this.put(F.point)
    this.f64(this.take(8))
    this.put(F.y)
    this.f64(this.take(8))
    const presence = this.u8()
    if (presence === 0) this.put(F.zNull)
    else if (presence === 1) {
      this.put(F.z)
      this.f64(this.take(8))
    } else notSure()
    this.put(F.srid)
    this.u32()
    this.put(F.close)
  }

  /** A Float: its value as people read it, and its exact bits (a NaN's payload is the codec's to keep). */
  private float(): void {
    const at = this.take(8)
    if (Number.isNaN(this.view.getFloat64(at, true))) notSure()
    this.put(F.float)
    this.f64(at)
    this.put(F.bits)
    this.out.reserve(16)
    const b = this.out.bytes
    let o = this.out.length
    for (let i = 7; i >= 0; i--) {
      const byte = this.src[at + i]!
      b[o++] = HEX[byte >> 4]!
      b[o++] = HEX[byte & 15]!
    }
    this.out.length = o
    this.put(F.bitsEnd)
  }

  /** A JSON number as `LoraJson` writes an f64: `-0`, NaN and the infinities as strings. */
  private f64(at: number): void {
    const v = this.view.getFloat64(at, true)
    if (v === 0) return Object.is(v, -0) ? this.put(F.negativeZero) : this.byte(48)
    if (Number.isSafeInteger(v)) return this.signed(v)
    if (Number.isFinite(v)) return this.text(`${v}`)
    return this.put(v === Infinity ? F.infinity : v === -Infinity ? F.negativeInfinity : F.nan)
  }

  /** A u64's digits (the quotes around them are in the fragments). */
  private u64(): void {
    const at = this.take(8)
    const high = this.view.getUint32(at + 4, true)
    if (high < 0x200000) this.digits(high * TWO_32 + this.view.getUint32(at, true))
    else this.text(this.view.getBigUint64(at, true).toString())
  }

  /** An i64's digits (the quotes around them are in the fragments). */
  private i64(): void {
    const at = this.take(8)
    const high = this.view.getInt32(at + 4, true)
    if (high >= -0x200000 && high < 0x200000) this.signed(high * TWO_32 + this.view.getUint32(at, true))
    else this.text(this.view.getBigInt64(at, true).toString())
  }

  private u32(): void {
    this.digits(this.view.getUint32(this.take(4), true))
  }

  private i32(): void {
    this.signed(this.view.getInt32(this.take(4), true))
  }

  private u8(): number {
    return this.src[this.take(1)]!
  }

  /** Advances past `n` bytes and returns where they start. */
  private take(n: number): number {
    const at = this.pos
    if (n > this.end - at) notSure()
    this.pos = at + n
    return at
  }

  /** A u64 length or count that must fit in what is left. */
  private length(): number {
    const at = this.take(8)
    const n = this.view.getUint32(at + 4, true) * TWO_32 + this.view.getUint32(at, true)
    if (n > this.end - this.pos) notSure()
    return n
  }

  private string(): void {
    this.stringOf(this.length())
  }

  /** The next `n` bytes as a JSON string: ASCII copied with JSON.stringify's escapes, other text through it. */
  private stringOf(n: number): void {
    const src = this.src
    const start = this.pos
    const stop = start + n
    const out = this.out
    const from = out.length
    out.reserve(n + 2)
    let b = out.bytes
    let o = from
    b[o++] = QUOTE
    for (let p = start; p < stop; p++) {
      const c = src[p]!
      if (c >= 0x20 && c !== QUOTE && c !== BACKSLASH && c < 0x80) {
        b[o++] = c
        continue
      }
      if (c >= 0x80) return this.unicode(from, start, n)
      out.length = o
      out.reserve(stop - p + 6)
      b = out.bytes
      b[o++] = BACKSLASH
      const short = c === QUOTE || c === BACKSLASH ? c : SHORT_ESCAPES[c]
      if (short !== undefined) b[o++] = short
      else {
        b[o++] = 117
        b[o++] = 48
        b[o++] = 48
        b[o++] = HEX[c >> 4]!
        b[o++] = HEX[c & 15]!
      }
    }
    b[o++] = QUOTE
    out.length = o
    this.pos = stop
  }

  /** Text beyond ASCII: decoded (invalid UTF-8 throws) and written as JSON.stringify writes it. */
  private unicode(from: number, start: number, n: number): void {
    this.out.length = from
    this.pos = start + n
    let text: string
    try {
      text = utf8.decode(this.src.subarray(start, start + n))
    } catch {
      return notSure()
    }
    const json = JSON.stringify(text)
    this.out.reserve(json.length * 3)
    this.out.length += utf8Encoder.encodeInto(json, this.out.bytes.subarray(this.out.length)).written
  }

  private signed(n: number): void {
    if (n < 0) {
      this.byte(45)
      this.digits(-n)
    } else this.digits(n)
  }

  /** A non-negative integer below 2^53: in int32 arithmetic when it fits, the common case. */
  private digits(n: number): void {
    if (n >= 0x8000_0000) return this.wideDigits(n)
    const width = n < 10 ? 1 : n < 100 ? 2 : n < 1e3 ? 3 : n < 1e4 ? 4 : n < 1e5 ? 5 : n < 1e6 ? 6 : n < 1e7
      ? 7
      : n < 1e8 ? 8 : n < 1e9 ? 9 : 10
    this.out.reserve(width)
    const b = this.out.bytes
    let o = this.out.length + width
    this.out.length = o
    let v = n | 0
    while (v >= 10) {
      const q = (v / 10) | 0
      b[--o] = 48 + v - q * 10
      v = q
    }
    b[--o] = 48 + v
  }

  private wideDigits(n: number): void {
    let width = 1
    for (let p = 10; p <= n; p *= 10) width++
    this.out.reserve(width)
    const b = this.out.bytes
    let o = this.out.length + width
    this.out.length = o
    do {
      b[--o] = 48 + (n % 10)
      n = Math.floor(n / 10)
    } while (n > 0)
  }

  private text(ascii: string): void {
    this.out.reserve(ascii.length)
    const b = this.out.bytes
    let o = this.out.length
    for (let i = 0; i < ascii.length; i++) b[o++] = ascii.charCodeAt(i)
    this.out.length = o
  }

  private byte(c: number): void {
    const out = this.out
    if (out.length === out.bytes.length) out.reserve(1)
    out.bytes[out.length++] = c
  }

  /** Writes whole words, up to 3 bytes past the fragment: room is reserved, and what follows overwrites them. */
  private put(fragment: Fragment): void {
    const out = this.out
    const words = fragment.words
    if (out.length + words.length * 4 > out.bytes.length) out.reserve(words.length * 4)
    const view = out.view
    const o = out.length
    for (let i = 0; i < words.length; i++) view.setUint32(o + i * 4, words[i]!, true)
    out.length = o + fragment.length
  }
}

/** Whether `src[at..at+n]` is an array index, which a JSON object lists first (so the key order is not the log's). */
const isArrayIndex = (src: Uint8Array, at: number, n: number): boolean => {
  if (n === 0 || n > 10 || (n > 1 && src[at] === 48)) return false
  let value = 0
  for (let i = at; i < at + n; i++) {
    const c = src[i]!
    if (c < 48 || c > 57) return false
    value = value * 10 + (c - 48)
  }
  return value <= 0xffff_fffe
}

const compareBytes = (src: Uint8Array, a: number, aLength: number, b: number, bLength: number): number => {
  const n = Math.min(aLength, bLength)
  for (let i = 0; i < n; i++) {
    const d = src[a + i]! - src[b + i]!
    if (d !== 0) return d
  }
  return aLength - bLength
}

/**
 * The JSON codec and how many events its direct path handed to the codec's
 * (the rare shapes, or bytes the codec refuses).
 */
export interface JsonCodec {
  readonly codec: EventCodec.EventCodec<number>
  readonly fallbacks: () => number
}

/**
 * A codec that reads LoraDB payloads (magic `LW1\0`) and, instead of
 * returning events, writes each event's JSON into a slot of `texts` and
 * returns the slot. `stringify` prints one decoded event (without brackets)
 * for what the direct path is not sure of; a payload the LoraDB codec
 * refuses fails here with the same `DecodeFailure`.
 */
export const jsonCodec = (
  texts: EventTexts,
  stringify: (event: MutationEvent) => string,
  prepared?: PreparedBatches
): JsonCodec => {
  const out = texts.bytes
  const direct = new DirectWriter(out)
  let fallbacks = 0
  const codec = EventCodec.make({
    magic: LoraCodec.codec.magic,
    write: () => {
      throw new TypeError("the JSON codec only reads")
    },
    read: (reader: Reader) => {
      const slot = texts.open()
      const at = out.length
      const start = reader.offset
      try {
        direct.src = reader.bytes
        direct.view = reader.view
        direct.pos = start
        direct.end = reader.end
        direct.event()
        reader.offset = direct.pos
      } catch (e) {
        // Only doubt goes the codec's way: anything else (no memory left) is not about the bytes.
        if (e !== NotSure) throw e
        fallbacks++
        out.length = at
        reader.offset = start
        const json = stringify(LoraCodec.codec.read(reader))
        out.reserve(json.length * 3)
        out.length += utf8Encoder.encodeInto(json, out.bytes.subarray(out.length)).written
      }
      texts.close(slot)
      return slot
    }
  })
  if (prepared !== undefined) {
    EventCodec.withBatchReader(codec, (bytes, start, end) => {
      const batch = prepared.take(bytes, start, end)
      return batch === undefined ? undefined : texts.appendRun(batch.texts, batch.ends)
    })
  }
  return { codec, fallbacks: () => fallbacks }
}

const Unprintable: unique symbol = Symbol("Unprintable")

/**
 * Transcodes `MutationBatch` payloads as the JSON codec does during replay,
 * for work done ahead of it: the batch's texts (valid until the next call),
 * or `undefined` where the codec refuses the bytes or `stringify` cannot
 * print an event (replay then does that batch itself).
 */
export const batchTranscoder = (
  stringify: (event: MutationEvent) => string | undefined
): (bytes: Uint8Array, start: number, end: number) => PreparedBatch | undefined => {
  const texts = new EventTexts()
  const { codec } = jsonCodec(texts, (event) => {
    const json = stringify(event)
    if (json === undefined) throw Unprintable
    return json
  })
  let ends = new Int32Array(256)
  let view: DataView = new DataView(new ArrayBuffer(0))
  return (bytes, start, end) => {
    texts.clear()
    if (view.buffer !== bytes.buffer || view.byteOffset !== bytes.byteOffset || view.byteLength !== bytes.byteLength) {
      view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    }
    let slots: Array<number>
    try {
      slots = EventCodec.decodeBatchIn(codec, bytes, start, end, view)
    } catch (e) {
      if (e instanceof DecodeFailure || e === Unprintable) return undefined
      throw e
    }
    if (slots.length > ends.length) ends = new Int32Array(slots.length * 2)
    for (let i = 0; i < slots.length; i++) ends[i] = texts.end(slots[i]!)
    return { texts: texts.bytes.written, ends: ends.subarray(0, slots.length) }
  }
}
