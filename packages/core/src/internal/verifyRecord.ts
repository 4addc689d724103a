/**
 * One record as `Verify` sees it: where the framing stops, or a frame with
 * what is wrong with it, if anything. Unlike `WalRecord.decode`, which stops
 * at the first failure as replay must, it keeps the frame's length after a
 * bad CRC or an unknown kind, so the walk can go on past one damaged record.
 * The payload is decoded only to see that the codec accepts it; the events
 * are dropped at once.
 */
import { DecodeFailure } from "../Bytes.js"
import type { Crc32Function } from "../Crc32.js"
import * as EventCodec from "../EventCodec.js"
import type { Lsn } from "../Lsn.js"
import * as WalRecord from "../WalRecord.js"
import type { FramingFault } from "./verifyProblem.js"

/** A frame's damage, in lora-wal's order of checks (kind, CRC, payload). */
export type Damage =
  | { readonly _tag: "UnknownKind" }
  | { readonly _tag: "CrcMismatch"; readonly expected: number; readonly actual: number }
  | { readonly _tag: "BadPayload"; readonly reason: string }

export type Examined =
  | { readonly _tag: "End" }
  | { readonly _tag: "Broken"; readonly fault: FramingFault; readonly declaredLength: number | undefined }
  | {
    readonly _tag: "Frame"
    readonly length: number
    readonly kind: number
    readonly lsn: Lsn
    /** The `tx_begin_lsn` slot: owning TxBegin, or a checkpoint's snapshot LSN. */
    readonly slot: Lsn
    readonly damage: Damage | undefined
  }

const end: Examined = { _tag: "End" }
const unknownKind: Damage = { _tag: "UnknownKind" }

/**
 * Examines the record at `offset`, where `bytes[offset..endOffset)` holds
 * the record whole or everything left of the file.
 */
export const examine = (
  codec: EventCodec.EventCodec<unknown>,
  bytes: Uint8Array,
  offset: number,
  endOffset: number,
  crc32: Crc32Function
): Examined => {
  const at = WalRecord.frameAt(bytes, offset, endOffset, crc32)
  switch (at._tag) {
    case "End":
      return end
    case "Short":
      return { _tag: "Broken", fault: "truncated", declaredLength: at.declared }
    case "TooSmall":
      return { _tag: "Broken", fault: "too-small", declaredLength: at.declared }
  }
  const { actualCrc, kind, length, lsn, storedCrc, txBeginLsn } = at.frame
  const name = WalRecord.kindNames[kind]
  let damage: Damage | undefined
  if (name === undefined) damage = unknownKind
  else if (storedCrc !== actualCrc) damage = { _tag: "CrcMismatch", expected: storedCrc, actual: actualCrc }
  else {
    const reason = payloadFault(codec, name, bytes.subarray(offset + WalRecord.HEADER_LEN, offset + length - 4))
    if (reason !== undefined) damage = { _tag: "BadPayload", reason }
  }
  // One literal, not a spread of a shared part: spreading cost four times the rest of the check.
  return { _tag: "Frame", length, kind, lsn, slot: txBeginLsn, damage }
}

/** Why the payload is refused, with replay's wording, or undefined when it decodes. */
const payloadFault = (
  codec: EventCodec.EventCodec<unknown>,
  name: WalRecord.KindName,
  payload: Uint8Array
): string | undefined => {
  try {
    if (name === "Mutation") EventCodec.decodeEvent(codec, payload)
    else if (name === "MutationBatch") EventCodec.decodeBatch(codec, payload)
    else if (payload.length > 0) return `${name} has unexpected payload`
    return undefined
  } catch (e) {
    // As in replay: only the codec's verdict on the bytes is damage; anything else is a defect.
    if (!(e instanceof DecodeFailure)) throw e
    return e.message
  }
}
