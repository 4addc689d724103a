import * as Command from "@effect/cli/Command"
import * as Inspect from "@lora-wal/core/Inspect"
import * as ReplayReport from "@lora-wal/core/ReplayReport"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as path from "node:path"
import { describe, describeError, dirArg, failed, forEachChunk, jsonOption, printJson, progress, runBody, table } from "./common.js"
import { Output } from "./output.js"
import { parseRecordFilter, type RecordFilter, recordFilterOptions, selects } from "./recordFilter.js"

const headerCells = (f: Inspect.FileInfo): ReadonlyArray<string> => {
  const h = f.header!
  return h.complete
    ? [
      String(f.size),
      h.baseLsn.toString(),
      String(h.sealed),
      Inspect.headerFault(h) === undefined ? "ok" : "bad"
    ]
    : [String(f.size), "-", "-", `incomplete (${h.length} bytes)`]
}

const recordCells = (r: Inspect.RecordInfo): ReadonlyArray<string> =>
  r._tag === "Record"
    ? [String(r.offset), String(r.length), `${r.kind} ${r.kindName ?? "?"}`, r.lsn.toString(), r.txBeginLsn.toString(), String(r.crcOk)]
    : [
      String(r.offset),
      r.declaredLength === undefined ? "?" : String(r.declaredLength),
      `incomplete or invalid (${r.available} bytes left)`,
      "",
      "",
      ""
    ]

const segmentText = (f: Inspect.FileInfo): string =>
  [
    table(["file", "size", "base_lsn", "sealed", "header"], [[f.name, ...headerCells(f)]]),
    table(["offset", "length", "kind", "lsn", "tx_begin_lsn", "crc_ok"], f.records.map(recordCells)),
    ""
  ].join("\n")

const narrows = (filter: RecordFilter) =>
  filter.fromLsn !== undefined || filter.toLsn !== undefined || filter.kinds.size > 0

/**
 * The selected files with their selected records, one file at a time, and
 * `--limit` counted across files. Non-segment files are listed only when no
 * segment is selected.
 */
const selectedFiles = (dir: string, filter: RecordFilter) =>
  Stream.unwrap(Effect.map(progress("inspect"), (onProgress) => {
    let left = filter.limit ?? Infinity
    return Inspect.files(dir, { onProgress }).pipe(
      Stream.filter((f) => filter.segment === undefined || f.segmentId === filter.segment),
      Stream.takeWhile(() => left > 0),
      Stream.map((f) => {
        const records = f.records.filter((r) => selects(filter, r)).slice(0, left)
        if (filter.limit !== undefined) left -= records.length
        return { ...f, records }
      }),
      // With a record filter, a segment none of whose records it selects is left out.
      Stream.filter((f) => !narrows(filter) || f.records.length > 0)
    )
  }))

export const inspectCommand = Command.make(
  "inspect",
  { dir: dirArg, json: jsonOption, ...recordFilterOptions },
  ({ dir: input, json, ...options }) =>
    runBody(Effect.gen(function*() {
      const output = yield* Output
      const filter = yield* parseRecordFilter(options)
      const dir = path.resolve(input)
      // The JSON document is opened with its first file, so that a directory that cannot be
      // read gives the error document instead.
      let opened = false
      const print = (f: Inspect.FileInfo) => {
        const prefix = opened ? "," : `{"files":[`
        opened = true
        if (json) return output.out(`${prefix}\n${JSON.stringify(ReplayReport.file(f))}`)
        return f.segmentId === undefined ? output.out(`${f.name}: ${f.size} bytes\n\n`) : output.out(`${segmentText(f)}\n`)
      }
      yield* forEachChunk(selectedFiles(dir, filter), (files) => Effect.forEach(files, print, { discard: true })).pipe(
        // An error after the first file closes the document with it, so that the JSON stays whole.
        Effect.catchTag("Io", (e) =>
          Effect.zipRight(
            !json
              ? Effect.void
              : opened
              ? output.out(`\n],"error":${JSON.stringify(ReplayReport.error(e, dir))}}\n`)
              : printJson({ ok: false, error: ReplayReport.error(e, dir) }),
            Effect.fail(failed(describeError(e, input)))
          ))
      )
      if (json) yield* output.out(`${opened ? "" : `{"files":[`}\n]}\n`)
    }))
).pipe(Command.withDescription(describe(
  "Show every file, each segment's header and the framing of its records byte by byte (offset, length, kind, LSNs, CRC), continuing past a bad CRC.",
  "lora-wal inspect /var/lib/app/wal --segment 3 --kind TxCommit --limit 20"
)))
