/**
 * A byte-level view of a log directory for operators: every file, each
 * segment's header fields and validity, and the framing of every record
 * (offset, length, kind, LSNs, whether its CRC holds), without interpreting
 * transactions. Unlike replay it keeps walking past a bad CRC, so one
 * damaged record does not hide the rest of the segment.
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import { crc32 } from "./internal/crc.js"
import type { Lsn } from "./Lsn.js"
import { unsafeMake as unsafeLsn } from "./Lsn.js"
import * as WalRecord from "./WalRecord.js"
import * as Segment from "./Segment.js"
import { Io } from "./WalError.js"

/**
 * A segment header as found, valid or not.
 *
 * @since 0.1.0
 * @category models
 */
export type HeaderInfo =
  | { readonly complete: false; readonly length: number }
  | {
    readonly complete: true
    readonly magicOk: boolean
    readonly formatVersion: number
    readonly baseLsn: Lsn
    readonly flags: number
    readonly sealed: boolean
    readonly headerCrcOk: boolean
  }

/**
 * One record's framing, or the point where framing stops making sense
 * (`declaredLength` undefined when not even the length prefix is there).
 *
 * @since 0.1.0
 * @category models
 */
export type RecordInfo =
  | {
    readonly _tag: "Record"
    readonly offset: number
    readonly length: number
    readonly kind: number
    readonly kindName: WalRecord.KindName | undefined
    readonly lsn: Lsn
    readonly txBeginLsn: Lsn
    readonly crcOk: boolean
  }
  | {
    readonly _tag: "Invalid"
    readonly offset: number
    readonly declaredLength: number | undefined
    readonly available: number
  }

/**
 * One file of the directory as {@link inspectDir} found it: size and CRC for
 * every file, plus the header and record framing when it is a segment.
 *
 * @since 0.1.0
 * @category models
 */
export interface FileInfo {
  readonly name: string
  readonly size: number
  /** CRC32 of the whole file. */
  readonly crc32: number
  readonly segmentId: Segment.SegmentId | undefined
  readonly header: HeaderInfo | undefined
  readonly records: ReadonlyArray<RecordInfo>
}

/**
 * Walks the record framing of one segment's bytes.
 *
 * @since 0.1.0
 * @category inspection
 */
export const frames = (bytes: Uint8Array): Array<RecordInfo> => {
  const records: Array<RecordInfo> = []
  let offset = Segment.HEADER_LEN
  for (;;) {
    const at = WalRecord.frameAt(bytes, offset, bytes.length)
    if (at._tag === "End") return records
    if (at._tag !== "Frame") {
      records.push({ _tag: "Invalid", offset, declaredLength: at.declared, available: bytes.length - offset })
      return records
    }
    const { actualCrc, kind, length, lsn, storedCrc, txBeginLsn } = at.frame
    records.push({
      _tag: "Record",
      offset,
      length,
      kind,
      kindName: WalRecord.kindNames[kind],
      lsn,
      txBeginLsn,
      crcOk: storedCrc === actualCrc
    })
    offset += length
  }
}

/**
 * Reads a segment header's fields without rejecting it.
 *
 * @since 0.1.0
 * @category inspection
 */
export const header = (bytes: Uint8Array): HeaderInfo => {
  if (bytes.length < Segment.HEADER_LEN) return { complete: false, length: bytes.length }
  const view = new DataView(bytes.buffer, bytes.byteOffset, Segment.HEADER_LEN)
  const flags = view.getUint32(20, true)
  return {
    complete: true,
    magicOk: Segment.MAGIC.every((b, i) => bytes[i] === b),
    formatVersion: view.getUint32(8, true),
    baseLsn: unsafeLsn(view.getBigUint64(12, true)),
    flags,
    sealed: (flags & Segment.FLAG_SEALED) !== 0,
    headerCrcOk: view.getUint32(28, true) === crc32(bytes.subarray(0, 28))
  }
}

/**
 * Every file of `dir`, by name, with segment headers and record framing.
 *
 * @since 0.1.0
 * @category inspection
 */
export const inspectDir = (
  dir: string,
  options?: {
    /** Called after each file, for progress reporting on large logs. */
    readonly onProgress?: ((progress: { readonly bytesRead: number; readonly totalBytes: number }) => Effect.Effect<void>) | undefined
  }
): Effect.Effect<Array<FileInfo>, Io, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const join = (yield* Path.Path).join
    const names = (yield* fs.readDirectory(dir)).sort()
    const entries: Array<{ readonly name: string; readonly path: string; readonly size: number }> = []
    for (const name of names) {
      const path = join(dir, name)
      const info = yield* fs.stat(path)
      if (info.type === "File") entries.push({ name, path, size: Number(info.size) })
    }
    const totalBytes = entries.reduce((n, e) => n + e.size, 0)
    let bytesRead = 0
    const files: Array<FileInfo> = []
    for (const { name, path } of entries) {
      const bytes = yield* fs.readFile(path)
      bytesRead += bytes.length
      if (options?.onProgress !== undefined) yield* options.onProgress({ bytesRead, totalBytes })
      const segmentId = Segment.parseFileName(name)
      files.push({
        name,
        size: bytes.length,
        crc32: crc32(bytes),
        segmentId,
        header: segmentId === undefined ? undefined : header(bytes),
        records: segmentId === undefined || bytes.length < Segment.HEADER_LEN ? [] : frames(bytes)
      })
    }
    return files
  }).pipe(Effect.mapError(Io.fromPlatform))
