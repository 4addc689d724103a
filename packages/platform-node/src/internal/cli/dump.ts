import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Inspect from "@lora-wal/core/Inspect"
import * as LoraJson from "@lora-wal/core/LoraJson"
import type { MutationEvent } from "@lora-wal/core/MutationEvent"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as path from "node:path"
import { type CliError, describe, describeError, dirArg, failed, forEachChunk, runBody } from "./common.js"
import { Output } from "./output.js"
import { isDamage, parseRecordFilter, type RecordFilter, recordFilterOptions, selects } from "./recordFilter.js"

/** A name as printed in a summary: bare when it is a plain word, quoted (and escaped) otherwise. */
const name = (text: string) => (/^[\p{L}\p{N}_.-]+$/u.test(text) ? text : JSON.stringify(text))

const keys = (properties: ReadonlyMap<string, unknown>) =>
  properties.size === 0 ? "" : ` {${Array.from(properties.keys(), name).join(",")}}`

const eventSummary = (e: MutationEvent): string => {
  switch (e._tag) {
    case "CreateNode":
      return `CreateNode ${e.id}${e.labels.map((l) => ` :${name(l)}`).join("")}${keys(e.properties)}`
    case "CreateRelationship":
      return `CreateRelationship ${e.id} (${e.src})-[:${name(e.relType)}]->(${e.dst})${keys(e.properties)}`
    case "SetNodeProperty":
    case "RemoveNodeProperty":
      return `${e._tag} ${e.nodeId}.${name(e.key)}`
    case "SetRelationshipProperty":
    case "RemoveRelationshipProperty":
      return `${e._tag} ${e.relId}.${name(e.key)}`
    case "AddNodeLabel":
    case "RemoveNodeLabel":
      return `${e._tag} ${e.nodeId} :${name(e.label)}`
    case "DeleteRelationship":
      return `DeleteRelationship ${e.relId}`
    case "DeleteNode":
    case "DetachDeleteNode":
      return `${e._tag} ${e.nodeId}`
    case "Clear":
      return "Clear"
  }
}

/** Events shown in a record's summary before "… (n more)". */
const SUMMARY_EVENTS = 3

/** "2 events: create node 1 …, …": what a record or a transaction does, in one phrase. */
export const eventsSummary = (events: ReadonlyArray<MutationEvent>): string => {
  const shown = events.slice(0, SUMMARY_EVENTS).map(eventSummary).join(", ")
  const more = events.length > SUMMARY_EVENTS ? `, … (${events.length - SUMMARY_EVENTS} more)` : ""
  return `${events.length} event${events.length === 1 ? "" : "s"}: ${shown}${more}`
}

type RecordFrame = Extract<Inspect.RecordInfo, { readonly _tag: "Record" }>

const payloadSummary = (r: RecordFrame, payload: Inspect.Payload<MutationEvent>): string => {
  switch (payload._tag) {
    case "Events":
      return eventsSummary(payload.events)
    case "Marker":
      return r.kindName === "Checkpoint" ? `snapshot at lsn ${r.txBeginLsn}` : ""
    case "Unchecked":
      return r.kindName === undefined ? "unknown kind: payload not read" : "CRC mismatch: payload not read"
    case "Undecodable":
      return `payload does not decode: ${payload.reason}`
  }
}

/** A record as `dump` prints it, with the segment that holds it. */
interface Selected {
  readonly segment: Inspect.SegmentView<MutationEvent>
  readonly record: Inspect.RecordInfo
}

/** One line per record, like pg_waldump's. */
const recordLine = ({ record: r, segment }: Selected): string =>
  r._tag === "Invalid"
    ? `${segment.name} offset ${r.offset}: framing stops: ${
      r.declaredLength === undefined ? "length prefix incomplete" : `record of ${r.declaredLength} bytes`
    }, ${r.available} bytes left in the segment`
    : [
      `lsn ${r.lsn}`,
      `${r.kindName ?? `kind ${r.kind}`}`,
      `tx ${r.txBeginLsn}`,
      `len ${r.length}`,
      `crc ${r.crcOk ? "ok" : "BAD"}`,
      `${segment.name}+${r.offset}`,
      payloadSummary(r, segment.payload(r))
    ].filter((cell) => cell !== "").join("  ")

const recordJson = ({ record: r, segment }: Selected): string => {
  if (r._tag === "Invalid") {
    return JSON.stringify({
      segment: segment.name,
      offset: r.offset,
      incomplete_or_invalid: true,
      declared_length: r.declaredLength ?? null,
      available: r.available
    })
  }
  const payload = segment.payload(r)
  const fields = JSON.stringify({
    segment: segment.name,
    offset: r.offset,
    lsn: String(r.lsn),
    kind: r.kindName ?? "?",
    tx_begin_lsn: String(r.txBeginLsn),
    length: r.length,
    crc_ok: r.crcOk,
    ...(payload._tag === "Undecodable" ? { decode_error: payload.reason } : {})
  })
  return payload._tag === "Events"
    ? `${fields.slice(0, -1)},"events":${LoraJson.stringifyEvents(payload.events)}}`
    : fields
}

/** Records formatted per write: each batch's strings die young. */
const BATCH_RECORDS = 256

/** What is wrong with a segment as a whole: its header, or the segments missing before it. */
const segmentDamage = (segment: Inspect.SegmentView<MutationEvent>, previousId: bigint | undefined): Array<string> => {
  const fault = Inspect.headerFault(segment.header)
  const header = fault === undefined
    ? undefined
    : segment.header.complete
    ? `segment header: ${fault}`
    : `segment header ${fault}`
  const gap = previousId !== undefined && segment.id > previousId + 1n
    ? `${segment.id - previousId === 2n ? `segment ${previousId + 1n} is` : `segments ${previousId + 1n} to ${segment.id - 1n} are`} missing before this one`
    : undefined
  return [gap, header].filter((d): d is string => d !== undefined)
}

/**
 * Writes one segment's damage and selected records, a batch at a time, as
 * its framing is walked. `budget.left` counts `--limit` down across
 * segments; damage is always written and not counted.
 */
const writeSegment = (
  segment: Inspect.SegmentView<MutationEvent>,
  filter: RecordFilter,
  format: Format,
  budget: { left: number; previousId: bigint | undefined }
) =>
  Effect.flatMap(Output, (output) => {
    const damage = segmentDamage(segment, filter.segment === undefined ? budget.previousId : undefined)
    budget.previousId = segment.id
    const records = segment.records[Symbol.iterator]()
    const batch: Effect.Effect<void, CliError> = Effect.suspend(() => {
      let text = ""
      for (let n = 0; n < BATCH_RECORDS && budget.left > 0;) {
        const next = records.next()
        if (next.done === true) return output.out(text)
        if (!selects(filter, next.value)) continue
        text += `${format.record({ segment, record: next.value })}\n`
        if (!isDamage(next.value)) budget.left--
        n++
      }
      return Effect.zipRight(output.out(text), budget.left > 0 ? batch : Effect.void)
    })
    return Effect.zipRight(output.out(damage.map((d) => `${format.damage(segment.name, d)}\n`).join("")), batch)
  })

/** How `dump` writes a record and a segment's damage. */
interface Format {
  readonly record: (selected: Selected) => string
  readonly damage: (segment: string, what: string) => string
}

const human: Format = { record: recordLine, damage: (segment, what) => `${segment} offset 0: ${what}` }

const json: Format = { record: recordJson, damage: (segment, what) => JSON.stringify({ segment, offset: 0, damage: what }) }

export const dumpCommand = Command.make(
  "dump",
  {
    dir: dirArg,
    json: Options.boolean("json").pipe(Options.withDescription("print one JSON object per record, events in the fixtures' form")),
    ...recordFilterOptions
  },
  ({ dir: input, json: asJson, ...options }) =>
    runBody(Effect.gen(function*() {
      const filter = yield* parseRecordFilter(options)
      const format = asJson ? json : human
      const budget = { left: filter.limit ?? Infinity, previousId: undefined as bigint | undefined }
      const segments = Inspect.segments(path.resolve(input), { segment: filter.segment }).pipe(
        Stream.takeWhile(() => budget.left > 0),
        Stream.mapError((e) => failed(describeError(e, input)))
      )
      yield* forEachChunk(segments, (chunk) => Effect.forEach(chunk, (segment) => writeSegment(segment, filter, format, budget), { discard: true }))
    }))
).pipe(Command.withDescription(describe(
  "Print every record, one line each (LSN, kind, transaction, length, CRC, where, what its events do), like PostgreSQL's pg_waldump.",
  "lora-wal dump /var/lib/app/wal --from-lsn 1000 --to-lsn 1100 --kind MutationBatch"
)))
