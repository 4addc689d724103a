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
import * as Stream from "effect/Stream"
import { DecodeFailure } from "./Bytes.js"
import { Crc32, type Crc32Function, portable } from "./Crc32.js"
import * as EventCodec from "./EventCodec.js"
import { readFully } from "./internal/fileReads.js"
import { listSegments } from "./internal/segments.js"
import * as LoraCodec from "./LoraCodec.js"
import type { Lsn } from "./Lsn.js"
import { unsafeMake as unsafeLsn } from "./Lsn.js"
import type { MutationEvent } from "./MutationEvent.js"
import * as Segment from "./Segment.js"
import * as WalRecord from "./WalRecord.js"
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
 * The record framing of one segment's bytes, one record at a time, so that
 * a walk over a large segment keeps none of them alive.
 *
 * @since 0.1.0
 * @category inspection
 */
export function* framesOf(bytes: Uint8Array, crc32: Crc32Function = portable): Generator<RecordInfo> {
  let offset = Segment.HEADER_LEN
  for (;;) {
    const at = WalRecord.frameAt(bytes, offset, bytes.length, crc32)
    if (at._tag === "End") return
    if (at._tag !== "Frame") {
      yield { _tag: "Invalid", offset, declaredLength: at.declared, available: bytes.length - offset }
      return
    }
    const { actualCrc, kind, length, lsn, storedCrc, txBeginLsn } = at.frame
    yield {
      _tag: "Record",
      offset,
      length,
      kind,
      kindName: WalRecord.kindNames[kind],
      lsn,
      txBeginLsn,
      crcOk: storedCrc === actualCrc
    }
    offset += length
  }
}

/**
 * Walks the record framing of one segment's bytes.
 *
 * @since 0.1.0
 * @category inspection
 */
export const frames = (bytes: Uint8Array, crc32: Crc32Function = portable): Array<RecordInfo> =>
  Array.from(framesOf(bytes, crc32))

/**
 * Reads a segment header's fields without rejecting it.
 *
 * @since 0.1.0
 * @category inspection
 */
export const header = (bytes: Uint8Array, crc32: Crc32Function = portable): HeaderInfo => {
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

/** Reports progress after each file of a directory walk, for large logs. */
type OnProgress = (progress: { readonly bytesRead: number; readonly totalBytes: number }) => Effect.Effect<void>

/**
 * What is wrong with a segment header, in the order lora-wal checks it, or
 * `undefined` when it is valid: one phrase for a listing to show.
 *
 * @since 0.1.0
 * @category inspection
 */
export const headerFault = (h: HeaderInfo): string | undefined =>
  !h.complete
    ? `incomplete (${h.length} of ${Segment.HEADER_LEN} bytes)`
    : !h.magicOk
    ? "bad magic"
    : !h.headerCrcOk
    ? "CRC mismatch"
    : h.formatVersion !== Segment.FORMAT_VERSION
    ? `unsupported format version ${h.formatVersion}`
    : undefined

/**
 * Every file of `dir`, by name, with segment headers and record framing, one
 * file at a time: memory holds one file, not the log.
 *
 * @since 0.1.0
 * @category inspection
 */
export const files = (
  dir: string,
  options?: { readonly onProgress?: OnProgress | undefined }
): Stream.Stream<FileInfo, Io, FileSystem.FileSystem | Path.Path> =>
  Stream.unwrap(Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const join = (yield* Path.Path).join
    const crc32 = yield* Crc32
    const names = (yield* fs.readDirectory(dir)).sort()
    const entries: Array<{ readonly name: string; readonly path: string; readonly size: number }> = []
    for (const name of names) {
      const path = join(dir, name)
      const info = yield* fs.stat(path)
      if (info.type === "File") entries.push({ name, path, size: Number(info.size) })
    }
    const totalBytes = entries.reduce((n, e) => n + e.size, 0)
    const reader = new FileReader(fs)
    let bytesRead = 0
    return Stream.mapEffect(Stream.fromIterable(entries), ({ name, path, size }) =>
      Effect.gen(function*() {
        const bytes = yield* reader.read(path, size)
        bytesRead += bytes.length
        if (options?.onProgress !== undefined) yield* options.onProgress({ bytesRead, totalBytes })
        const segmentId = Segment.parseFileName(name)
        return {
          name,
          size: bytes.length,
          crc32: crc32(bytes),
          segmentId,
          header: segmentId === undefined ? undefined : header(bytes, crc32),
          records: segmentId === undefined || bytes.length < Segment.HEADER_LEN ? [] : frames(bytes, crc32)
        }
      }))
  }).pipe(Effect.mapError(Io.fromPlatform)))

/**
 * Every file of `dir`, by name, with segment headers and record framing
 * (all of {@link files} at once).
 *
 * @since 0.1.0
 * @category inspection
 */
export const inspectDir = (
  dir: string,
  options?: { readonly onProgress?: OnProgress | undefined }
): Effect.Effect<Array<FileInfo>, Io, FileSystem.FileSystem | Path.Path> =>
  Effect.map(Stream.runCollect(files(dir, options)), (chunk) => Array.from(chunk))

/**
 * What a record's payload holds: its events when the CRC holds and the
 * codec reads them, nothing for the markers (begin, commit, abort,
 * checkpoint), or why it was not read.
 *
 * @since 0.1.0
 * @category models
 */
export type Payload<E> =
  | { readonly _tag: "Events"; readonly events: ReadonlyArray<E> }
  | { readonly _tag: "Marker" }
  | { readonly _tag: "Unchecked" }
  | { readonly _tag: "Undecodable"; readonly reason: string }

/**
 * A segment file as {@link segments} reads it.
 *
 * @since 0.1.0
 * @category models
 */
export interface SegmentView<E> {
  readonly name: string
  readonly id: Segment.SegmentId
  readonly size: number
  readonly header: HeaderInfo
  /** The record framing, walked afresh on each iteration (see `payload` for how long it can be). */
  readonly records: Iterable<RecordInfo>
  /**
   * Reads one of `records`' payload: on demand, so that a segment's events
   * exist one record at a time rather than all at once. The segment's bytes
   * are read into a buffer the next segment reuses, so records and payloads
   * can be read until the stream pulls the next segment (a defect after that).
   */
  readonly payload: (record: Extract<RecordInfo, { readonly _tag: "Record" }>) => Payload<E>
}

const payloadOf = <E>(codec: EventCodec.EventCodec<E>, bytes: Uint8Array, info: Extract<RecordInfo, { readonly _tag: "Record" }>): Payload<E> => {
  if (!info.crcOk) return { _tag: "Unchecked" }
  if (info.kindName !== "Mutation" && info.kindName !== "MutationBatch") return { _tag: "Marker" }
  const payload = bytes.subarray(info.offset + WalRecord.HEADER_LEN, info.offset + info.length - 4)
  try {
    return {
      _tag: "Events",
      events: info.kindName === "Mutation" ? [EventCodec.decodeEvent(codec, payload)] : EventCodec.decodeBatch(codec, payload)
    }
  } catch (e) {
    return { _tag: "Undecodable", reason: e instanceof DecodeFailure ? e.message : `event codec failed: ${String(e)}` }
  }
}

/**
 * Reads whole files into one buffer, grown to the largest: walking a log
 * allocates one segment's worth, not one per segment (a buffer per file
 * would sit outside the JS heap until a full collection, ~8 MiB each).
 */
class FileReader {
  private buffer = new Uint8Array(0)
  /** Bumped on every read: a view of an earlier file is stale. */
  generation = 0

  constructor(private readonly fs: FileSystem.FileSystem) {}

  /** The file's bytes, valid until the next `read`. */
  read(path: string, size: number): Effect.Effect<Uint8Array, Io> {
    this.generation++
    if (this.buffer.length <= size) this.buffer = new Uint8Array(size + 1)
    return Effect.scoped(Effect.gen(this, function*() {
      const file = yield* Effect.mapError(this.fs.open(path), Io.fromPlatform)
      let length = yield* readFully(file, this.buffer)
      // Filled to the last byte: the file grew since it was listed.
      while (length === this.buffer.length) {
        const grown = new Uint8Array(length * 2)
        grown.set(this.buffer)
        this.buffer = grown
        length += yield* readFully(file, grown.subarray(length))
      }
      return this.buffer.subarray(0, length)
    }))
  }
}

const readSegment = <E>(
  reader: FileReader,
  codec: EventCodec.EventCodec<E>,
  crc32: Crc32Function,
  file: { readonly id: Segment.SegmentId; readonly name: string; readonly path: string; readonly size: number }
): Effect.Effect<SegmentView<E>, Io> =>
  Effect.map(reader.read(file.path, file.size), (bytes) => {
    const generation = reader.generation
    const current = () => {
      if (reader.generation !== generation) {
        throw new Error(`Inspect.segments: ${file.name} was read after the next segment was pulled`)
      }
    }
    return {
      name: file.name,
      id: file.id,
      size: bytes.length,
      header: header(bytes, crc32),
      records: {
        [Symbol.iterator]: (): Iterator<RecordInfo> => {
          const frames = bytes.length < Segment.HEADER_LEN ? [][Symbol.iterator]() : framesOf(bytes, crc32)
          // Every step reads the shared buffer, so every step checks it still holds this segment.
          return {
            next: () => {
              current()
              return frames.next()
            }
          }
        }
      },
      payload: (record) => {
        current()
        return payloadOf(codec, bytes, record)
      }
    }
  })

/**
 * What {@link segments} reads, and how it reports progress.
 *
 * @since 0.1.0
 * @category models
 */
export interface SegmentsOptions {
  /** Only the segment with this id. */
  readonly segment?: bigint | undefined
  readonly onProgress?: OnProgress | undefined
}

const segmentsWith = <E>(
  dir: string,
  codec: EventCodec.EventCodec<E>,
  options: SegmentsOptions
): Stream.Stream<SegmentView<E>, Io, FileSystem.FileSystem | Path.Path> =>
  Stream.unwrap(Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const crc32 = yield* Crc32
    const files = yield* listSegments(fs, yield* Path.Path, dir)
    const chosen = options.segment === undefined ? files : files.filter((f) => f.id === options.segment)
    const reader = new FileReader(fs)
    const totalBytes = chosen.reduce((n, f) => n + f.size, 0)
    let bytesRead = 0
    return Stream.mapEffect(Stream.fromIterable(chosen), (file) =>
      Effect.tap(readSegment(reader, codec, crc32, file), (view) => {
        bytesRead += view.size
        return options.onProgress === undefined ? Effect.void : options.onProgress({ bytesRead, totalBytes })
      }))
  }))

/**
 * The segments of `dir`, oldest first, one at a time with every record's
 * framing and, on demand, its payload: the record-by-record view an
 * operator reads (like PostgreSQL's `pg_waldump`). Memory holds one
 * segment's bytes, not the log.
 *
 * @since 0.1.0
 * @category inspection
 */
export function segments(
  dir: string,
  options?: SegmentsOptions
): Stream.Stream<SegmentView<MutationEvent>, Io, FileSystem.FileSystem | Path.Path>
export function segments<E>(
  dir: string,
  options: SegmentsOptions & { readonly codec: EventCodec.EventCodec<E> }
): Stream.Stream<SegmentView<E>, Io, FileSystem.FileSystem | Path.Path>
export function segments<E>(
  dir: string,
  options?: SegmentsOptions & { readonly codec?: EventCodec.EventCodec<E> }
): Stream.Stream<SegmentView<E> | SegmentView<MutationEvent>, Io, FileSystem.FileSystem | Path.Path> {
  return options?.codec === undefined
    ? segmentsWith(dir, LoraCodec.codec, options ?? {})
    : segmentsWith(dir, options.codec, options)
}
