/**
 * What `Verify` reports: one value per problem found in a log directory at
 * rest, and the one-line description an operator reads. Kept apart from the
 * walking code so that each part of the walk can build problems without
 * importing the public module that runs it.
 */
import * as Data from "effect/Data"
import type { Lsn } from "../Lsn.js"
import * as Segment from "../Segment.js"

/**
 * What opening the log does about a problem: cut a crash's torn tail off the
 * active segment, remove the file an interrupted rotation left, or refuse
 * to open (a failure with `Malformed`, `Corruption`, `BadSegmentHeader` or
 * `Io`), since changing anything could lose committed records.
 */
export type AtOpen = "truncate" | "remove" | "refuse"

/** How the record framing stopped making sense: nothing after it in the segment can be walked. */
export type FramingFault = "truncated" | "too-small"

/** Why a segment header is refused, in lora-wal's words. */
export type HeaderFault = "bad magic" | "header crc mismatch" | "unsupported format version"

/** The problems, each naming its file (basename) and, where there is one, the byte offset. */
export type Problem = Data.TaggedEnum<{
  /** A file could not be examined (stat, open or read failed). */
  Unreadable: {
    readonly file: string
    readonly offset: number | undefined
    readonly reason: string
    readonly atOpen: AtOpen
  }
  /** Segment ids jump before `file`: the segments `missingFrom..missingTo` are gone, with the LSNs they held if known. */
  SegmentGap: {
    readonly file: string
    readonly missingFrom: Segment.SegmentId
    readonly missingTo: Segment.SegmentId
    readonly lostLsns: { readonly from: Lsn; readonly to: Lsn } | undefined
    readonly atOpen: AtOpen
  }
  /** The newest segment holds no valid header and nothing else: a rotation cut before the header reached the disk. */
  InterruptedRotation: { readonly file: string; readonly size: number; readonly atOpen: AtOpen }
  /** A segment other than the newest is shorter than its 32-byte header. */
  HeaderIncomplete: { readonly file: string; readonly offset: 0; readonly size: number; readonly atOpen: AtOpen }
  /** The segment header fails a check, in lora-wal's order (magic, CRC, version); its base LSN and flags are not trusted. */
  BadHeader: {
    readonly file: string
    readonly offset: 0
    readonly reason: HeaderFault
    readonly atOpen: AtOpen
  }
  /** The oldest segment starts above `fence + 1`: the records between are gone. */
  FenceHole: { readonly file: string; readonly baseLsn: Lsn; readonly fence: Lsn; readonly atOpen: AtOpen }
  /** A segment's base LSN is not above the previous segment's base or the last record before it. */
  BaseLsnOrder: {
    readonly file: string
    readonly baseLsn: Lsn
    readonly previousLsn: Lsn
    readonly previous: "segment base" | "record"
    readonly atOpen: AtOpen
  }
  /** A record's stored CRC does not match its bytes (its LSN and length are as read, so not trusted). */
  CrcMismatch: {
    readonly file: string
    readonly offset: number
    readonly lsn: Lsn
    readonly expected: number
    readonly actual: number
    readonly atOpen: AtOpen
  }
  /** A record's kind byte is outside 1..=6. */
  UnknownKind: {
    readonly file: string
    readonly offset: number
    readonly lsn: Lsn
    readonly kind: number
    readonly atOpen: AtOpen
  }
  /** The framing stops: a record longer than the bytes left, or shorter than the fixed framing. */
  BrokenFraming: {
    readonly file: string
    readonly offset: number
    readonly fault: FramingFault
    /** The length prefix, when the 4 bytes of it are there. */
    readonly declaredLength: number | undefined
    readonly bytesLeft: number
    readonly atOpen: AtOpen
  }
  /** A record whose CRC holds has a payload the codec does not accept (or a marker with a payload). */
  BadPayload: {
    readonly file: string
    readonly offset: number
    readonly lsn: Lsn
    readonly kind: string
    readonly reason: string
    readonly atOpen: AtOpen
  }
  /** A record's LSN is below its segment's base LSN. */
  LsnBelowBase: {
    readonly file: string
    readonly offset: number
    readonly lsn: Lsn
    readonly baseLsn: Lsn
    readonly atOpen: AtOpen
  }
  /** A record's LSN is not greater than the previous record's. */
  LsnOrder: {
    readonly file: string
    readonly offset: number
    readonly lsn: Lsn
    readonly previousLsn: Lsn
    readonly atOpen: AtOpen
  }
  /** A Mutation, MutationBatch, TxCommit or TxAbort names a transaction that is not open. */
  OrphanRecord: {
    readonly file: string
    readonly offset: number
    readonly lsn: Lsn
    readonly kind: string
    readonly txBeginLsn: Lsn
    readonly atOpen: AtOpen
  }
  /** A TxBegin reuses the LSN of a transaction still open. */
  DuplicateTxBegin: { readonly file: string; readonly offset: number; readonly lsn: Lsn; readonly atOpen: AtOpen }
  /** A checkpoint points past itself, or below an earlier checkpoint. */
  BadCheckpoint: {
    readonly file: string
    readonly offset: number
    readonly lsn: Lsn
    readonly snapshotLsn: Lsn
    /** The earlier checkpoint's snapshot LSN when it regressed, else undefined (it points to the future). */
    readonly previousSnapshotLsn: Lsn | undefined
    readonly atOpen: AtOpen
  }
}>

/** Constructors and matchers for {@link Problem}. */
export const Problem = Data.taggedEnum<Problem>()

const hex32 = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, "0")}`

const plural = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? "" : "s"}`

/** What the problem is, without the file and offset. */
const what: (problem: Problem) => string = Problem.$match({
  Unreadable: ({ reason }) => `cannot be read: ${reason}`,
  SegmentGap: ({ lostLsns, missingFrom, missingTo }) => {
    const lost = lostLsns === undefined ? "" : ` (lsn ${lostLsns.from} to ${lostLsns.to} lost)`
    return missingFrom === missingTo
      ? `segment ${missingFrom} (${Segment.fileName(missingFrom)}) is missing before this one${lost}`
      : `segments ${missingFrom} to ${missingTo} (${Segment.fileName(missingFrom)} to ${
        Segment.fileName(missingTo)
      }) are missing before this one${lost}`
  },
  InterruptedRotation: ({ size }) =>
    `${plural(size, "byte")} without a valid segment header: a rotation interrupted before its header was written`,
  HeaderIncomplete: ({ size }) => `segment of ${plural(size, "byte")}, shorter than its 32-byte header`,
  BadHeader: ({ reason }) => `segment header is malformed: ${reason}`,
  FenceHole: ({ baseLsn, fence }) =>
    `the log starts at lsn ${baseLsn} but the fence is lsn ${fence}: records ${fence + 1n} to ${baseLsn - 1n} are missing`,
  BaseLsnOrder: ({ baseLsn, previous, previousLsn }) =>
    `segment base lsn ${baseLsn} is not greater than the previous ${previous} lsn ${previousLsn}`,
  CrcMismatch: ({ actual, expected, lsn }) =>
    `record CRC mismatch (lsn ${lsn}: stored ${hex32(expected)}, computed ${hex32(actual)})`,
  UnknownKind: ({ kind, lsn }) => `unknown record kind ${kind} (lsn ${lsn})`,
  BrokenFraming: ({ bytesLeft, declaredLength, fault }) =>
    fault === "too-small"
      ? `record length ${declaredLength} is smaller than the 25-byte framing; the last ${
        plural(bytesLeft, "byte")
      } of the segment cannot be read`
      : declaredLength === undefined
      ? `record truncated: ${plural(bytesLeft, "byte")} left, too few for a length prefix`
      : `record truncated: its length is ${declaredLength} bytes but only ${plural(bytesLeft, "byte")} are left`,
  BadPayload: ({ kind, lsn, reason }) => `${kind} record (lsn ${lsn}) does not decode: ${reason}`,
  LsnBelowBase: ({ baseLsn, lsn }) => `record lsn ${lsn} is below the segment's base lsn ${baseLsn}`,
  LsnOrder: ({ lsn, previousLsn }) => `record lsn ${lsn} is not greater than the previous record's lsn ${previousLsn}`,
  OrphanRecord: ({ kind, lsn, txBeginLsn }) =>
    `${kind} record (lsn ${lsn}) belongs to transaction ${txBeginLsn}, which is not open`,
  DuplicateTxBegin: ({ lsn }) => `TxBegin (lsn ${lsn}) begins a transaction that is already open`,
  BadCheckpoint: ({ lsn, previousSnapshotLsn, snapshotLsn }) =>
    previousSnapshotLsn === undefined
      ? `checkpoint (lsn ${lsn}) points to future snapshot lsn ${snapshotLsn}`
      : `checkpoint (lsn ${lsn}) snapshot lsn ${snapshotLsn} regressed below the previous checkpoint's ${
        previousSnapshotLsn
      }`
})

const consequence = (problem: Problem): string => {
  switch (problem.atOpen) {
    case "truncate":
      return "a crash's torn tail: open cuts the segment here"
    case "remove":
      return "open removes the file"
    case "refuse":
      return "open refuses the log"
  }
}

/** One line naming the file, the offset where there is one, the problem and what open does about it. */
export const describe = (problem: Problem): string => {
  const offset = "offset" in problem && problem.offset !== undefined ? ` offset ${problem.offset}` : ""
  return `${problem.file}${offset}: ${what(problem)}; ${consequence(problem)}`
}
