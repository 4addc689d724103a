import { Writer } from "../../Bytes.js"

const COMMA = 44
/** Text kept for open transactions is moved once the buffer is this much past twice its size. */
const COMPACT_SLACK = 1 << 20

/**
 * The JSON of events read but not written out yet, by slot: each text is
 * followed by a comma, so the events of a transaction read one after the
 * other are copied into its line at once.
 */
export class EventTexts {
  readonly bytes = new Writer(64 * 1024)
  private starts: Int32Array = new Int32Array(1024)
  private ends: Int32Array = new Int32Array(1024)
  private slots = 0
  /** The buffer's length at which open texts are next moved to the front. */
  private compactAt = COMPACT_SLACK

  /** Opens the next slot at the end of the buffer; its text is appended to `bytes`. */
  open(): number {
    this.roomForSlots(1)
    this.starts[this.slots] = this.bytes.length
    return this.slots++
  }

  /** Closes `slot` with the text appended since it was opened. */
  close(slot: number): void {
    this.ends[slot] = this.bytes.length
    this.bytes.u8(COMMA)
  }

  /**
   * Appends a run of texts, each followed by its comma (`ends[i]` the offset
   * of text i's), in new slots. The run lands at its own alignment, so a run
   * from shared memory is copied a word at a time (slots need not touch).
   */
  appendRun(run: Uint8Array, ends: ArrayLike<number>): Array<number> {
    this.bytes.reserve(run.length + 7)
    const base = this.bytes.length + ((run.byteOffset - this.bytes.length) & 7)
    this.bytes.length = base
    this.bytes.raw(run)
    const slots = new Array<number>(ends.length)
    this.roomForSlots(ends.length)
    let start = base
    for (let i = 0; i < ends.length; i++) {
      const slot = this.slots++
      this.starts[slot] = start
      this.ends[slot] = base + ends[i]!
      start = base + ends[i]! + 1
      slots[i] = slot
    }
    return slots
  }

  private roomForSlots(n: number): void {
    while (this.slots + n > this.starts.length) {
      this.starts = grown(this.starts, this.slots)
      this.ends = grown(this.ends, this.slots)
    }
  }

  start(slot: number): number {
    return this.starts[slot]!
  }

  /** Where the text of `slot` ends (its comma). */
  end(slot: number): number {
    return this.ends[slot]!
  }

  /**
   * Drops every text but those of `open` transactions. Without any events
   * open, the buffer starts over; otherwise the open texts are moved to the
   * front in new slots (rewritten in place) once the buffer has grown past
   * twice what the last move kept, so each byte is moved a bounded number of
   * times on average, and the open events are walked only then.
   */
  release(open: Iterable<Array<number>>): void {
    const lists = Array.from(open)
    if (lists.every((slots) => slots.length === 0)) this.clear()
    else if (this.bytes.length >= this.compactAt) this.compact(lists)
  }

  /** Drops every text. */
  clear(): void {
    this.bytes.reset()
    this.slots = 0
    this.compactAt = COMPACT_SLACK
  }

  private compact(lists: ReadonlyArray<Array<number>>): void {
    const moved = new Writer(COMPACT_SLACK)
    let events = 0
    for (const slots of lists) events += slots.length
    const starts = new Int32Array(Math.max(1024, events))
    const ends = new Int32Array(starts.length)
    let next = 0
    for (const slots of lists) {
      for (let i = 0; i < slots.length; i++) {
        const slot = slots[i]!
        starts[next] = moved.length
        moved.raw(this.bytes.bytes.subarray(this.starts[slot], this.ends[slot]! + 1))
        ends[next] = moved.length - 1
        slots[i] = next++
      }
    }
    this.bytes.reset()
    this.bytes.raw(moved.written)
    this.starts = starts
    this.ends = ends
    this.slots = next
    this.compactAt = 2 * moved.length + COMPACT_SLACK
  }
}

const grown = (array: Int32Array, used: number): Int32Array => {
  const bigger = new Int32Array(array.length * 2)
  bigger.set(array.subarray(0, used))
  return bigger
}
