/**
 * Reads segment files for `Verify`, one at a time, through a buffer of about
 * a chunk, so that a log of any size is checked in bounded memory: the
 * buffer grows only to hold a record larger than the chunk (a CRC covers a
 * record whole), never past the bytes the file has. One buffer serves every
 * segment: a fresh megabyte per segment is garbage the collector frees late,
 * and the process grew by the size of the log.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import { Io } from "../WalError.js"
import * as FileReads from "./fileReads.js"

export class SegmentReader {
  /** The bytes `buf[pos..bufLen)` are at file offsets `fileBase + pos ..`. */
  buf: Uint8Array
  bufLen = 0
  pos = 0
  private fileBase = 0
  private file: FileSystem.File | undefined = undefined
  /** The size the listing found: bytes appended later by a live writer are not read. */
  size = 0

  constructor(chunkBytes: number, private readonly onRead: (bytes: number) => Effect.Effect<void>) {
    this.buf = new Uint8Array(Math.max(1, chunkBytes))
  }

  /** Starts reading `file` of `size` bytes from its beginning. */
  reset(file: FileSystem.File, size: number): void {
    this.file = file
    this.size = size
    this.bufLen = 0
    this.pos = 0
    this.fileBase = 0
  }

  /** The file offset of `buf[pos]`. */
  get offset(): number {
    return this.fileBase + this.pos
  }

  /** Bytes buffered from `pos`. */
  get available(): number {
    return this.bufLen - this.pos
  }

  /** The bytes of the file from `offset` to its end. */
  get remaining(): number {
    return this.size - this.offset
  }

  advance(length: number): void {
    this.pos += length
  }

  /** Makes `min(n, remaining)` bytes available from `pos`, reading a chunk or more at a time. */
  ensure(n: number): Effect.Effect<void, Io> {
    const wanted = Math.min(n, this.remaining)
    if (this.available >= wanted) return Effect.void
    this.compact(wanted)
    return this.readUntil(wanted)
  }

  /** `length` bytes from file offset `at` in a buffer of their own (the read position is restored by the next fill). */
  readAt(at: number, length: number): Effect.Effect<Uint8Array, Io> {
    return FileReads.readAt(this.file!, at, Math.min(length, this.size - at))
  }

  /** Moves the unread bytes to the front, growing the buffer when `wanted` does not fit. */
  private compact(wanted: number): void {
    const unread = this.buf.subarray(this.pos, this.bufLen)
    const target = wanted > this.buf.length ? new Uint8Array(wanted) : this.buf
    target.set(unread)
    this.buf = target
    this.fileBase += this.pos
    this.bufLen = unread.length
    this.pos = 0
  }

  private readUntil(wanted: number): Effect.Effect<void, Io> {
    const self = this
    return Effect.gen(function*() {
      // Seek each time: `readAt` may have moved the file position.
      const file = self.file!
      yield* file.seek(self.fileBase + self.bufLen, "start")
      while (self.available < wanted) {
        const room = Math.min(self.buf.length - self.bufLen, self.size - self.fileBase - self.bufLen)
        const n = Number(
          yield* file.read(self.buf.subarray(self.bufLen, self.bufLen + room)).pipe(Effect.mapError(Io.fromPlatform))
        )
        if (n === 0) {
          return yield* new Io({
            reason: "UnexpectedEof",
            description: `file ended at offset ${self.fileBase + self.bufLen}, before its listed size ${self.size}`
          })
        }
        self.bufLen += n
        yield* self.onRead(n)
      }
    })
  }
}
