import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { Lsn } from "../Lsn.js"
import type * as Segment from "../Segment.js"
import * as WalRecord from "../WalRecord.js"
import type { Io, RecordError } from "../WalError.js"
import type { SegmentFile } from "./segments.js"

/** Where replay stopped early, and whether valid records lie beyond. */
export interface TornTail {
  readonly segmentId: Segment.SegmentId
  readonly segmentFile: string
  readonly segmentPath: string
  readonly lastGoodOffset: number
  readonly cause: RecordError
  readonly classification: "torn-tail" | "corruption"
  readonly followedBy: Option.Option<{
    readonly segmentPath: string
    readonly offset: number
    readonly lsn: Option.Option<Lsn>
  }>
}

/** The record at `offset` of `segment` failed with `cause`: a torn tail until {@link classify} finds data beyond it. */
export const tornTailAt = (segment: SegmentFile, offset: number, cause: RecordError): TornTail => ({
  segmentId: segment.id,
  segmentFile: segment.name,
  segmentPath: segment.path,
  lastGoodOffset: offset,
  cause,
  classification: "torn-tail",
  followedBy: Option.none()
})

/**
 * Decides whether the stop is a torn tail or damage in the middle of the
 * log: a later segment, or a well-formed record with an LSN above
 * `maxLsn` in the bytes after the bad one (`readRest`, read only when no
 * later segment settles it), means committed data lies beyond it.
 */
export const classify = <R>(
  torn: TornTail,
  later: SegmentFile | undefined,
  readRest: Effect.Effect<Uint8Array, Io, R>,
  maxLsn: bigint
): Effect.Effect<TornTail, Io, R> => {
  if (later !== undefined) {
    return Effect.succeed({
      ...torn,
      classification: "corruption",
      followedBy: Option.some({ segmentPath: later.path, offset: 0, lsn: Option.none() })
    })
  }
  return Effect.map(readRest, (rest) => {
    const found = WalRecord.findWellFormed(rest, maxLsn)
    if (found === undefined) return torn
    return {
      ...torn,
      classification: "corruption",
      followedBy: Option.some({
        segmentPath: torn.segmentPath,
        offset: torn.lastGoodOffset + found.offset,
        lsn: Option.some(found.lsn)
      })
    }
  })
}
