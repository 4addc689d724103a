import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fc from "effect/FastCheck"
import { makeRing, RingConsumer, RingProducer } from "../src/internal/jsonLines/aheadRing.js"
import * as LoraJson from "../src/LoraJson.js"
import type { MutationEvent } from "../src/MutationEvent.js"
import * as V from "../src/PropertyValue.js"
import * as TranscodeAhead from "../src/TranscodeAhead.js"
import { buildLog, replayCase } from "./logActions.js"
import { LogBuilder } from "./logBuilder.js"

/** The segment files as the transcoding thread opens them, by path under `/log`, over the same bytes as the replay's disk. */
const opener = (files: ReadonlyArray<readonly [string, Uint8Array]>) => {
  const byPath = new Map(files.map(([name, bytes]) => [`/log/${name}`, bytes]))
  return (file: string): TranscodeAhead.BlockingFile | undefined => {
    const bytes = byPath.get(file)
    if (bytes === undefined) return undefined
    return {
      read: (into, offset, length, position) => {
        const n = Math.max(0, Math.min(length, bytes.length - position))
        into.set(bytes.subarray(position, position + n), offset)
        return n
      },
      close: () => {}
    }
  }
}

/** A ring large enough for a test log, filled before replay starts (one thread: the producer must never wait for room). */
const filledRing = (files: ReadonlyArray<readonly [string, Uint8Array]>) => {
  const bytes = files.reduce((n, [, b]) => n + b.length, 0)
  const ring = makeRing({ slots: 8, slotBytes: 4 * bytes + 64 * 1024, slotWords: bytes + 1024 })
  TranscodeAhead.transcode(ring, files.map(([name]) => `/log/${name}`), opener(files))
  return ring
}

const equals = (copy: Uint8Array, bytes: Uint8Array, start: number, end: number) =>
  copy.length === end - start && copy.every((b, i) => b === bytes[start + i])

/** What replayLines prints of the log, with or without batches transcoded ahead, and how it ended. */
const printed = (log: LogBuilder, tail: Uint8Array, options: { fence?: bigint; chunkBytes?: number }, prepared?: LoraJson.PreparedBatches) =>
  Effect.gen(function*() {
    const handed: Array<string> = []
    const exit = yield* Effect.exit(LoraJson.replayLines("/log", {
      ...options,
      prepared,
      onLines: (bytes) => Effect.sync(() => void handed.push(new TextDecoder().decode(bytes)))
    }))
    return { text: handed.join(""), exit }
  }).pipe(Effect.provide(log.layer(tail)))

const person = (name: string): MutationEvent => ({
  _tag: "CreateNode",
  id: 1n,
  labels: ["Person"],
  properties: V.properties({ name: V.string(name), score: V.float(0.25) })
})

describe("TranscodeAhead", () => {
  it("replayLines prints the same lines and ends the same way with the ring as without, on any log", async () => {
    let taken = 0
    await fc.assert(
      fc.asyncProperty(replayCase, async ({ actions, chunkBytes, fence, tail }) => {
        const log = buildLog(actions)
        const consumer = TranscodeAhead.consumer(filledRing(log.filesWithTail(tail)), equals)
        const options = { fence: BigInt(fence), chunkBytes }
        const plain = await Effect.runPromise(printed(log, tail, options))
        const ahead = await Effect.runPromise(printed(log, tail, options, consumer))
        expect(ahead.text).toBe(plain.text)
        expect(ahead.exit).toEqual(plain.exit)
        taken += consumer.stats().taken
      }),
      { numRuns: 200 }
    )
    // The runs went through the ring, not around it.
    expect(taken).toBeGreaterThan(100)
  })

  it.effect("takes every batch the thread transcoded from the same bytes", () =>
    Effect.gen(function*() {
      const log = new LogBuilder()
      for (let i = 0; i < 50; i++) log.commitTx([person(`p${i}`), person(`q${i}`)])
      const consumer = TranscodeAhead.consumer(filledRing(log.files()), equals)
      const ahead = yield* printed(log, new Uint8Array(0), {}, consumer)
      expect(ahead.text).toBe((yield* printed(log, new Uint8Array(0), {})).text)
      expect(consumer.stats()).toEqual({ asked: 50, taken: 50 })
    }))

  it.effect("prints the replay's own bytes where the thread read others: that batch is transcoded again", () =>
    Effect.gen(function*() {
      // Two logs framed alike (same lengths, same records) that differ in one name: the ring is
      // filled from the other log, as if a file changed between the thread's read and replay's.
      const names = ["ann", "bob", "cid", "dan"]
      const log = new LogBuilder()
      const other = new LogBuilder()
      for (const name of names) {
        log.commitTx([person(name)])
        other.commitTx([person(name === "cid" ? "eve" : name)])
      }
      const consumer = TranscodeAhead.consumer(filledRing(other.files()), equals)
      const ahead = yield* printed(log, new Uint8Array(0), {}, consumer)
      expect(ahead.text).toBe((yield* printed(log, new Uint8Array(0), {})).text)
      expect(ahead.text).toContain(`"cid"`)
      expect(ahead.text).not.toContain(`"eve"`)
      expect(consumer.stats()).toEqual({ asked: 4, taken: 3 })
    }))

  it.effect("leaves a batch too long for a slot to the replay, and still takes the batches after it", () =>
    Effect.gen(function*() {
      const log = new LogBuilder()
      for (let i = 0; i < 5; i++) log.commitTx([person(`a${i}`)])
      log.commitTx([person("x".repeat(8192))])
      for (let i = 0; i < 5; i++) log.commitTx([person(`b${i}`)])
      const files = log.files()
      const ring = makeRing({ slots: 16, slotBytes: 4096, slotWords: 256 })
      TranscodeAhead.transcode(ring, files.map(([name]) => `/log/${name}`), opener(files))
      const consumer = TranscodeAhead.consumer(ring, equals)
      const ahead = yield* printed(log, new Uint8Array(0), {}, consumer)
      expect(ahead.text).toBe((yield* printed(log, new Uint8Array(0), {})).text)
      expect(consumer.stats()).toEqual({ asked: 11, taken: 10 })
    }))
})

describe("the ring", () => {
  const payload = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + n) & 255)
  const entry = (ordinal: number) => ({ payload: payload(10 + ordinal), texts: payload(3 + ordinal), ends: [ordinal + 2] })

  it("hands entries over in order through slots reused round the ring, skipping what replay passed", () => {
    const ring = makeRing({ slots: 2, slotBytes: 128, slotWords: 32 })
    const producer = new RingProducer(ring)
    const consumer = new RingConsumer(ring, equals)
    const taken: Array<number> = []
    for (let ordinal = 0; ordinal < 40; ordinal++) {
      const e = entry(ordinal)
      // Replay asks for every fourth before the producer has it, and for every third with other bytes.
      const bytes = ordinal % 3 === 0 ? payload(10 + ordinal).map((b) => b ^ 1) : e.payload
      const late = ordinal % 4 === 3
      if (late) expect(consumer.take(bytes, 0, bytes.length)).toBeUndefined()
      expect(producer.add(ordinal, e.payload, e.texts, e.ends)).toBe(true)
      producer.publish()
      if (late) continue
      const got = consumer.take(bytes, 0, bytes.length)
      if (got === undefined) continue
      expect(Array.from(got.texts)).toEqual(Array.from(e.texts))
      expect(Array.from(got.ends)).toEqual(e.ends)
      taken.push(ordinal)
    }
    const expected = Array.from({ length: 40 }, (_, i) => i).filter((i) => i % 4 !== 3 && i % 3 !== 0)
    expect(taken).toEqual(expected)
  })

  it("keeps the producer ahead of the replay: once replay reaches it, it jumps ahead", () => {
    const ring = makeRing({ slots: 2, slotBytes: 128, slotWords: 32 })
    const producer = new RingProducer(ring)
    const consumer = new RingConsumer(ring, equals)
    expect(producer.wants(0)).toBe(true)
    for (let i = 0; i < 10; i++) consumer.take(payload(1), 0, 1)
    expect(producer.wants(5)).toBe(false)
    expect(producer.wants(100)).toBe(false)
    expect(producer.wants(10 + 256)).toBe(true)
  })

  it("a stopped ring turns the producer away", () => {
    // Two slots, one published: the add below has room, so a regression fails here instead of waiting.
    const ring = makeRing({ slots: 2, slotBytes: 64, slotWords: 16 })
    const producer = new RingProducer(ring)
    expect(producer.add(0, payload(20), payload(20), [19])).toBe(true)
    producer.publish()
    TranscodeAhead.consumer(ring, equals).stop()
    // The only slot is published and never released: without the stop, this add would wait.
    expect(producer.add(1, payload(20), payload(20), [19])).toBe(false)
  })
})
