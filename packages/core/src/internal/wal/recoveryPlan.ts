/**
 * What opening a log must do, decided from the segment listing and the
 * replay summary alone: no filesystem, so every branch is tested directly.
 *
 * - `CreateFirst`: no segment holds a record; start segment 1 (or reuse the
 *   id of an interrupted creation).
 * - `Resume`: keep appending to the newest segment, cut back to its last
 *   good record (a crash's torn tail).
 * - `StartNext`: the newest segment was sealed (a crash between sealing and
 *   creating the next), so carry on in a new one.
 * - `Refuse`: the log is not one a crash can leave behind; changing it could
 *   lose committed records.
 */
import * as Data from "effect/Data"
import * as Option from "effect/Option"
import type * as Segment from "../../Segment.js"
import { Corruption, Malformed } from "../../WalError.js"
import type { Summary } from "../replayCursor.js"
import type { SegmentFile } from "../segments.js"

/** @internal */
export type RecoveryPlan = Data.TaggedEnum<{
  CreateFirst: { readonly id: Segment.SegmentId; readonly baseLsn: bigint; readonly removeInterrupted: Option.Option<string> }
  Resume: {
    readonly path: string
    readonly id: Segment.SegmentId
    readonly baseLsn: bigint
    /** The length to keep: everything up to the last good record. */
    readonly size: number
    readonly tornTailTruncated: boolean
    readonly removeInterrupted: Option.Option<string>
  }
  StartNext: { readonly id: Segment.SegmentId; readonly baseLsn: bigint; readonly removeInterrupted: Option.Option<string> }
  Refuse: { readonly error: Malformed | Corruption }
}>

/** @internal */
export const RecoveryPlan = Data.taggedEnum<RecoveryPlan>()

/** @internal */
export interface Listing {
  readonly segments: ReadonlyArray<SegmentFile>
  readonly interrupted: SegmentFile | undefined
}

/**
 * New records always get LSNs above the fence, even when the log ends below
 * it (a log restored from an older copy, or emptied): the next recovery
 * skips everything at or below it.
 *
 * @internal
 */
export const firstNewLsn = (maxLsn: bigint, fence: bigint): bigint => (maxLsn > fence ? maxLsn : fence) + 1n

/**
 * The error for damage with committed records after it (a `"corruption"`
 * tail), if the summary ends in such damage.
 *
 * @internal
 */
export const corruptionOf = (summary: Summary): Corruption | undefined => {
  if (Option.isNone(summary.tornTail)) return undefined
  const torn = summary.tornTail.value
  if (torn.classification !== "corruption") return undefined
  const following = Option.getOrThrow(torn.followedBy)
  return new Corruption({
    segmentPath: torn.segmentPath,
    offset: torn.lastGoodOffset,
    lastGoodLsn: summary.maxLsn,
    followingOffset: following.offset,
    followingLsn: Option.getOrElse(following.lsn, () => 0n),
    cause: torn.cause.message
  })
}

/**
 * The error for a log that no longer reaches back to the fence: the records
 * between the fence and its oldest segment are gone.
 *
 * @internal
 */
export const holeBelow = (oldestBase: bigint, fence: bigint): Malformed | undefined =>
  oldestBase > fence + 1n
    ? new Malformed({
      reason: `the log starts at lsn ${oldestBase} but the fence is lsn ${fence}: ` +
        `records ${fence + 1n} to ${oldestBase - 1n} are missing (truncated past the snapshot, or deleted)`
    })
    : undefined

/**
 * The error for damage at the end of the replay that no crash leaves behind:
 * in a sealed segment or one before the newest (fsynced whole before its
 * successor existed), or, unless `repair`, followed by committed records.
 *
 * @internal
 */
export const damageOf = (summary: Summary, newestId: bigint, repair: boolean): Malformed | Corruption | undefined => {
  if (Option.isNone(summary.tornTail)) return undefined
  const torn = summary.tornTail.value
  const tornSegment = summary.segments.find((s) => s.id === torn.segmentId)
  if (torn.segmentId !== newestId || tornSegment?.sealed === true) {
    return new Malformed({ reason: `torn tail found in sealed segment ${torn.segmentPath}` })
  }
  return repair ? undefined : corruptionOf(summary)
}

/**
 * The plan for a directory. `summary` is the replay of `listing` (ignored
 * when it lists no segment).
 *
 * @internal
 */
export const plan = (options: {
  readonly listing: Listing
  readonly summary: Summary
  readonly fence: bigint
  readonly repair: boolean
}): RecoveryPlan => {
  const { fence, listing, summary } = options
  const removeInterrupted = Option.map(Option.fromNullable(listing.interrupted), (s) => s.path)
  const newest = listing.segments[listing.segments.length - 1]
  if (newest === undefined) {
    return RecoveryPlan.CreateFirst({
      id: listing.interrupted?.id ?? (1n as Segment.SegmentId),
      baseLsn: firstNewLsn(0n, fence),
      removeInterrupted
    })
  }
  const refused = holeBelow(summary.segments[0]!.baseLsn, fence) ?? damageOf(summary, newest.id, options.repair)
  if (refused !== undefined) return RecoveryPlan.Refuse({ error: refused })
  const newestSummary = summary.segments[summary.segments.length - 1]!
  if (newestSummary.sealed) {
    return RecoveryPlan.StartNext({
      id: (newest.id + 1n) as Segment.SegmentId,
      baseLsn: firstNewLsn(summary.maxLsn, fence),
      removeInterrupted
    })
  }
  const size = Option.match(summary.tornTail, { onNone: () => newest.size, onSome: (t) => t.lastGoodOffset })
  return RecoveryPlan.Resume({
    path: newest.path,
    id: newest.id,
    baseLsn: newestSummary.baseLsn,
    size,
    tornTailTruncated: size < newest.size,
    removeInterrupted
  })
}
