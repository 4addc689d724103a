/**
 * Segment files: naming, and the 32-byte header every segment starts with.
 *
 * @since 0.1.0
 */
import * as Brand from "effect/Brand"
import * as Either from "effect/Either"
import { crc32 } from "./internal/crc.js"
import type { Lsn } from "./Lsn.js"
import { unsafeMake as unsafeLsn } from "./Lsn.js"
import { BadSegmentHeader, Truncated } from "./WalError.js"

/**
 * A segment's id (u64): the number in its file name. Ids start at 1 and
 * rotation adds 1; the newest segment (highest id) is the active one.
 *
 * @since 0.1.0
 * @category models
 */
export type SegmentId = bigint & Brand.Brand<"@lora-wal/core/SegmentId">

/**
 * Checked constructor: rejects ids outside 1..2^64-1 (0 is never a segment).
 *
 * @since 0.1.0
 * @category constructors
 */
export const SegmentId = Brand.refined<SegmentId>(
  (n) => n >= 1n && n <= 0xffff_ffff_ffff_ffffn,
  (n) => Brand.error(`segment id ${n} is outside 1..2^64-1`)
)

/**
 * The size of a segment header in bytes; records start after it.
 *
 * @since 0.1.0
 * @category constants
 */
export const HEADER_LEN = 32

/**
 * `LORAWAL` then a NUL byte.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAGIC: Uint8Array = Uint8Array.from([0x4c, 0x4f, 0x52, 0x41, 0x57, 0x41, 0x4c, 0x00])

/**
 * The only format version lora-wal 0.8.3 writes and accepts.
 *
 * @since 0.1.0
 * @category constants
 */
export const FORMAT_VERSION = 1

/**
 * Header flag bit 0: the segment was closed by rotation and takes no appends.
 *
 * @since 0.1.0
 * @category constants
 */
export const FLAG_SEALED = 1

/**
 * A decoded segment header: the format version, the lowest LSN the segment's
 * records may have, and the flags (see {@link isSealed}).
 *
 * @since 0.1.0
 * @category models
 */
export interface Header {
  readonly formatVersion: number
  readonly baseLsn: Lsn
  readonly flags: number
}

/**
 * Whether the segment was sealed by rotation (no appends go to it).
 *
 * @since 0.1.0
 * @category guards
 */
export const isSealed = (header: Header): boolean => (header.flags & FLAG_SEALED) !== 0

/**
 * The file name of a segment: the id zero-padded to 10 digits, then `.wal`.
 *
 * @since 0.1.0
 * @category utils
 */
export const fileName = (id: SegmentId): string => `${id.toString().padStart(10, "0")}.wal`

/**
 * The id named by a segment file name, or `undefined` for any other file
 * (a stray `*.wal.tmp` must not block open).
 *
 * @since 0.1.0
 * @category utils
 */
export const parseFileName = (name: string): SegmentId | undefined => {
  const match = /^([0-9]{1,20})\.wal$/.exec(name)
  if (match === null) return undefined
  const id = BigInt(match[1]!)
  return id >= 1n && id <= 0xffff_ffff_ffff_ffffn ? (id as SegmentId) : undefined
}

/**
 * Encodes a header: magic, version, base LSN, flags, reserved zero, CRC32 of
 * the first 28 bytes.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeHeader = (header: { readonly baseLsn: Lsn; readonly flags?: number }): Uint8Array => {
  const bytes = new Uint8Array(HEADER_LEN)
  const view = new DataView(bytes.buffer)
  bytes.set(MAGIC, 0)
  view.setUint32(8, FORMAT_VERSION, true)
  view.setBigUint64(12, header.baseLsn, true)
  view.setUint32(20, header.flags ?? 0, true)
  view.setUint32(28, crc32(bytes.subarray(0, 28)), true)
  return bytes
}

/**
 * Decodes a header, checking in lora-wal's order: length, magic, CRC,
 * version.
 *
 * @since 0.1.0
 * @category encoding
 */
export const decodeHeader = (bytes: Uint8Array): Either.Either<Header, Truncated | BadSegmentHeader> => {
  if (bytes.length < HEADER_LEN) return Either.left(new Truncated({ expected: HEADER_LEN, actual: bytes.length }))
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) return Either.left(new BadSegmentHeader({ reason: "bad magic" }))
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_LEN)
  if (view.getUint32(28, true) !== crc32(bytes.subarray(0, 28))) {
    return Either.left(new BadSegmentHeader({ reason: "header crc mismatch" }))
  }
  const formatVersion = view.getUint32(8, true)
  if (formatVersion !== FORMAT_VERSION) {
    return Either.left(new BadSegmentHeader({ reason: "unsupported format version" }))
  }
  return Either.right({
    formatVersion,
    baseLsn: unsafeLsn(view.getBigUint64(12, true)),
    flags: view.getUint32(20, true)
  })
}
