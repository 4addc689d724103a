/**
 * The transcoding thread's work: the log's segment files read front to
 * back with blocking reads, each `MutationBatch` payload numbered in file
 * order, transcoded to JSON and put in the ring while the replay has not
 * reached it. Framing is taken on trust (lengths only, no CRC, no header
 * checks): the replay checks everything itself and takes only entries whose
 * bytes are the ones it reads.
 */
import * as Fast from "../loraJsonFast.js"
import type { BlockingFile, Ring } from "../../TranscodeAhead.js"
import { RingProducer } from "./aheadRing.js"
import { batchTranscoder } from "./eventJson.js"

const HEADER_BYTES = 32
const FRAME_MIN = 25
const PAYLOAD_AT = 21
const KIND_MUTATION_BATCH = 6
const READ_BYTES = 256 * 1024
/** Records larger than this are left to the replay (a corrupt length must not cost an allocation). */
const MAX_FRAME_BYTES = 16 << 20

/** One event as `LoraJson.stringifyEvents` prints it, or `undefined` where that needs the Schema. */
const stringifyEvent = (event: Parameters<typeof Fast.writeEvents>[0]) => Fast.writeEvents([event])?.slice(1, -1)

/**
 * Transcodes the batches of `files` (the log's segments, oldest first) into
 * `ring` until they end or the replay stops the ring. `open` may return
 * `undefined` for a file that went away (the replay meets that itself).
 */
export const transcodeAhead = (ring: Ring, files: ReadonlyArray<string>, open: (file: string) => BlockingFile | undefined): void => {
  const producer = new RingProducer(ring)
  const transcode = batchTranscoder(stringifyEvent)
  let buffer = new Uint8Array(READ_BYTES)
  let ordinal = -1
  for (const name of files) {
    const file = open(name)
    if (file === undefined) continue
    try {
      let position = 0
      let have = 0
      let at = 0
      /** Makes `n` bytes from `at` present, reading on; false at the file's end. */
      const ensure = (n: number): boolean => {
        if (have - at >= n) return true
        buffer.copyWithin(0, at, have)
        have -= at
        at = 0
        if (n > buffer.length) {
          const bigger = new Uint8Array(Math.max(n, buffer.length * 2))
          bigger.set(buffer.subarray(0, have))
          buffer = bigger
        }
        while (have < n) {
          const read = file.read(buffer, have, buffer.length - have, position)
          if (read === 0) return false
          position += read
          have += read
        }
        return true
      }
      if (!ensure(HEADER_BYTES)) continue
      at = HEADER_BYTES
      while (ensure(PAYLOAD_AT)) {
        const length = (buffer[at]! | (buffer[at + 1]! << 8) | (buffer[at + 2]! << 16) | (buffer[at + 3]! << 24)) >>> 0
        if (length < FRAME_MIN) break
        const isBatch = buffer[at + 4] === KIND_MUTATION_BATCH
        if (isBatch) ordinal++
        if (length > MAX_FRAME_BYTES) {
          // Counted, not read: the replay transcodes it (or finds the length corrupt).
          position += length - (have - at)
          have = at = 0
          continue
        }
        if (!ensure(length)) break
        if (isBatch && producer.wants(ordinal)) {
          const payload = buffer.subarray(at + PAYLOAD_AT, at + length - 4)
          const batch = transcode(buffer, at + PAYLOAD_AT, at + length - 4)
          if (batch !== undefined && !producer.add(ordinal, payload, batch.texts, batch.ends)) return
        }
        at += length
      }
    } finally {
      file.close()
    }
  }
  producer.publish()
}
