/**
 * Record framing: `length u32 | kind u8 | lsn u64 | tx_begin_lsn u64 |
 * payload | crc u32`, CRC32 over everything before the CRC (the length
 * prefix included, so a torn length is caught).
 *
 * Encoding appends to a reusable {@link Writer}; decoding works on a byte
 * range and reports failures as values, in lora-wal's order of checks, so
 * the replay loop never pays for an Effect per record.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import { DecodeFailure, EncodeFailure, type Writer } from "./Bytes.js"
import * as EventCodec from "./EventCodec.js"
import { type Crc32Function, portable } from "./Crc32.js"
import { type Lsn, unsafeMake as unsafeLsn } from "./Lsn.js"
import { CrcMismatch, Decode, Encode, type RecordError, Truncated, UnknownKind } from "./WalError.js"

/**
 * The kind byte of each record type.
 *
 * @since 0.1.0
 * @category constants
 */
export const Kind = {
  Mutation: 1,
  TxBegin: 2,
  TxCommit: 3,
  TxAbort: 4,
  Checkpoint: 5,
  MutationBatch: 6
} as const

/**
 * The name of a record kind, as {@link kindNames} maps kind bytes to it.
 *
 * @since 0.1.0
 * @category models
 */
export type KindName = keyof typeof Kind

/**
 * Kind byte to name (index 0 unused).
 *
 * @since 0.1.0
 * @category constants
 */
export const kindNames: ReadonlyArray<KindName | undefined> = [
  undefined,
  "Mutation",
  "TxBegin",
  "TxCommit",
  "TxAbort",
  "Checkpoint",
  "MutationBatch"
]

/**
 * Bytes before the payload: length, kind, lsn, tx_begin_lsn.
 *
 * @since 0.1.0
 * @category constants
 */
export const HEADER_LEN = 21

/**
 * The smallest record: a marker (header + CRC).
 *
 * @since 0.1.0
 * @category constants
 */
export const MIN_LEN = 25

/**
 * Largest length the u32 prefix can state.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_LEN = 0xffff_ffff

/**
 * One record, generic over the event type its codec carries.
 *
 * @since 0.1.0
 * @category models
 */
export type WalRecord<E> =
  | { readonly _tag: "Mutation"; readonly lsn: Lsn; readonly txBeginLsn: Lsn; readonly event: E }
  | { readonly _tag: "MutationBatch"; readonly lsn: Lsn; readonly txBeginLsn: Lsn; readonly events: ReadonlyArray<E> }
  | { readonly _tag: "TxBegin"; readonly lsn: Lsn }
  | { readonly _tag: "TxCommit"; readonly lsn: Lsn; readonly txBeginLsn: Lsn }
  | { readonly _tag: "TxAbort"; readonly lsn: Lsn; readonly txBeginLsn: Lsn }
  | { readonly _tag: "Checkpoint"; readonly lsn: Lsn; readonly snapshotLsn: Lsn }

/**
 * The u64 stored in the `tx_begin_lsn` slot: the owning transaction, the
 * checkpoint's snapshot LSN, or 0 for a TxBegin.
 *
 * @since 0.1.0
 * @category utils
 */
export const slotLsn = <E>(record: WalRecord<E>): bigint => {
  switch (record._tag) {
    case "TxBegin":
      return 0n
    case "Checkpoint":
      return record.snapshotLsn
    default:
      return record.txBeginLsn
  }
}

/**
 * Appends one framed record to `writer` and returns its length. On failure
 * the writer is left exactly as it was.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encode = <E>(
  codec: EventCodec.EventCodec<E>,
  writer: Writer,
  record: WalRecord<E>,
  crc32: Crc32Function = portable
): Either.Either<number, Encode> => {
  const start = writer.length
  try {
    writer.reserve(HEADER_LEN)
    writer.length += 4
    writer.u8(Kind[record._tag])
    writer.u64(record.lsn)
    writer.u64(slotLsn(record))
    if (record._tag === "Mutation") EventCodec.encodeEvent(codec, writer, record.event)
    else if (record._tag === "MutationBatch") {
      if (record.events.length === 0) throw new EncodeFailure("mutation batch must contain at least one event")
      EventCodec.encodeBatch(codec, writer, record.events)
    }
    const length = writer.length - start + 4
    if (length > MAX_LEN) throw new EncodeFailure("record larger than 4 GiB")
    writer.setU32At(start, length)
    writer.u32(crc32(writer.bytes.subarray(start, writer.length)))
    return Either.right(length)
  } catch (e) {
    writer.length = start
    return Either.left(
      new Encode({
        reason: e instanceof EncodeFailure ? e.message : `invalid event: ${e instanceof Error ? e.message : String(e)}`
      })
    )
  }
}

/**
 * The fixed fields of a record whose bytes are all present, without looking
 * at the payload.
 *
 * @since 0.1.0
 * @category models
 */
export interface Frame {
  readonly length: number
  readonly kind: number
  readonly lsn: Lsn
  readonly txBeginLsn: Lsn
  readonly storedCrc: number
  readonly actualCrc: number
}

/**
 * What is at `offset`: nothing (clean end), a frame whose bytes are all
 * present, or the number of bytes a frame needs but does not have
 * (`needed` is the record's declared length, or 4 when even the length
 * prefix is incomplete; `declared` is the length prefix when it was read).
 *
 * @since 0.1.0
 * @category models
 */
export type FrameAt =
  | { readonly _tag: "End" }
  | { readonly _tag: "Frame"; readonly frame: Frame }
  | { readonly _tag: "Short"; readonly available: number; readonly declared: number | undefined }
  | { readonly _tag: "TooSmall"; readonly declared: number }

/**
 * Reads the frame at `offset` in `bytes[..end]`, computing its CRC.
 *
 * @since 0.1.0
 * @category encoding
 */
export const frameAt = (bytes: Uint8Array, offset: number, end: number, crc32: Crc32Function = portable): FrameAt => {
  const available = end - offset
  if (available <= 0) return { _tag: "End" }
  if (available < 4) return { _tag: "Short", available, declared: undefined }
  const length = u32At(bytes, offset)
  if (length < MIN_LEN) return { _tag: "TooSmall", declared: length }
  if (length > available) return { _tag: "Short", available, declared: length }
  const view = viewOf(bytes)
  return {
    _tag: "Frame",
    frame: {
      length,
      kind: bytes[offset + 4]!,
      lsn: unsafeLsn(view.getBigUint64(offset + 5, true)),
      txBeginLsn: unsafeLsn(view.getBigUint64(offset + 13, true)),
      storedCrc: u32At(bytes, offset + length - 4),
      actualCrc: crc32(bytes.subarray(offset, offset + length - 4))
    }
  }
}

const u32At = (bytes: Uint8Array, at: number): number =>
  (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0

/** One DataView per buffer, reused while replay decodes the records in it. */
let lastBytes: Uint8Array | undefined
let lastView: DataView | undefined
const viewOf = (bytes: Uint8Array): DataView => {
  if (bytes !== lastBytes) {
    lastBytes = bytes
    lastView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }
  return lastView!
}

/**
 * The outcome of decoding at one position.
 *
 * @since 0.1.0
 * @category models
 */
export type Decoded<E> =
  | { readonly _tag: "End" }
  | { readonly _tag: "Record"; readonly record: WalRecord<E>; readonly length: number }
  | { readonly _tag: "Failure"; readonly error: RecordError }

const end: Decoded<never> = { _tag: "End" }
const failure = (error: RecordError): Decoded<never> => ({ _tag: "Failure", error })

type NotAFrame = Exclude<FrameAt, { readonly _tag: "Frame" }>

/** The outcome at an offset that holds no whole frame. */
const notAFrame = (at: NotAFrame): Decoded<never> => {
  switch (at._tag) {
    case "End":
      return end
    case "Short":
      return failure(
        at.declared === undefined
          ? new Truncated({ expected: 4, actual: at.available })
          : new Truncated({ expected: at.declared - 4, actual: 0 })
      )
    case "TooSmall":
      return failure(new Decode({ reason: `record length ${at.declared} smaller than fixed framing` }))
  }
}

/**
 * Decodes the record at `offset`, where `bytes[offset..end]` is everything up
 * to the end of the file. Checks run in lora-wal's order: length prefix,
 * minimum length, completeness, kind, CRC, marker payload, payload. A codec
 * that throws anything but `DecodeFailure` is not describing the bytes (a
 * bug, or no memory left): that is thrown on, as a defect, so that no replay
 * stops and no open truncates a log over it.
 *
 * @since 0.1.0
 * @category encoding
 */
export const decode = <E>(
  codec: EventCodec.EventCodec<E>,
  bytes: Uint8Array,
  offset: number,
  endOffset: number,
  crc32: Crc32Function = portable
): Decoded<E> => {
  const available = endOffset - offset
  const length = available >= 4 ? u32At(bytes, offset) : 0
  // What is not a whole frame (rare: the end, or a torn tail) is told apart by frameAt, which
  // finds no frame there either.
  if (length < MIN_LEN || length > available) return notAFrame(frameAt(bytes, offset, endOffset, crc32) as NotAFrame)
  const name = kindNames[bytes[offset + 4]!]
  if (name === undefined) return failure(new UnknownKind({ kind: bytes[offset + 4]! }))
  const view = viewOf(bytes)
  const lsn = unsafeLsn(view.getBigUint64(offset + 5, true))
  const storedCrc = u32At(bytes, offset + length - 4)
  const actualCrc = crc32(bytes.subarray(offset, offset + length - 4))
  if (storedCrc !== actualCrc) return failure(new CrcMismatch({ lsn, expected: storedCrc, actual: actualCrc }))
  const txBeginLsn = unsafeLsn(view.getBigUint64(offset + 13, true))
  const payloadStart = offset + HEADER_LEN
  const payloadEnd = offset + length - 4
  if (name !== "Mutation" && name !== "MutationBatch" && payloadEnd !== payloadStart) {
    return failure(new Decode({ reason: `${name} has unexpected payload` }))
  }
  let record: WalRecord<E>
  try {
    switch (name) {
      case "Mutation":
        record = {
          _tag: "Mutation",
          lsn,
          txBeginLsn,
          event: EventCodec.decodeEventIn(codec, bytes, payloadStart, payloadEnd, view)
        }
        break
      case "MutationBatch":
        record = {
          _tag: "MutationBatch",
          lsn,
          txBeginLsn,
          events: EventCodec.decodeBatchIn(codec, bytes, payloadStart, payloadEnd, view)
        }
        break
      case "TxBegin":
        record = { _tag: "TxBegin", lsn }
        break
      case "TxCommit":
        record = { _tag: "TxCommit", lsn, txBeginLsn }
        break
      case "TxAbort":
        record = { _tag: "TxAbort", lsn, txBeginLsn }
        break
      case "Checkpoint":
        record = { _tag: "Checkpoint", lsn, snapshotLsn: txBeginLsn }
        break
    }
  } catch (e) {
    // Only the codec's verdict on the bytes is damage. Anything else it throws (a bug, no memory
    // left) is a defect: as damage, a replay would stop there and open would truncate the log.
    if (!(e instanceof DecodeFailure)) throw e
    return failure(new Decode({ reason: e.message }))
  }
  return { _tag: "Record", record, length }
}

/**
 * Finds the first well-formed record (complete, known kind, CRC intact)
 * starting after byte 0 of `bytes` whose LSN is above `afterLsn`. Replay
 * uses it to tell a torn tail (nothing valid follows the damage) from
 * corruption in the middle of the log (committed records follow it).
 *
 * @since 0.1.0
 * @category encoding
 */
export const findWellFormed = (
  bytes: Uint8Array,
  afterLsn: bigint
): { readonly offset: number; readonly lsn: Lsn } | undefined => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let p = 1; p + MIN_LEN <= bytes.length; p++) {
    const length = view.getUint32(p, true)
    if (length < MIN_LEN || length > bytes.length - p) continue
    const kind = bytes[p + 4]!
    if (kind < 1 || kind > 6) continue
    const lsn = view.getBigUint64(p + 5, true)
    if (lsn <= afterLsn) continue
    if (view.getUint32(p + length - 4, true) === portable(bytes.subarray(p, p + length - 4))) {
      return { offset: p, lsn: unsafeLsn(lsn) }
    }
  }
  return undefined
}
