/**
 * Walks one segment for `Verify`: its header, then every record, reporting
 * each damaged one and going on past it while its length can be trusted.
 *
 * Records are examined in a synchronous loop over the buffered bytes, as
 * replay does, so a log of millions of records does not pay for an Effect
 * per record; the loop returns to Effect only to read, or to decide what
 * opening would do about damage. Only the first damage of the active
 * segment (the newest, unsealed, with a valid header) can be a crash's torn
 * tail: it is one when no well-formed record with a higher LSN follows it
 * (replay's own test). Open then cuts the segment there, so nothing after it
 * is reported. Any other damage makes open refuse the log.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { Crc32Function } from "../Crc32.js"
import type { EventCodec } from "../EventCodec.js"
import { unsafeMake as lsn } from "../Lsn.js"
import * as Segment from "../Segment.js"
import * as WalRecord from "../WalRecord.js"
import { type BadSegmentHeader, Io } from "../WalError.js"
import type { Entry } from "./verifyListing.js"
import type { OrderChecker } from "./verifyOrder.js"
import { type AtOpen, type HeaderFault, Problem } from "./verifyProblem.js"
import type { SegmentReader } from "./verifyReader.js"
import { type Examined, examine } from "./verifyRecord.js"

/** What walking a segment needs from the walk of the directory. */
export interface Context {
  readonly fs: FileSystem.FileSystem
  readonly codec: EventCodec<unknown>
  readonly crc32: Crc32Function
  readonly fence: bigint | undefined
  readonly checker: OrderChecker
  /** The one reader of the walk (its buffer is reused from segment to segment). */
  readonly reader: SegmentReader
  readonly emit: (problem: Problem) => void
}

/** The segment ids missing before a segment. */
export interface Gap {
  readonly from: Segment.SegmentId
  readonly to: Segment.SegmentId
}

/** Reports the missing segments before `file`, with the LSNs they held when this segment's base is known. */
export const reportGap = (ctx: Context, file: string, gap: Gap | undefined, base: bigint | undefined): void => {
  if (gap === undefined) return
  const from = ctx.checker.previousLsn + 1n
  const lostLsns = base !== undefined && ctx.checker.previousLsn !== 0n && from < base
    ? { from: lsn(from), to: lsn(base - 1n) }
    : undefined
  ctx.emit(Problem.SegmentGap({ file, missingFrom: gap.from, missingTo: gap.to, lostLsns, atOpen: "refuse" }))
  ctx.checker.lost()
}

type Damaged = Exclude<Examined, { readonly _tag: "End" }>

type Stop =
  | { readonly _tag: "Need"; readonly bytes: number }
  | { readonly _tag: "End" }
  | { readonly _tag: "Damaged"; readonly offset: number; readonly examined: Damaged }

const end: Stop = { _tag: "End" }

const u32At = (bytes: Uint8Array, at: number): number =>
  (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0

/** Checks the buffered records until more bytes are needed, the segment ends, or a record is damaged. */
const step = (ctx: Context, file: string, reader: SegmentReader): Stop => {
  const { checker, codec, crc32 } = ctx
  for (;;) {
    const available = reader.available
    if (available < reader.remaining) {
      if (available < 4) return { _tag: "Need", bytes: 4 }
      const length = u32At(reader.buf, reader.pos)
      if (length >= WalRecord.MIN_LEN && length > available) return { _tag: "Need", bytes: length }
    }
    const offset = reader.offset
    const examined = examine(codec, reader.buf, reader.pos, reader.bufLen, crc32)
    if (examined._tag === "End") return end
    if (examined._tag === "Broken" || examined.damage !== undefined) return { _tag: "Damaged", offset, examined }
    checker.record(file, offset, WalRecord.kindNames[examined.kind]!, examined.lsn, examined.slot)
    reader.advance(examined.length)
  }
}

/** What open does about damage at `offset`: a torn tail when it may be one and nothing well-formed follows. */
const verdict = (
  ctx: Context,
  reader: SegmentReader,
  offset: number,
  mayBeTornTail: boolean
): Effect.Effect<AtOpen, Io> =>
  mayBeTornTail
    ? Effect.map(
      reader.readAt(offset, reader.size - offset),
      (rest) => WalRecord.findWellFormed(rest, ctx.checker.highest) === undefined ? "truncate" : "refuse"
    )
    : Effect.succeed("refuse")

/** Reports damage; a record whose CRC holds (only its payload is bad) still counts for LSN order and transactions. */
const report = (ctx: Context, file: string, size: number, offset: number, examined: Damaged, atOpen: AtOpen): void => {
  const { checker, emit } = ctx
  if (examined._tag === "Broken") {
    const { declaredLength, fault } = examined
    emit(Problem.BrokenFraming({ file, offset, fault, declaredLength, bytesLeft: size - offset, atOpen }))
    return checker.lost()
  }
  const { kind, lsn, slot } = examined
  const damage = examined.damage!
  switch (damage._tag) {
    case "UnknownKind":
      emit(Problem.UnknownKind({ file, offset, lsn, kind, atOpen }))
      return checker.lost()
    case "CrcMismatch":
      emit(Problem.CrcMismatch({ file, offset, lsn, expected: damage.expected, actual: damage.actual, atOpen }))
      return checker.lost()
    case "BadPayload": {
      const name = WalRecord.kindNames[kind]!
      emit(Problem.BadPayload({ file, offset, lsn, kind: name, reason: damage.reason, atOpen }))
      if (atOpen !== "truncate") checker.record(file, offset, name, lsn, slot)
    }
  }
}

/** Walks the records from the reader's position to the end of the segment, or to a torn tail. */
const walkRecords = (ctx: Context, file: string, reader: SegmentReader, active: boolean): Effect.Effect<void, Io> => {
  let damaged = false
  const loop: Effect.Effect<void, Io> = Effect.suspend(() => {
    const stop = step(ctx, file, reader)
    switch (stop._tag) {
      case "End":
        return Effect.void
      case "Need":
        return Effect.zipRight(reader.ensure(stop.bytes), loop)
      case "Damaged": {
        const mayBeTornTail = active && !damaged
        damaged = true
        return Effect.flatMap(verdict(ctx, reader, stop.offset, mayBeTornTail), (atOpen) => {
          report(ctx, file, reader.size, stop.offset, stop.examined, atOpen)
          // A torn tail is cut whole at open; after broken framing nothing can be walked.
          if (atOpen === "truncate" || stop.examined._tag === "Broken") return Effect.void
          reader.advance(stop.examined.length)
          return loop
        })
      }
    }
  })
  return loop
}

/** Where a segment stands in the directory. */
export interface Placement {
  readonly size: number
  /** The newest segment replay reads (an interrupted rotation after it is not). */
  readonly newest: boolean
  readonly oldest: boolean
  readonly gap: Gap | undefined
}

/** Checks the header; returns whether the segment is the active one (newest, unsealed, header valid). */
const enterHeader = (ctx: Context, file: string, header: Uint8Array, placement: Placement): boolean => {
  const decoded = Segment.decodeHeader(header)
  const base = Either.isRight(decoded) ? decoded.right.baseLsn : undefined
  reportGap(ctx, file, placement.gap, base)
  if (Either.isLeft(decoded)) {
    // The reader hands over 32 bytes (the file has them): the failure is a BadSegmentHeader, with one of these reasons.
    const reason = (decoded.left as BadSegmentHeader).reason as HeaderFault
    ctx.emit(Problem.BadHeader({ file, offset: 0, reason, atOpen: "refuse" }))
  }
  if (placement.oldest) enterOldest(ctx, file, base)
  ctx.checker.enterSegment(file, base)
  return placement.newest && Either.isRight(decoded) && !Segment.isSealed(decoded.right)
}

/** The oldest segment: the log must reach back to the fence; without one, what came before is unknown. */
const enterOldest = (ctx: Context, file: string, base: bigint | undefined): void => {
  const fence = ctx.fence
  if (fence === undefined || base === undefined) return ctx.checker.lost()
  if (base > fence + 1n) {
    ctx.emit(Problem.FenceHole({ file, baseLsn: lsn(base), fence: lsn(fence), atOpen: "refuse" }))
    ctx.checker.lost()
  }
}

/** Walks a segment; a file that fails to open or read is reported where it failed. */
export const walkSegment = (ctx: Context, entry: Entry, placement: Placement): Effect.Effect<void> => {
  const reader = ctx.reader
  let opened = false
  let headerSeen = false
  return Effect.scoped(Effect.gen(function*() {
    const file = yield* ctx.fs.open(entry.path, { flag: "r" }).pipe(Effect.mapError(Io.fromPlatform))
    reader.reset(file, placement.size)
    opened = true
    yield* reader.ensure(Segment.HEADER_LEN)
    headerSeen = true
    const active = enterHeader(ctx, entry.name, reader.buf.subarray(0, Segment.HEADER_LEN), placement)
    reader.advance(Segment.HEADER_LEN)
    yield* walkRecords(ctx, entry.name, reader, active)
  })).pipe(
    Effect.catchAll((error) =>
      Effect.sync(() => {
        if (!headerSeen) reportGap(ctx, entry.name, placement.gap, undefined)
        const offset = opened ? reader.offset : undefined
        ctx.emit(Problem.Unreadable({ file: entry.name, offset, reason: error.description, atOpen: "refuse" }))
        ctx.checker.lost()
      })
    )
  )
}
