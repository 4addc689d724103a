/**
 * The transcoding thread's work: the log's segment files read front to
 * back with blocking reads, each `MutationBatch` payload numbered in file
 * order, transcoded to JSON and put in the ring while the replay has not
 * reached it. Framing is taken on trust (lengths only, no CRC, no header
 * checks): the replay checks everything itself and takes only entries whose
 * bytes are the ones it reads.
 */
import type { MutationEvent } from "../../MutationEvent.js"
import * as Fast from "../loraJsonFast.js"
import type { BlockingFile, Ring } from "../../TranscodeAhead.js"
import { RingProducer } from "./aheadRing.js"
import { batchTranscoder } from "./eventJson.js"

// The format's numbers (FORMAT.md), repeated so that the thread's bundle holds no module that
// builds Schemas or Brands as it loads (Segment's and WalRecord's do): its memory is replay's.
const HEADER_BYTES = 32
const FRAME_MIN = 25
const PAYLOAD_AT = 21
const KIND_MUTATION_BATCH = 6
const READ_BYTES = 256 * 1024

/** One event as `LoraJson.stringifyEvents` prints it, or `undefined` where that needs the Schema. */
const stringifyEvent = (event: MutationEvent) => Fast.writeEvents([event])?.slice(1, -1)

/** A segment file's frames through one buffer that never grows: longer frames are skipped, not read. */
class FrameReader {
  private position = 0
  private have = 0
  /** Where the current frame starts in `buffer`. */
  at = 0

  constructor(readonly buffer: Uint8Array, private readonly file: BlockingFile) {}

  /** Makes `n` bytes from `at` present (`n` at most the buffer's size), reading on; false at the file's end. */
  ensure(n: number): boolean {
    if (this.have - this.at >= n) return true
    this.buffer.copyWithin(0, this.at, this.have)
    this.have -= this.at
    this.at = 0
    while (this.have < n) {
      const read = this.file.read(this.buffer, this.have, this.buffer.length - this.have, this.position)
      if (read === 0) return false
      this.position += read
      this.have += read
    }
    return true
  }

  /** Moves past `n` bytes from `at`, reading none it does not hold. */
  skip(n: number): void {
    if (this.have - this.at >= n) {
      this.at += n
    } else {
      this.position += n - (this.have - this.at)
      this.have = this.at = 0
    }
  }

  /** The length prefix of the frame at `at` (its first 4 bytes present). */
  get frameLength(): number {
    const b = this.buffer
    const at = this.at
    return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0
  }
}

/**
 * Transcodes the batches of `files` (the log's segments, oldest first) into
 * `ring` until they end or the replay stops the ring. `open` may return
 * `undefined` for a file that went away (the replay meets that itself).
 * Frames too long to fit a slot are counted and skipped: the replay
 * transcodes those (and finds what is wrong with a corrupt length).
 */
export const transcodeAhead = (ring: Ring, files: ReadonlyArray<string>, open: (file: string) => BlockingFile | undefined): void => {
  const producer = new RingProducer(ring)
  const transcode = batchTranscoder(stringifyEvent)
  const buffer = new Uint8Array(READ_BYTES)
  const maxFrame = Math.min(READ_BYTES, ring.slotBytes)
  let ordinal = -1
  for (const name of files) {
    const file = open(name)
    if (file === undefined) continue
    try {
      const frames = new FrameReader(buffer, file)
      if (!frames.ensure(HEADER_BYTES)) continue
      frames.skip(HEADER_BYTES)
      while (frames.ensure(PAYLOAD_AT)) {
        const length = frames.frameLength
        if (length < FRAME_MIN) break
        if (buffer[frames.at + 4] !== KIND_MUTATION_BATCH) {
          frames.skip(length)
          continue
        }
        ordinal++
        if (length > maxFrame || !producer.wants(ordinal)) {
          frames.skip(length)
          continue
        }
        if (!frames.ensure(length)) break
        const at = frames.at
        const batch = transcode(buffer, at + PAYLOAD_AT, at + length - 4)
        const payload = buffer.subarray(at + PAYLOAD_AT, at + length - 4)
        if (batch !== undefined && !producer.add(ordinal, payload, batch.texts, batch.ends)) return
        frames.skip(length)
      }
    } finally {
      file.close()
    }
  }
  producer.publish()
}
