import type { Crc32Function } from "../Crc32.js"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Metric from "effect/Metric"
import * as Scope from "effect/Scope"
import type { EventCodec } from "../EventCodec.js"
import * as Segment from "../Segment.js"
import * as WalRecord from "../WalRecord.js"
import { replayBytes } from "../WalMetrics.js"
import * as FileReads from "./fileReads.js"
import { Io } from "../WalError.js"
import type { SegmentFile } from "./segments.js"

/** How far replay has read, for progress reporting on large logs. */
export interface Progress {
  readonly bytesRead: number
  readonly totalBytes: number
}

/** Default read size: large reads keep replay near disk bandwidth. */
export const DEFAULT_CHUNK_BYTES = 1 << 20

/** What `ChunkReader.next` returns when the record at hand is not all in the buffer yet. */
const needBytes = { _tag: "NeedBytes" } as const

/**
 * Reads the segments one at a time through a single buffer of about a chunk,
 * and decodes records from it. A record larger than the buffer grows it to
 * fit; a record cut across two reads is compacted to the front and
 * completed by the next `fill`. Counts the bytes read (metric and progress).
 */
export class ChunkReader<E> {
  private buf: Uint8Array
  private view: DataView
  private bufLen = 0
  private pos = 0
  /** File offset of `buf[0]`. */
  private fileBase = 0
  private eof = false
  private file: FileSystem.File | undefined = undefined
  private fileScope: Scope.CloseableScope | undefined = undefined
  private current: SegmentFile | undefined = undefined
  private bytesRead = 0
  private readonly totalBytes: number

  constructor(
    private readonly fs: FileSystem.FileSystem,
    private readonly scope: Scope.Scope,
    private readonly codec: EventCodec<E>,
    private readonly crc32: Crc32Function,
    segments: ReadonlyArray<SegmentFile>,
    chunkBytes: number,
    private readonly onProgress: ((progress: Progress) => Effect.Effect<void>) | undefined
  ) {
    this.totalBytes = segments.reduce((n, s) => n + s.size, 0)
    // Small logs get a small buffer; it grows when a record is larger.
    const largest = segments.reduce((n, s) => Math.max(n, s.size), 0)
    this.buf = new Uint8Array(Math.max(Segment.HEADER_LEN, Math.min(chunkBytes, largest)))
    this.view = new DataView(this.buf.buffer)
  }

  /** The open segment; only valid while {@link isOpen}. */
  get segment(): SegmentFile {
    return this.current!
  }

  get isOpen(): boolean {
    return this.file !== undefined
  }

  /** The file offset of the next record. */
  get offset(): number {
    return this.fileBase + this.pos
  }

  /** Opens `segment` (closed with the reader's scope at the latest) and returns its header bytes. */
  open(segment: SegmentFile): Effect.Effect<Uint8Array, Io> {
    const self = this
    return Effect.gen(function*() {
      self.fileScope = yield* Scope.fork(self.scope, ExecutionStrategy.sequential)
      self.file = yield* self.fs.open(segment.path, { flag: "r" }).pipe(
        Scope.extend(self.fileScope),
        Effect.mapError(Io.fromPlatform)
      )
      self.current = segment
      self.bufLen = 0
      self.pos = 0
      self.fileBase = 0
      self.eof = false
      yield* self.fill()
      if (self.bufLen < Segment.HEADER_LEN) {
        return yield* new Io({ reason: "UnexpectedEof", description: `failed to fill whole buffer (${segment.path})` })
      }
      return self.buf.subarray(0, Segment.HEADER_LEN)
    })
  }

  close(): Effect.Effect<void> {
    const scope = this.fileScope
    this.file = undefined
    this.fileScope = undefined
    return scope === undefined ? Effect.void : Scope.close(scope, Exit.void)
  }

  /**
   * Decodes the record at the current offset without consuming it, or
   * returns `NeedBytes` when it is not all in the buffer yet (a
   * length prefix that cannot fit in the file is left to the decoder,
   * which reports it as the torn tail).
   */
  next(): WalRecord.Decoded<E> | typeof needBytes {
    const avail = this.bufLen - this.pos
    if (!this.eof) {
      if (avail < 4) return needBytes
      const length = this.view.getUint32(this.pos, true)
      if (length >= WalRecord.MIN_LEN && length > avail && length <= this.current!.size - this.offset) {
        return needBytes
      }
    }
    return WalRecord.decode(this.codec, this.buf, this.pos, this.bufLen, this.crc32)
  }

  /** Consumes `length` bytes: the header, or a record `next` returned. */
  advance(length: number): void {
    this.pos += length
  }

  /** Compacts the buffer and reads until it is full or the file ends. */
  fill(): Effect.Effect<void, Io> {
    const self = this
    return Effect.gen(function*() {
      if (self.pos > 0) {
        self.buf.copyWithin(0, self.pos, self.bufLen)
        self.fileBase += self.pos
        self.bufLen -= self.pos
        self.pos = 0
      }
      self.growFor(self.needed())
      const read = yield* self.readIntoBuffer()
      self.eof = self.bufLen < self.buf.length || self.fileBase + self.bufLen >= self.current!.size
      self.bytesRead += read
      yield* Metric.incrementBy(replayBytes, read)
      if (self.onProgress !== undefined && read > 0) {
        yield* self.onProgress({ bytesRead: self.bytesRead, totalBytes: self.totalBytes })
      }
    })
  }

  /** Every byte from `offset` to the end of the open segment (reads past the buffer). */
  readFrom(offset: number): Effect.Effect<Uint8Array, Io> {
    return FileReads.readAt(this.file!, offset, this.current!.size - offset)
  }

  /** Bytes the record at `pos` needs in the buffer. */
  private needed(): number {
    if (this.bufLen - this.pos < 4) return 4
    return Math.max(this.view.getUint32(this.pos, true), 4)
  }

  /** A record larger than the chunk: `next` has checked that it fits in the file. */
  private growFor(needed: number): void {
    if (needed <= this.buf.length) return
    const grown = new Uint8Array(needed)
    grown.set(this.buf.subarray(0, this.bufLen))
    this.buf = grown
    this.view = new DataView(grown.buffer)
  }

  /** Reads into the free end of the buffer until it is full or the file ends; returns the bytes read. */
  private readIntoBuffer(): Effect.Effect<number, Io> {
    const self = this
    return Effect.gen(function*() {
      const file = self.file!
      let read = 0
      while (self.bufLen < self.buf.length && self.fileBase + self.bufLen < self.current!.size) {
        const n = Number(yield* file.read(self.buf.subarray(self.bufLen)).pipe(Effect.mapError(Io.fromPlatform)))
        if (n === 0) break
        self.bufLen += n
        read += n
      }
      return read
    })
  }
}
