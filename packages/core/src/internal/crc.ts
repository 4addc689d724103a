/**
 * IEEE CRC32 (reflected polynomial 0xEDB88320, the checksum lora-wal takes
 * through crc32fast) in plain TypeScript, so the core needs no platform
 * module. Slicing-by-8: eight 256-entry tables, built once when the module
 * loads, fold eight bytes per step. Inputs of 256 bytes or more are read as
 * aligned 32-bit words through an Int32Array view on little-endian hosts
 * (x64, arm64; a big-endian one assembles words from bytes), ~1.4x faster
 * than assembling words from byte loads; below that, creating the view costs
 * more than it saves. (Slicing-by-16 measured no faster.)
 */

const POLYNOMIAL = 0xedb88320
const SLICES = 8
const WORD_THRESHOLD = 256
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

/**
 * `table[k * 256 + b]` is the CRC of byte `b` followed by `k` zero bytes:
 * slice 0 is the classic byte-at-a-time table, slice k shifts it k bytes on.
 */
const table = ((): Int32Array => {
  const t = new Int32Array(256 * SLICES)
  for (let b = 0; b < 256; b++) {
    let c = b
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1
    t[b] = c
  }
  for (let k = 1; k < SLICES; k++) {
    for (let b = 0; b < 256; b++) {
      const previous = t[(k - 1) * 256 + b]
      t[k * 256 + b] = (previous >>> 8) ^ t[previous & 0xff]
    }
  }
  return t
})()

/** One slicing-by-8 step: the running CRC folded with the next eight bytes, given as two little-endian words. */
const step = (crc: number, w0: number, w1: number): number => {
  const t = table
  const a = crc ^ w0
  return t[1792 + (a & 0xff)] ^ t[1536 + ((a >>> 8) & 0xff)] ^ t[1280 + ((a >>> 16) & 0xff)] ^ t[1024 + (a >>> 24)] ^
    t[768 + (w1 & 0xff)] ^ t[512 + ((w1 >>> 8) & 0xff)] ^ t[256 + ((w1 >>> 16) & 0xff)] ^ t[w1 >>> 24]
}

/** Folds `bytes[from..to)` into `crc` one byte at a time. */
const bytewise = (crc: number, bytes: Uint8Array, from: number, to: number): number => {
  for (let i = from; i < to; i++) crc = table[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8)
  return crc
}

/** Folds `blocks` 8-byte blocks from `from`, assembling the words from byte loads. */
const byBytes = (crc: number, bytes: Uint8Array, from: number, blocks: number): number => {
  const end = from + (blocks << 3)
  for (let i = from; i < end; i += 8) {
    crc = step(
      crc,
      bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24),
      bytes[i + 4] | (bytes[i + 5] << 8) | (bytes[i + 6] << 16) | (bytes[i + 7] << 24)
    )
  }
  return crc
}

/** Folds `blocks` 8-byte blocks from a 4-byte-aligned `from`, read as words through an Int32Array view. */
const byWords = (crc: number, bytes: Uint8Array, from: number, blocks: number): number => {
  const words = new Int32Array(bytes.buffer, bytes.byteOffset + from, blocks << 1)
  for (let j = 0; j < words.length; j += 2) crc = step(crc, words[j], words[j + 1])
  return crc
}

/**
 * IEEE CRC32 of `bytes` (any view: a subarray checks only its own bytes).
 *
 * @internal
 */
export const crc32 = (bytes: Uint8Array): number => {
  const length = bytes.length
  const viaWords = LITTLE_ENDIAN && length >= WORD_THRESHOLD
  const head = viaWords ? (4 - (bytes.byteOffset & 3)) & 3 : 0
  const blocks = (length - head) >>> 3
  let crc = bytewise(-1, bytes, 0, head)
  crc = viaWords ? byWords(crc, bytes, head, blocks) : byBytes(crc, bytes, head, blocks)
  return ~bytewise(crc, bytes, head + (blocks << 3), length) >>> 0
}
