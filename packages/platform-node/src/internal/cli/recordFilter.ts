import * as Options from "@effect/cli/Options"
import type * as Inspect from "@lora-wal/core/Inspect"
import * as Segment from "@lora-wal/core/Segment"
import * as WalRecord from "@lora-wal/core/WalRecord"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { type Failure, lsnOption, parseOptionalLsn, usage } from "./common.js"

const kinds = WalRecord.kindNames.filter((k): k is WalRecord.KindName => k !== undefined)

/** The record selection options `inspect` and `dump` share, as pg_waldump has them. */
export const recordFilterOptions = {
  fromLsn: lsnOption("from-lsn", "only records at or above this LSN"),
  toLsn: lsnOption("to-lsn", "only records at or below this LSN"),
  segment: Options.text("segment").pipe(
    Options.optional,
    Options.withDescription("only this segment: its id (3) or its file name (0000000003.wal)")
  ),
  kind: Options.choice("kind", kinds).pipe(
    Options.repeated,
    Options.withDescription("only records of this kind (repeat for several)")
  ),
  limit: Options.integer("limit").pipe(Options.optional, Options.withDescription("stop after this many records"))
}

/**
 * Which records to show. Damage (framing that stops, an unknown kind, a CRC
 * mismatch) is shown in every selected segment whatever the LSN and kind
 * filters say, and `dump` does not count it toward `--limit`.
 */
export interface RecordFilter {
  readonly fromLsn: bigint | undefined
  readonly toLsn: bigint | undefined
  readonly segment: Segment.SegmentId | undefined
  readonly kinds: ReadonlySet<string>
  readonly limit: number | undefined
}

interface FilterArgs {
  readonly fromLsn: Option.Option<string>
  readonly toLsn: Option.Option<string>
  readonly segment: Option.Option<string>
  readonly kind: ReadonlyArray<WalRecord.KindName>
  readonly limit: Option.Option<number>
}

const parseSegment = (text: string): Effect.Effect<Segment.SegmentId, Failure> => {
  const id = /^[0-9]{1,20}$/.test(text) ? BigInt(text) : Segment.parseFileName(text)
  return id !== undefined && id >= 1n && id < 2n ** 64n
    ? Effect.succeed(id as Segment.SegmentId)
    : Effect.fail(usage(`--segment must be a segment id or a file name like 0000000003.wal, got ${JSON.stringify(text)}`))
}

export const parseRecordFilter = (args: FilterArgs): Effect.Effect<RecordFilter, Failure> =>
  Effect.gen(function*() {
    const fromLsn = yield* parseOptionalLsn("from-lsn", args.fromLsn)
    const toLsn = yield* parseOptionalLsn("to-lsn", args.toLsn)
    const segment = Option.isSome(args.segment) ? yield* parseSegment(args.segment.value) : undefined
    const limit = Option.getOrUndefined(args.limit)
    if (limit !== undefined && limit < 1) return yield* Effect.fail(usage(`--limit must be at least 1, got ${limit}`))
    if (fromLsn !== undefined && toLsn !== undefined && fromLsn > toLsn) {
      return yield* Effect.fail(usage(`--from-lsn ${fromLsn} is above --to-lsn ${toLsn}`))
    }
    return { fromLsn, toLsn, segment, kinds: new Set(args.kind), limit }
  })

/** A record that is damage: framing that stops, an unknown kind, or a CRC mismatch. */
export const isDamage = (record: Inspect.RecordInfo): boolean =>
  record._tag === "Invalid" || record.kindName === undefined || !record.crcOk

export const selects = (filter: RecordFilter, record: Inspect.RecordInfo): boolean =>
  isDamage(record) ||
  (record._tag === "Record" &&
    (filter.fromLsn === undefined || record.lsn >= filter.fromLsn) &&
    (filter.toLsn === undefined || record.lsn <= filter.toLsn) &&
    (filter.kinds.size === 0 || filter.kinds.has(record.kindName ?? "")))
