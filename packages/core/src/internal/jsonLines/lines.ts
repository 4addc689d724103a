/**
 * The engine of `LoraJson.replayLines`: the refusing replay cursor over the
 * JSON codec, whose events are slots of their JSON in `EventTexts`. Each
 * committed transaction is written as a line into an output buffer handed
 * to the caller whenever it fills, and the JSON of what committed is then
 * dropped, so memory holds a read chunk, the open transactions' JSON and the
 * output buffer, and replay allocates no object per event.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import { Writer } from "../../Bytes.js"
import type { PreparedBatches } from "../../LoraJson.js"
import type { MutationEvent } from "../../MutationEvent.js"
import * as Replay from "../../Replay.js"
import type { Corruption, ReplayError } from "../../WalError.js"
import { ascii, jsonCodec } from "./eventJson.js"
import { EventTexts } from "./eventTexts.js"

/** Output handed over at about this size (a line larger than it is handed over whole). */
const OUTPUT_BYTES = 64 * 1024
const LINE_START = ascii(`{"commit_lsn":"`)
const EVENTS_START = ascii(`","events":[`)
const LINE_END = ascii(`]}\n`)

/** What the caller does with each filled output buffer, valid until its effect completes. */
export interface LinesHandler<E, R> {
  readonly onLines: (lines: Uint8Array) => Effect.Effect<void, E, R>
}

/**
 * Replays `dir` as JSON lines, `{"commit_lsn":"…","events":[…]}`, one per
 * committed transaction, `stringify` printing one event the direct path
 * leaves to the codec.
 */
export const replayLines = <E, R>(
  dir: string,
  stringify: (event: MutationEvent) => string,
  options: Replay.ReadOptions & LinesHandler<E, R> & { readonly prepared?: PreparedBatches | undefined }
): Effect.Effect<Replay.Summary, ReplayError | Corruption | E, FileSystem.FileSystem | Path.Path | R> =>
  Effect.scoped(Effect.suspend(() => {
    const texts = new EventTexts()
    const output = new Writer(OUTPUT_BYTES)
    const { codec } = jsonCodec(texts, stringify, options.prepared)
    const handOver = Effect.suspend(() => Effect.map(options.onLines(output.written), () => output.reset()))
    /** The events' texts with the commas between them (each text's own comma, but the last). */
    const eventsLength = (slots: ReadonlyArray<number>): number => {
      let n = 0
      for (const slot of slots) n += texts.end(slot) + 1 - texts.start(slot)
      return n - 1
    }
    /** Copies the texts, a run of slots that follow each other in the buffer at a time. */
    const writeEvents = (slots: ReadonlyArray<number>): void => {
      const bytes = texts.bytes.bytes
      let from = texts.start(slots[0]!)
      let to = texts.end(slots[0]!)
      for (let i = 1; i < slots.length; i++) {
        const slot = slots[i]!
        if (texts.start(slot) !== to + 1) {
          output.raw(bytes.subarray(from, to + 1))
          from = texts.start(slot)
        }
        to = texts.end(slot)
      }
      output.raw(bytes.subarray(from, to))
    }
    const writeLine = (tx: Replay.Transaction<number>, lsn: string): void => {
      output.raw(LINE_START)
      for (let i = 0; i < lsn.length; i++) output.bytes[output.length++] = lsn.charCodeAt(i)
      output.raw(EVENTS_START)
      if (tx.events.length > 0) writeEvents(tx.events)
      output.raw(LINE_END)
    }
    /** Writes the lines of `batch` from `from`, handing the output over whenever the next line would not fit. */
    const writeBatch = (batch: Array<Replay.Transaction<number>>, from: number): Effect.Effect<void, E, R> => {
      for (let i = from; i < batch.length; i++) {
        const tx = batch[i]!
        const lsn = tx.commitLsn.toString()
        const length = LINE_START.length + lsn.length + EVENTS_START.length + LINE_END.length +
          (tx.events.length > 0 ? eventsLength(tx.events) : 0)
        if (output.length > 0 && output.length + length > OUTPUT_BYTES) {
          return Effect.zipRight(handOver, Effect.suspend(() => writeBatch(batch, i)))
        }
        output.reserve(length)
        writeLine(tx, lsn)
      }
      return Effect.void
    }
    /** What is left in the output, handed over at the end, and before a failure (the lines before it stand). */
    const handOverRest = Effect.suspend(() => (output.length > 0 ? handOver : Effect.void))
    return Effect.flatMap(Replay.refusingCursor(dir, codec, options), ({ cursor, pull }) => {
      const next: Effect.Effect<Replay.Summary, ReplayError | Corruption | E, R> = Effect.matchEffect(pull, {
        onFailure: (error) => Effect.zipRight(handOverRest, Effect.fail(error)),
        onSuccess: (batch) =>
          batch === undefined
            ? Effect.as(handOverRest, cursor.summary())
            : Effect.zipRight(
              writeBatch(batch, 0),
              Effect.suspend(() => {
                texts.release(cursor.openEvents())
                return next
              })
            )
      })
      return next
    })
  }))
