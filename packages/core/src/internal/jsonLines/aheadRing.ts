/**
 * Shared memory between a replay and a thread transcoding batch payloads
 * ahead of it. The ring is a fixed number of slots; the producer fills one
 * with entries (the payload's bytes and their JSON) and publishes it, the
 * replay reads published slots in order and releases each once it has
 * passed it. Entries are numbered by the ordinal of their payload among the
 * log's batch payloads in file order, which the replay counts too; the
 * replay takes an entry only when its ordinal and its bytes are the ones it
 * is reading, so a producer that read other bytes (a file changed between
 * the two reads, a framing it got wrong) costs speed, never output.
 *
 * Only SharedArrayBuffer and Atomics: the thread itself is the platform's.
 */
import type { PreparedBatch } from "../../LoraJson.js"
import type { Consumer, Ring } from "../../TranscodeAhead.js"

/**
 * Control words: slots published, slots released, the replay's ordinal, the
 * stop flag, and a count the replay bumps whenever it releases a slot or
 * stops, which is what a waiting producer waits on (read before it checks,
 * so no wake-up is lost between its check and its wait).
 */
const PUBLISHED = 0
const RELEASED = 1
const REPLAY_AT = 2
const STOP = 3
const WAKE = 4
const CONTROL_BYTES = 64

/**
 * Entry header in a slot's words: ordinal, where its payload starts in the
 * slot's bytes and its length, where its texts start and their length, its
 * events; then each event's end. Copies between shared and private memory
 * go a word at a time only when both sides have the same alignment (a byte
 * at a time, ~6x slower, otherwise), so the payload is put at its source's
 * alignment and the texts 8-aligned (see `EventTexts.appendRun`).
 */
const ENTRY_WORDS = 6
/** `n` raised to the next multiple of 8. */
const align8 = (n: number): number => (n + 7) & ~7

/** 16 slots of 64 KiB of bytes and 4096 words (1.3 MiB). */
export const DEFAULT_RING = { slots: 16, slotBytes: 64 * 1024, slotWords: 4 * 1024 } as const

/** A ring of `geometry`, zeroed but for the replay's ordinal (-1: it has asked for nothing yet). */
export const makeRing = (geometry: Omit<Ring, "buffer"> = DEFAULT_RING): Ring => {
  const buffer = new SharedArrayBuffer(CONTROL_BYTES + geometry.slots * (geometry.slotWords * 4 + geometry.slotBytes))
  new Int32Array(buffer, 0, CONTROL_BYTES / 4)[REPLAY_AT] = -1
  return { buffer, slots: geometry.slots, slotBytes: geometry.slotBytes, slotWords: geometry.slotWords }
}

/** One slot's views: its words (entry count first) and its bytes. */
interface Slot {
  readonly words: Int32Array
  readonly bytes: Uint8Array
}

const slotsOf = ({ buffer, slotBytes, slots, slotWords }: Ring): ReadonlyArray<Slot> =>
  Array.from({ length: slots }, (_, i) => {
    const at = CONTROL_BYTES + i * (slotWords * 4 + slotBytes)
    return { words: new Int32Array(buffer, at, slotWords), bytes: new Uint8Array(buffer, at + slotWords * 4, slotBytes) }
  })

/** Ordinals the producer jumps ahead of the replay when the replay has caught up with it. */
const LEAD = 256

/**
 * The producing side, on the transcoding thread: `wants` says which
 * ordinals are still worth doing, `add` appends one (waiting for a free
 * slot), `publish` hands the slot being filled over.
 */
export class RingProducer {
  private readonly control: Int32Array
  private readonly slots: ReadonlyArray<Slot>
  private published = 0
  private words = 1
  private bytes = 0
  private skipBelow = 0

  constructor(private readonly ring: Ring) {
    this.control = new Int32Array(ring.buffer, 0, CONTROL_BYTES / 4)
    this.slots = slotsOf(ring)
  }

  get stopped(): boolean {
    return Atomics.load(this.control, STOP) !== 0
  }

  /** Whether `ordinal` is still ahead of the replay; once the replay has reached it, the producer jumps `LEAD` ahead. */
  wants(ordinal: number): boolean {
    const replayAt = Atomics.load(this.control, REPLAY_AT)
    if (ordinal <= replayAt) this.skipBelow = replayAt + LEAD
    return ordinal >= this.skipBelow
  }

  /**
   * Appends one entry, once the slot it goes to is free (an entry larger
   * than a slot is left to the replay); false once the replay has stopped
   * the ring.
   */
  add(ordinal: number, payload: Uint8Array, texts: Uint8Array, ends: ArrayLike<number>): boolean {
    if (this.stopped) return false
    const { slotBytes, slotWords } = this.ring
    const words = ENTRY_WORDS + ends.length
    if (words + 1 > slotWords || payload.length + texts.length + 16 > slotBytes) return true
    let payloadAt = this.placed(this.bytes, payload)
    let textsAt = align8(payloadAt + payload.length)
    if (this.words + words > slotWords || textsAt + texts.length > slotBytes) {
      this.publish()
      payloadAt = this.placed(0, payload)
      textsAt = align8(payloadAt + payload.length)
    }
    if (this.words === 1 && !this.waitForSlot()) return false
    const slot = this.slots[this.published % this.slots.length]!
    let w = this.words
    slot.words[w++] = ordinal
    slot.words[w++] = payloadAt
    slot.words[w++] = payload.length
    slot.words[w++] = textsAt
    slot.words[w++] = texts.length
    slot.words[w++] = ends.length
    for (let i = 0; i < ends.length; i++) slot.words[w++] = ends[i]!
    this.words = w
    slot.bytes.set(payload, payloadAt)
    slot.bytes.set(texts, textsAt)
    this.bytes = textsAt + texts.length
    return true
  }

  /** Publishes the slot being filled, if it holds anything. */
  publish(): void {
    if (this.words === 1) return
    this.slots[this.published % this.slots.length]!.words[0] = this.words
    Atomics.store(this.control, PUBLISHED, ++this.published)
    this.words = 1
    this.bytes = 0
  }

  /** Waits until the replay has released the slot to be filled next; false once it stops the ring. */
  private waitForSlot(): boolean {
    for (;;) {
      const wake = Atomics.load(this.control, WAKE)
      if (this.stopped) return false
      if (this.published - Atomics.load(this.control, RELEASED) < this.slots.length) return true
      Atomics.wait(this.control, WAKE, wake)
    }
  }

  /** The first offset from `from` with the alignment of `source` (slots start 8-aligned). */
  private placed(from: number, source: Uint8Array): number {
    return from + ((source.byteOffset - from) & 7)
  }
}

/**
 * The replay's side: the prepared batches `LoraJson.replayLines` asks for,
 * each payload's ordinal counted as it asks. `equals` compares the entry's
 * bytes with the replay's (natively where the platform can).
 */
export class RingConsumer implements Consumer {
  private readonly control: Int32Array
  private readonly slots: ReadonlyArray<Slot>
  private ordinal = -1
  private released = 0
  /** The open slot, and where its next entry is; `slot` undefined when none is open. */
  private slot: Slot | undefined = undefined
  private words = 0
  private wordsEnd = 0
  /** Batches taken from the ring (asked for: `ordinal + 1`). */
  private taken = 0

  constructor(
    ring: Ring,
    private readonly equals: (a: Uint8Array, b: Uint8Array, bStart: number, bEnd: number) => boolean
  ) {
    this.control = new Int32Array(ring.buffer, 0, CONTROL_BYTES / 4)
    this.slots = slotsOf(ring)
  }

  take(bytes: Uint8Array, start: number, end: number): PreparedBatch | undefined {
    const ordinal = ++this.ordinal
    Atomics.store(this.control, REPLAY_AT, ordinal)
    for (;;) {
      const slot = this.slot ?? this.open()
      if (slot === undefined) return undefined
      if (this.words >= this.wordsEnd) {
        this.release()
        continue
      }
      const w = this.words
      const at = slot.words[w]!
      if (at > ordinal) return undefined
      const events = slot.words[w + 5]!
      this.words = w + ENTRY_WORDS + events
      if (at < ordinal) continue
      const payloadAt = slot.words[w + 1]!
      const payloadLength = slot.words[w + 2]!
      if (payloadLength !== end - start || !this.equals(slot.bytes.subarray(payloadAt, payloadAt + payloadLength), bytes, start, end)) {
        return undefined
      }
      const textsAt = slot.words[w + 3]!
      this.taken++
      return {
        texts: slot.bytes.subarray(textsAt, textsAt + slot.words[w + 4]!),
        ends: slot.words.subarray(w + ENTRY_WORDS, w + ENTRY_WORDS + events)
      }
    }
  }

  stats(): { readonly asked: number; readonly taken: number } {
    return { asked: this.ordinal + 1, taken: this.taken }
  }

  /** Tells the producer to stop, waking it if it waits for a slot. */
  stop(): void {
    Atomics.store(this.control, STOP, 1)
    this.wake()
  }

  private open(): Slot | undefined {
    if (this.released >= Atomics.load(this.control, PUBLISHED)) return undefined
    const slot = this.slots[this.released % this.slots.length]!
    this.slot = slot
    this.words = 1
    this.wordsEnd = slot.words[0]!
    return slot
  }

  private release(): void {
    this.slot = undefined
    Atomics.store(this.control, RELEASED, ++this.released)
    this.wake()
  }

  private wake(): void {
    Atomics.add(this.control, WAKE, 1)
    Atomics.notify(this.control, WAKE)
  }
}
