/**
 * Little-endian byte writer and bounds-checked reader for hand-written codecs.
 *
 * The hot path (record framing, the event codec) works on these instead of
 * Schema: a per-value Schema decode costs 30-100x a direct DataView read.
 * Failures are thrown as {@link DecodeFailure} / {@link EncodeFailure} and
 * turned into typed `WalError`s at the record boundary, so a codec stays a
 * plain loop.
 *
 * @since 0.1.0
 */

/**
 * Thrown by a {@link Reader} (or a codec's `read`) when the bytes do not
 * follow the format; becomes `WalError.Decode` with this message.
 *
 * @since 0.1.0
 * @category errors
 */
export class DecodeFailure extends Error {
  override readonly name = "DecodeFailure"
}

/**
 * Thrown by a codec's `write` when a value cannot be represented; becomes
 * `WalError.Encode` with this message.
 *
 * @since 0.1.0
 * @category errors
 */
export class EncodeFailure extends Error {
  override readonly name = "EncodeFailure"
}

const TWO_32 = 2 ** 32
const utf8Encoder = new TextEncoder()
const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })

/**
 * Whether typed arrays on this host are little-endian, in which case vector
 * elements can be copied byte for byte (keeping NaN payloads exactly).
 *
 * @since 0.1.0
 * @category constants
 */
export const littleEndianHost: boolean = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/**
 * A growable output buffer. Reuse one across records (`reset`) to avoid
 * allocating per append.
 *
 * @since 0.1.0
 * @category encoding
 */
export class Writer {
  bytes: Uint8Array
  view: DataView
  length = 0

  constructor(initialCapacity = 4096) {
    this.bytes = new Uint8Array(initialCapacity)
    this.view = new DataView(this.bytes.buffer)
  }

  /** Forgets the contents, keeping the allocation. */
  reset(): void {
    this.length = 0
  }

  /** The bytes written so far (a view, valid until the next write). */
  get written(): Uint8Array {
    return this.bytes.subarray(0, this.length)
  }

  /** Ensures room for `n` more bytes. */
  reserve(n: number): void {
    const needed = this.length + n
    if (needed <= this.bytes.length) return
    let capacity = this.bytes.length * 2
    while (capacity < needed) capacity *= 2
    const grown = new Uint8Array(capacity)
    grown.set(this.bytes.subarray(0, this.length))
    this.bytes = grown
    this.view = new DataView(grown.buffer)
  }

  u8(value: number): void {
    this.reserve(1)
    this.bytes[this.length++] = value
  }

  i8(value: number): void {
    this.u8(value & 0xff)
  }

  i16(value: number): void {
    this.reserve(2)
    this.view.setInt16(this.length, value, true)
    this.length += 2
  }

  u32(value: number): void {
    this.reserve(4)
    this.view.setUint32(this.length, value, true)
    this.length += 4
  }

  i32(value: number): void {
    this.reserve(4)
    this.view.setInt32(this.length, value, true)
    this.length += 4
  }

  u64(value: bigint): void {
    this.reserve(8)
    this.view.setBigUint64(this.length, value, true)
    this.length += 8
  }

  i64(value: bigint): void {
    this.reserve(8)
    this.view.setBigInt64(this.length, value, true)
    this.length += 8
  }

  f64(value: number): void {
    this.reserve(8)
    this.view.setFloat64(this.length, value, true)
    this.length += 8
  }

  f32(value: number): void {
    this.reserve(4)
    this.view.setFloat32(this.length, value, true)
    this.length += 4
  }

  /** A u64 count or length from a JS number (always < 2^53 here). */
  len(value: number): void {
    this.reserve(8)
    this.view.setUint32(this.length, value >>> 0, true)
    this.view.setUint32(this.length + 4, Math.floor(value / TWO_32), true)
    this.length += 8
  }

  /** Raw bytes, no length prefix. */
  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length)
    this.bytes.set(bytes, this.length)
    this.length += bytes.length
  }

  /** Length-prefixed bytes. */
  lenBytes(bytes: Uint8Array): void {
    this.len(bytes.length)
    this.raw(bytes)
  }

  /** Length-prefixed UTF-8; a lone surrogate fails rather than being replaced. */
  string(value: string): void {
    const n = value.length
    this.reserve(8 + n * 3)
    const bytes = this.bytes
    const start = this.length + 8
    // Short ASCII strings (most keys, labels and values) are copied unit by
    // unit: cheaper than a TextEncoder call and its subarray.
    if (n <= 64) {
      let i = 0
      for (; i < n; i++) {
        const unit = value.charCodeAt(i)
        if (unit >= 0x80) break
        bytes[start + i] = unit
      }
      if (i === n) {
        this.len(n)
        this.length = start + n
        return
      }
    }
    if (!value.isWellFormed()) throw new EncodeFailure("string contains a lone UTF-16 surrogate")
    const { written } = utf8Encoder.encodeInto(value, bytes.subarray(start))
    this.len(written)
    this.length = start + written
  }

  /** Overwrites a u32 at an earlier position (used to patch record lengths). */
  setU32At(offset: number, value: number): void {
    this.view.setUint32(offset, value, true)
  }
}

/**
 * A cursor over a byte range that throws {@link DecodeFailure} instead of
 * reading past its end. Nothing it returns aliases the input except `take`,
 * so decoded values stay valid when the input buffer is reused.
 *
 * @since 0.1.0
 * @category encoding
 */
export class Reader {
  readonly bytes: Uint8Array
  readonly view: DataView
  offset: number
  readonly end: number

  /** `view`, when given, must be a view of exactly `bytes` (replay passes one it reuses per buffer). */
  constructor(bytes: Uint8Array, offset = 0, end = bytes.length, view?: DataView) {
    this.bytes = bytes
    this.view = view ?? new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.offset = offset
    this.end = end
  }

  get remaining(): number {
    return this.end - this.offset
  }

  private advance(n: number): number {
    const at = this.offset
    if (n > this.end - at) throw new DecodeFailure("truncated WAL mutation payload")
    this.offset = at + n
    return at
  }

  u8(): number {
    return this.bytes[this.advance(1)]!
  }

  i8(): number {
    return this.view.getInt8(this.advance(1))
  }

  i16(): number {
    return this.view.getInt16(this.advance(2), true)
  }

  u32(): number {
    return this.view.getUint32(this.advance(4), true)
  }

  i32(): number {
    return this.view.getInt32(this.advance(4), true)
  }

  u64(): bigint {
    return this.view.getBigUint64(this.advance(8), true)
  }

  i64(): bigint {
    return this.view.getBigInt64(this.advance(8), true)
  }

  f64(): number {
    return this.view.getFloat64(this.advance(8), true)
  }

  f32(): number {
    return this.view.getFloat32(this.advance(4), true)
  }

  /** A u64 length as a number, or Infinity when it cannot fit the input anyway. */
  private rawLen(): number {
    const at = this.advance(8)
    const high = this.view.getUint32(at + 4, true)
    return high >= 0x200000 ? Infinity : high * TWO_32 + this.view.getUint32(at, true)
  }

  /**
   * An element count that must not exceed the bytes left (each element
   * takes at least one), so hostile counts never drive an allocation.
   */
  count(label: string): number {
    const at = this.offset
    const n = this.rawLen()
    if (n > this.remaining) {
      const shown = n === Infinity ? this.view.getBigUint64(at, true) : n
      throw new DecodeFailure(`${label} count ${shown} exceeds remaining WAL payload`)
    }
    return n
  }

  /** `n` bytes as a view into the input (no copy). */
  take(n: number): Uint8Array {
    const at = this.advance(n)
    return this.bytes.subarray(at, at + n)
  }

  /** Length-prefixed bytes, copied (`new Uint8Array`: a Node Buffer's `slice` would not copy). */
  lenBytes(): Uint8Array {
    return new Uint8Array(this.take(this.rawLen()))
  }

  /**
   * Length-prefixed UTF-8 (invalid sequences fail). Decoded in one call, so
   * the string is flat: built a character at a time, a string of 13 or more
   * characters becomes a chain of concatenation nodes, several times larger
   * for as long as it is kept.
   */
  string(): string {
    return decodeUtf8(this.take(this.rawLen()))
  }

  /**
   * Length-prefixed UTF-8 that tends to repeat: property keys, labels,
   * relationship types. Short ASCII ones come from a small cache instead of
   * being built again, so a replayed log shares one string per name rather
   * than holding a copy per event.
   */
  name(): string {
    const n = this.rawLen()
    const at = this.advance(n)
    const bytes = this.bytes
    if (n > NAME_MAX_BYTES) return decodeUtf8(bytes.subarray(at, at + n))
    let hash = n
    for (let i = at; i < at + n; i++) {
      const b = bytes[i]!
      if (b >= 0x80) return decodeUtf8(bytes.subarray(at, at + n))
      hash = (Math.imul(hash, 31) + b) | 0
    }
    const slot = hash & (NAME_SLOTS - 1)
    const cached = names[slot]
    if (cached !== undefined && cached.length === n) {
      let same = true
      for (let i = 0; i < n && same; i++) same = cached.charCodeAt(i) === bytes[at + i]
      if (same) return cached
    }
    const name = decodeUtf8(bytes.subarray(at, at + n))
    names[slot] = name
    return name
  }
}

const NAME_MAX_BYTES = 32
const NAME_SLOTS = 1024
/** Recently read names by hash; a collision just replaces the entry. */
const names: Array<string | undefined> = new Array(NAME_SLOTS).fill(undefined)

const decodeUtf8 = (bytes: Uint8Array): string => {
  try {
    return utf8Decoder.decode(bytes)
  } catch {
    throw new DecodeFailure("invalid UTF-8 in WAL payload")
  }
}

/**
 * Orders strings by the bytes of their UTF-8 encoding (= code point order),
 * the order lora-wal's `BTreeMap<String, _>` writes keys in. Plain `<` on JS
 * strings compares UTF-16 units and differs for astral characters.
 *
 * @since 0.1.0
 * @category utils
 */
export const compareUtf8 = (a: string, b: string): number => {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    // Surrogates (0xD800-0xDFFF) encode code points above every BMP unit.
    const xs = x >= 0xd800 && x <= 0xdfff
    const ys = y >= 0xd800 && y <= 0xdfff
    if (xs !== ys) return xs ? 1 : -1
    return x - y
  }
  return a.length - b.length
}
