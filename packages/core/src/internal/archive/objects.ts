/**
 * How a log's segments are named in an archive, and which prefix of a
 * segment's bytes may be shipped.
 *
 * Under the archive's prefix, a sealed segment is `segments/<file name>`,
 * and a prefix of the active one is `segments/<file name>.partial-<bytes>`
 * (the length padded to 12 digits): names sort by segment id, then by
 * length, and a segment's sealed object sorts before its partials.
 */
import type { Crc32Function } from "../../Crc32.js"
import * as Inspect from "../../Inspect.js"
import * as Segment from "../../Segment.js"

/** @internal */
export const segmentsPrefix = (prefix: string) => `${prefix}segments/`

/** @internal */
export const sealedKey = (prefix: string, name: string) => `${segmentsPrefix(prefix)}${name}`

/** @internal */
export const partialKey = (prefix: string, name: string, length: number) =>
  `${segmentsPrefix(prefix)}${name}.partial-${length.toString().padStart(12, "0")}`

/** An archived object of a segment: its id and, for a partial one, how many bytes it holds. @internal */
export interface SegmentObject {
  readonly key: string
  readonly id: Segment.SegmentId
  readonly name: string
  readonly partialLength: number | undefined
}

const PARTIAL = /^(.+)\.partial-(\d{12})$/

/** The segment object `key` names, or undefined for another object. @internal */
export const parseKey = (prefix: string, key: string): SegmentObject | undefined => {
  const start = segmentsPrefix(prefix)
  if (!key.startsWith(start)) return undefined
  const rest = key.slice(start.length)
  const partial = PARTIAL.exec(rest)
  const name = partial === null ? rest : partial[1]!
  const id = Segment.parseFileName(name)
  if (id === undefined) return undefined
  return { key, id, name, partialLength: partial === null ? undefined : Number(partial[2]) }
}

/** What a walk over a segment's bytes found. @internal */
export interface Scan {
  readonly baseLsn: bigint
  /** Whether the header says the segment was sealed. */
  readonly sealed: boolean
  /** The end of the last good record kept (the header's end when none is). */
  readonly end: number
  readonly lastLsn: bigint | undefined
  /** Why the walk stopped before the end of the bytes, if it did. */
  readonly fault: string | undefined
}

/**
 * Walks a segment's records up to the first that is not whole and intact,
 * keeping those at or below `upToLsn`. A bad header is a fault with
 * nothing kept.
 *
 * @internal
 */
export const scan = (bytes: Uint8Array, crc32: Crc32Function, upToLsn?: bigint): Scan | string => {
  const header = Inspect.header(bytes, crc32)
  const headerFault = Inspect.headerFault(header)
  if (headerFault !== undefined || !header.complete) return `segment header: ${headerFault}`
  let end = Segment.HEADER_LEN
  let lastLsn: bigint | undefined
  const stop = (fault: string | undefined): Scan => ({ baseLsn: header.baseLsn, sealed: header.sealed, end, lastLsn, fault })
  for (const record of Inspect.framesOf(bytes, crc32)) {
    if (record._tag === "Invalid") return stop(`the record at offset ${record.offset} is not whole`)
    if (!record.crcOk) return stop(`CRC mismatch in the record at offset ${record.offset} (lsn ${record.lsn})`)
    if (upToLsn !== undefined && record.lsn > upToLsn) return stop(undefined)
    end = record.offset + record.length
    lastLsn = record.lsn
  }
  return stop(undefined)
}
