/**
 * `LoraJson.replayLines` over two cores: a second thread transcodes the
 * log's batch payloads to JSON into shared memory (a ring) ahead of the
 * replay, and the replay takes each payload's JSON from the ring when the
 * bytes there are the very bytes it read, transcoding the rest itself.
 * Turning a payload into JSON depends on nothing but its bytes, and both
 * threads run the same transcoder, so the output is the same whether the
 * thread keeps up, falls behind, reads other bytes or dies: what it changes
 * is only how much the replay has left to do. The replay still reads,
 * checks (CRC, framing, order) and refuses everything itself.
 *
 * The platform owns the thread: `transcode` is its whole body, given the
 * ring and the segment files; the replay side passes `consumer(ring)` as
 * `prepared` to `LoraJson.replayLines` and stops it when done. Only
 * SharedArrayBuffer and Atomics are used (the thread blocks in
 * `Atomics.wait` when the ring is full; the replay never blocks).
 *
 * Internal for now: `lora-wal replay --jsonl` is its one user, and its
 * thread ships only as the executable's bundle (a thread from another
 * build might transcode differently).
 *
 * @internal
 */
import type { PreparedBatches } from "./LoraJson.js"
import { transcodeAhead } from "./internal/jsonLines/aheadProducer.js"
import { DEFAULT_RING, makeRing, RingConsumer } from "./internal/jsonLines/aheadRing.js"

/**
 * Shared memory between the replay and the transcoding thread, and its
 * geometry; it crosses threads as `workerData` or in a message.
 *
 * @internal
 */
export interface Ring {
  readonly buffer: SharedArrayBuffer
  readonly slots: number
  readonly slotBytes: number
  readonly slotWords: number
}

/**
 * A segment file open for blocking reads on the transcoding thread: `read`
 * returns how many bytes it put at `offset`, 0 at the file's end.
 *
 * @internal
 */
export interface BlockingFile {
  readonly read: (into: Uint8Array, offset: number, length: number, position: number) => number
  readonly close: () => void
}

/**
 * A ring of 16 slots of 64 KiB of bytes and 16 KiB of offsets (1.3 MiB):
 * enough lead for the thread on a log of 10-event transactions, in memory
 * a streaming replay can spare.
 *
 * @internal
 */
export const make = (): Ring => makeRing(DEFAULT_RING)

/**
 * The replay's side of a ring, to pass as `prepared` to
 * `LoraJson.replayLines`, one replay per consumer. `equals` compares the
 * ring's copy of a payload with the replay's bytes `[start, end)`
 * (natively where the platform can: Node's `Buffer.compare`).
 *
 * @internal
 */
export interface Consumer extends PreparedBatches {
  /** Tells the thread to stop (it returns from `transcode`), waking it if it waits for room. */
  readonly stop: () => void
  /** The batches replay asked for, and those the thread had ready: how much of the work it took. */
  readonly stats: () => { readonly asked: number; readonly taken: number }
}

/**
 * The replay's side of `ring`: it counts the batches replay asks for (the
 * thread counts the same way), and hands over an entry only for the
 * ordinal replay is at and only if `equals` finds the ring's copy of the
 * payload identical to replay's bytes.
 *
 * @internal
 */
export const consumer = (
  ring: Ring,
  equals: (ringCopy: Uint8Array, bytes: Uint8Array, start: number, end: number) => boolean
): Consumer => new RingConsumer(ring, equals)

/**
 * The transcoding thread's body: reads `files` (the log's segment files,
 * oldest first, as the replay lists them) with `open`'s blocking reads and
 * fills the ring ahead of the replay, until the files end or the replay
 * stops the consumer. `open` returns `undefined` for a file it cannot open
 * (the replay meets that itself).
 *
 * @internal
 */
export const transcode = (
  ring: Ring,
  files: ReadonlyArray<string>,
  open: (file: string) => BlockingFile | undefined
): void => transcodeAhead(ring, files, open)
