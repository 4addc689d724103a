import * as Command from "@effect/cli/Command"
import * as Inspect from "@lora-wal/core/Inspect"
import type { MutationEvent } from "@lora-wal/core/MutationEvent"
import * as WalRecord from "@lora-wal/core/WalRecord"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as path from "node:path"
import { describe, describeError, dirArg, failed, forEachChunk, jsonOption, printJson, printLines, progress, runBody, table } from "./common.js"

/** Running totals over the records of a log, in memory independent of its size. */
class Tally {
  segments = 0
  sealedSegments = 0
  bytes = 0
  minLsn: bigint | undefined = undefined
  maxLsn: bigint | undefined = undefined
  readonly perKind = new Map<string, { records: number; bytes: number }>()
  committed = 0
  aborted = 0
  /** Events so far of each transaction begun and not yet ended, by its begin LSN. */
  readonly open = new Map<bigint, number>()
  /** Committed transactions by their number of events: exact percentiles in bounded memory. */
  readonly eventsPerTx = new Map<number, number>()
  checkpoints = 0
  latestSnapshotLsn: bigint | undefined = undefined
  crcMismatches = 0
  framingStops = 0
  undecodable = 0

  addSegment(segment: Inspect.SegmentView<MutationEvent>) {
    this.segments++
    this.bytes += segment.size
    if (segment.header.complete && segment.header.sealed) this.sealedSegments++
    for (const record of segment.records) this.addRecord(segment, record)
  }

  private addRecord(segment: Inspect.SegmentView<MutationEvent>, r: Inspect.RecordInfo) {
    if (r._tag === "Invalid") return void this.framingStops++
    const kind = r.kindName ?? "?"
    const perKind = this.perKind.get(kind) ?? { records: 0, bytes: 0 }
    perKind.records++
    perKind.bytes += r.length
    this.perKind.set(kind, perKind)
    if (!r.crcOk) return void this.crcMismatches++
    const payload = segment.payload(r)
    if (payload._tag === "Undecodable") this.undecodable++
    if (this.minLsn === undefined || r.lsn < this.minLsn) this.minLsn = r.lsn
    if (this.maxLsn === undefined || r.lsn > this.maxLsn) this.maxLsn = r.lsn
    switch (r.kindName) {
      case "TxBegin":
        return void this.open.set(r.lsn, 0)
      case "Mutation":
      case "MutationBatch": {
        const events = payload._tag === "Events" ? payload.events.length : 0
        return void this.open.set(r.txBeginLsn, (this.open.get(r.txBeginLsn) ?? 0) + events)
      }
      case "TxCommit": {
        const events = this.open.get(r.txBeginLsn) ?? 0
        this.open.delete(r.txBeginLsn)
        this.committed++
        return void this.eventsPerTx.set(events, (this.eventsPerTx.get(events) ?? 0) + 1)
      }
      case "TxAbort":
        this.open.delete(r.txBeginLsn)
        return void this.aborted++
      case "Checkpoint":
        this.checkpoints++
        this.latestSnapshotLsn = r.txBeginLsn
    }
  }

  /** The smallest event count with at least `q` of the committed transactions at or below it. */
  private quantile(q: number): number {
    const counts = Array.from(this.eventsPerTx.keys()).sort((a, b) => a - b)
    let seen = 0
    for (const count of counts) {
      seen += this.eventsPerTx.get(count)!
      if (seen >= q * this.committed) return count
    }
    return 0
  }

  report() {
    const counts = Array.from(this.eventsPerTx.keys())
    const events = counts.reduce((n, c) => n + c * this.eventsPerTx.get(c)!, 0)
    return {
      segments: this.segments,
      sealed_segments: this.sealedSegments,
      bytes: this.bytes,
      min_lsn: this.minLsn === undefined ? null : String(this.minLsn),
      max_lsn: this.maxLsn === undefined ? null : String(this.maxLsn),
      records: [...WalRecord.kindNames.slice(1), "?"].flatMap((kind) => {
        const totals = this.perKind.get(kind ?? "?")
        return totals === undefined ? [] : [{ kind: kind ?? "?", ...totals }]
      }),
      transactions: { committed: this.committed, aborted: this.aborted, open_at_end: this.open.size },
      events_per_transaction: this.committed === 0 ? null : {
        min: Math.min(...counts),
        p50: this.quantile(0.5),
        p99: this.quantile(0.99),
        max: Math.max(...counts),
        mean: events / this.committed
      },
      events,
      checkpoints: this.checkpoints,
      latest_snapshot_lsn: this.latestSnapshotLsn === undefined ? null : String(this.latestSnapshotLsn),
      damage: { crc_mismatches: this.crcMismatches, framing_stops: this.framingStops, undecodable: this.undecodable }
    }
  }
}

type Report = ReturnType<Tally["report"]>

const reportLines = (s: Report): ReadonlyArray<string> => {
  const perTx = s.events_per_transaction
  const damage = s.damage.crc_mismatches + s.damage.framing_stops + s.damage.undecodable
  return [
    `segments:      ${s.segments} (${s.sealed_segments} sealed), ${s.bytes} bytes, lsn ${s.min_lsn ?? "-"}..${s.max_lsn ?? "-"}`,
    `transactions:  ${s.transactions.committed} committed, ${s.transactions.aborted} aborted, ${s.transactions.open_at_end} open at the end`,
    `events:        ${s.events} committed; per transaction ${
      perTx === null ? "-" : `min ${perTx.min}, p50 ${perTx.p50}, p99 ${perTx.p99}, max ${perTx.max}, mean ${perTx.mean.toFixed(2)}`
    }`,
    `checkpoints:   ${s.checkpoints}${s.latest_snapshot_lsn === null ? "" : ` (latest snapshot at lsn ${s.latest_snapshot_lsn})`}`,
    `damage:        ${
      damage === 0
        ? "none"
        : `${s.damage.crc_mismatches} CRC mismatches, ${s.damage.framing_stops} framing stops, ${s.damage.undecodable} undecodable payloads (lora-wal verify names them)`
    }`,
    "",
    table(["kind", "records", "bytes"], s.records.map((k) => [k.kind, String(k.records), String(k.bytes)]))
  ]
}

export const statsCommand = Command.make(
  "stats",
  { dir: dirArg, json: jsonOption },
  ({ dir: input, json }) =>
    runBody(Effect.gen(function*() {
      const onProgress = yield* progress("stats")
      const tally = new Tally()
      yield* forEachChunk(
        Stream.mapError(Inspect.segments(path.resolve(input), { onProgress }), (e) => failed(describeError(e, input))),
        (segments) => Effect.sync(() => Chunk.forEach(segments, (segment) => tally.addSegment(segment)))
      )
      const report = tally.report()
      yield* json ? printJson(report) : printLines(reportLines(report))
    }))
).pipe(Command.withDescription(describe(
  "Count what the log holds: records and bytes per kind, transactions, events per transaction, segments, checkpoint markers, damage.",
  "lora-wal stats /var/lib/app/wal --json | jq .events_per_transaction"
)))
