/**
 * JSON reports in the shape of lora-wal's golden fixtures: replay results,
 * errors and file listings. The command-line tool prints these, so its
 * output can be compared with what the Rust crate recorded.
 *
 * Paths inside messages are written with the log directory replaced by
 * `<dir>`, as the fixtures do, so reports are stable across machines.
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"
import type * as Inspect from "./Inspect.js"
import * as LoraJson from "./LoraJson.js"
import type { MutationEvent } from "./MutationEvent.js"
import type * as Replay from "./Replay.js"
import type { WalError } from "./WalError.js"

/** @since 0.1.0 */
export interface ErrorJson {
  readonly variant: string
  readonly display: string
  readonly io_kind?: string
}

/** @since 0.1.0 */
export interface TornTailJson {
  readonly segment_file: string
  readonly segment_path: string
  readonly last_good_offset: string
  readonly error: ErrorJson
  readonly classification: "torn-tail" | "corruption"
}

/** @since 0.1.0 */
export type ReplayResultJson = ReplayOkJson | { readonly ok: false; readonly error: ErrorJson }

/** @since 0.1.0 */
export interface ReplayOkJson {
    readonly ok: true
    readonly event_count: number
    readonly max_lsn: string
    readonly torn_tail: TornTailJson | null
    readonly checkpoint_lsn_observed: string | null
    readonly committed_events: ReadonlyArray<LoraJson.MutationEventJson>
}

const relative = (text: string, dir: string): string => text.split(dir).join("<dir>")

/**
 * An error as `{variant, display}` (plus `io_kind` for I/O errors).
 *
 * @since 0.1.0
 */
export const error = (e: WalError, dir: string): ErrorJson => ({
  variant: e._tag,
  display: relative(e.message, dir),
  ...(e._tag === "Io" ? { io_kind: e.reason } : {})
})

/**
 * A successful replay as the fixtures' `replay_dir` result.
 *
 * @since 0.1.0
 */
export const replayOutcome = (outcome: Replay.Outcome<MutationEvent>, dir: string): ReplayOkJson => ({
  ok: true,
  event_count: outcome.committedEvents.length,
  max_lsn: outcome.maxLsn.toString(),
  torn_tail: Option.match(outcome.tornTail, {
    onNone: () => null,
    onSome: (torn) => ({
      segment_file: torn.segmentFile,
      segment_path: relative(torn.segmentPath, dir),
      last_good_offset: String(torn.lastGoodOffset),
      error: error(torn.cause, dir),
      classification: torn.classification
    })
  }),
  checkpoint_lsn_observed: Option.match(outcome.checkpointLsnObserved, { onNone: () => null, onSome: String }),
  committed_events: outcome.committedEvents.map(LoraJson.eventToJson)
})

/**
 * A failed replay as the fixtures' `{ok: false, error}`.
 *
 * @since 0.1.0
 */
export const replayError = (e: WalError, dir: string): ReplayResultJson => ({ ok: false, error: error(e, dir) })

/**
 * A file as the fixtures' `files[]` entry: size, CRC32, parsed header and
 * record framing.
 *
 * @since 0.1.0
 */
export const file = (f: Inspect.FileInfo) => ({
  name: f.name,
  size: f.size,
  crc32: f.crc32.toString(16).padStart(8, "0"),
  is_segment: f.segmentId !== undefined,
  ...(f.segmentId === undefined || f.header === undefined ? {} : {
    segment_id: f.segmentId.toString(),
    header: f.header.complete
      ? {
        complete: true,
        magic_ok: f.header.magicOk,
        format_version: f.header.formatVersion,
        base_lsn: f.header.baseLsn.toString(),
        flags: f.header.flags,
        sealed: f.header.sealed,
        header_crc_ok: f.header.headerCrcOk
      }
      : { complete: false, len: f.header.length },
    records: f.records.map((r) =>
      r._tag === "Record"
        ? {
          offset: r.offset,
          length: r.length,
          kind: r.kind,
          kind_name: r.kindName ?? "?",
          lsn: r.lsn.toString(),
          tx_begin_lsn: r.txBeginLsn.toString(),
          crc_ok: r.crcOk
        }
        : { offset: r.offset, declared_length: r.declaredLength ?? null, available: r.available, incomplete_or_invalid: true }
    )
  })
})
