/**
 * The JSON reports of a replay (its outcome, or the error that stopped it)
 * and of an inspection (every file of the log directory, with its header
 * and record framing), in the shape of the result files of lora-wal's
 * golden fixtures. The command-line tool prints these, so its output can be
 * compared with what the Rust crate recorded.
 *
 * Each report is a Schema: `Schema.encodeSync` writes it,
 * `Schema.decodeUnknownEither` reads printed JSON back with LSNs as
 * `bigint` and events as `MutationEvent`s. Paths inside messages are
 * written with the log directory replaced by `<dir>`, as the fixtures do,
 * so reports are stable across machines.
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Inspect from "./Inspect.js"
import { MutationEventFromJson, U64FromString } from "./LoraJson.js"
import type { MutationEvent } from "./MutationEvent.js"
import type * as Replay from "./Replay.js"
import type { WalError } from "./WalError.js"
import * as WalRecord from "./WalRecord.js"

const renamed = <S extends Schema.Schema.All, const K extends string>(schema: S, key: K) =>
  Schema.propertySignature(schema).pipe(Schema.fromKey(key))

const Count = Schema.Number.pipe(Schema.int(), Schema.nonNegative())

/** A file offset or size written as a decimal string (u64 in Rust). */
const OffsetFromString = Schema.transform(U64FromString, Count, {
  strict: true,
  decode: (n) => Number(n),
  encode: (n) => BigInt(n)
})

/**
 * An error as `{variant, display}` (plus `io_kind` for I/O errors).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ErrorReport = Schema.Struct({
  variant: Schema.String,
  display: Schema.String,
  io_kind: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export type ErrorReport = typeof ErrorReport.Type

/**
 * Where replay stopped early, with this library's classification (which
 * the fixtures, written before it existed, do not have).
 *
 * @since 0.1.0
 * @category schemas
 */
export const TornTailReport = Schema.Struct({
  segment_file: Schema.String,
  segment_path: Schema.String,
  last_good_offset: OffsetFromString,
  error: ErrorReport,
  classification: Schema.Literal("torn-tail", "corruption")
})

/**
 * A successful replay as the fixtures' `replay_dir` result.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ReplaySucceeded = Schema.Struct({
  ok: Schema.Literal(true),
  event_count: Count,
  max_lsn: U64FromString,
  torn_tail: Schema.NullOr(TornTailReport),
  checkpoint_lsn_observed: Schema.NullOr(U64FromString),
  committed_events: Schema.Array(MutationEventFromJson)
})

/**
 * A failed replay as the fixtures' `{ok: false, error}`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ReplayFailed = Schema.Struct({ ok: Schema.Literal(false), error: ErrorReport })

/**
 * What `lora-wal replay --json` prints: the outcome or the error.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ReplayReport = Schema.Union(ReplaySucceeded, ReplayFailed)

/**
 * @since 0.1.0
 * @category models
 */
export type ReplayReport = typeof ReplayReport.Type

const relative = (text: string, dir: string): string => text.split(dir).join("<dir>")

/**
 * An error of a log in `dir` as its report.
 *
 * @since 0.1.0
 * @category constructors
 */
export const error = (e: WalError, dir: string): ErrorReport => ({
  variant: e._tag,
  display: relative(e.message, dir),
  ...(e._tag === "Io" ? { io_kind: e.reason } : {})
})

const encodeSucceeded = Schema.encodeSync(ReplaySucceeded)

/**
 * A successful replay of `dir`, encoded.
 *
 * @since 0.1.0
 * @category encoding
 */
export const replayOutcome = (
  outcome: Replay.Outcome<MutationEvent>,
  dir: string
): typeof ReplaySucceeded.Encoded =>
  encodeSucceeded({
    ok: true,
    event_count: outcome.committedEvents.length,
    max_lsn: outcome.maxLsn,
    torn_tail: Option.getOrNull(Option.map(outcome.tornTail, (torn) => ({
      segment_file: torn.segmentFile,
      segment_path: relative(torn.segmentPath, dir),
      last_good_offset: torn.lastGoodOffset,
      error: error(torn.cause, dir),
      classification: torn.classification
    }))),
    checkpoint_lsn_observed: Option.getOrNull(outcome.checkpointLsnObserved),
    committed_events: outcome.committedEvents
  })

/**
 * A failed replay of `dir`, encoded.
 *
 * @since 0.1.0
 * @category encoding
 */
export const replayError = (e: WalError, dir: string): typeof ReplayFailed.Encoded => ({
  ok: false,
  error: error(e, dir)
})

const HeaderReport = Schema.Union(
  Schema.Struct({
    complete: Schema.Literal(true),
    magicOk: renamed(Schema.Boolean, "magic_ok"),
    formatVersion: renamed(Schema.Number, "format_version"),
    baseLsn: renamed(U64FromString, "base_lsn"),
    flags: Schema.Number,
    sealed: Schema.Boolean,
    headerCrcOk: renamed(Schema.Boolean, "header_crc_ok")
  }),
  Schema.Struct({ complete: Schema.Literal(false), length: renamed(Count, "len") })
)

const KindName = Schema.Literal(...(Object.keys(WalRecord.Kind) as Array<WalRecord.KindName>))

/** Unknown kinds are named `"?"`. */
const KindNameReport = Schema.transform(Schema.Union(Schema.Literal("?"), KindName), Schema.UndefinedOr(KindName), {
  strict: true,
  decode: (name) => (name === "?" ? undefined : name),
  encode: (name) => name ?? "?"
})

const FrameReport = Schema.Union(
  Schema.Struct({
    offset: Count,
    length: Count,
    kind: Count,
    kindName: renamed(KindNameReport, "kind_name"),
    lsn: U64FromString,
    txBeginLsn: renamed(U64FromString, "tx_begin_lsn"),
    crcOk: renamed(Schema.Boolean, "crc_ok")
  }).pipe(Schema.attachPropertySignature("_tag", "Record")),
  Schema.transform(
    Schema.Struct({
      offset: Count,
      declared_length: Schema.NullOr(Count),
      available: Count,
      incomplete_or_invalid: Schema.Literal(true)
    }),
    Schema.Struct({
      _tag: Schema.Literal("Invalid"),
      offset: Count,
      declaredLength: Schema.UndefinedOr(Count),
      available: Count
    }),
    {
      strict: true,
      decode: (json) => ({
        _tag: "Invalid" as const,
        offset: json.offset,
        declaredLength: json.declared_length ?? undefined,
        available: json.available
      }),
      encode: (frame) => ({
        offset: frame.offset,
        declared_length: frame.declaredLength ?? null,
        available: frame.available,
        incomplete_or_invalid: true as const
      })
    }
  )
)

/**
 * A file as the fixtures' `files[]` entry: size, CRC32, and for a segment
 * its parsed header and record framing. Decodes to an `Inspect.FileInfo`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const FileReport = Schema.transform(
  Schema.Struct({
    name: Schema.String,
    size: Count,
    crc32: Schema.String.pipe(Schema.pattern(/^[0-9a-f]{8}$/)),
    is_segment: Schema.Boolean,
    segment_id: Schema.optional(U64FromString),
    header: Schema.optional(HeaderReport),
    records: Schema.optional(Schema.Array(FrameReport))
  }),
  Schema.Struct({
    name: Schema.String,
    size: Count,
    crc32: Count,
    segmentId: Schema.UndefinedOr(Schema.BigIntFromSelf),
    header: Schema.UndefinedOr(Schema.typeSchema(HeaderReport)),
    records: Schema.Array(Schema.typeSchema(FrameReport))
  }),
  {
    strict: true,
    decode: (json) => ({
      name: json.name,
      size: json.size,
      crc32: parseInt(json.crc32, 16),
      segmentId: json.segment_id,
      header: json.header,
      records: json.records ?? []
    }),
    encode: (f) => ({
      name: f.name,
      size: f.size,
      crc32: f.crc32.toString(16).padStart(8, "0"),
      is_segment: f.segmentId !== undefined,
      ...(f.segmentId === undefined || f.header === undefined
        ? {}
        : { segment_id: f.segmentId, header: f.header, records: f.records })
    })
  }
)

const encodeFile = Schema.encodeSync(FileReport)

/**
 * A file of an inspection, encoded.
 *
 * @since 0.1.0
 * @category encoding
 */
export const file = (f: Inspect.FileInfo): typeof FileReport.Encoded => encodeFile(f)
