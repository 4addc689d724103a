import * as Path from "@effect/platform/Path"
import { Arbitraries, CrashHarness, MemoryFileSystem } from "@lora-wal/testkit"
import * as FileSystem from "@effect/platform/FileSystem"
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as fc from "effect/FastCheck"
import * as Layer from "effect/Layer"
import { crc32 as zlibCrc } from "node:zlib"
import { Writer } from "../src/Bytes.js"
import * as LoraCodec from "../src/LoraCodec.js"
import { unsafeMake as lsn } from "../src/Lsn.js"
import * as WalRecord from "../src/WalRecord.js"
import * as Replay from "../src/Replay.js"
import * as Segment from "../src/Segment.js"
import { LogBuilder } from "./logBuilder.js"

const SEED = 20261125

const yieldToEventLoop = Effect.async<void>((resume) => void setImmediate(() => resume(Effect.void)))
// Deterministic, so a failing case reproduces from its seed.
const random = CrashHarness.prng(SEED)
const int = (n: number) => Math.floor(random() * n)

/** One random damage: flips, overwrites, cuts, extensions, hostile lengths and counts. */
const mutate = (input: Uint8Array): Uint8Array => {
  let bytes = input.slice()
  const rounds = 1 + int(3)
  for (let r = 0; r < rounds; r++) {
    const at = bytes.length === 0 ? 0 : int(bytes.length)
    switch (int(7)) {
      case 0:
        if (bytes.length > 0) bytes[at] = bytes[at]! ^ (1 << int(8))
        break
      case 1:
        if (bytes.length > 0) bytes[at] = int(256)
        break
      case 2:
        bytes = bytes.slice(0, at)
        break
      case 3:
        bytes = Uint8Array.of(...bytes, ...Array.from({ length: 1 + int(40) }, () => int(256)))
        break
      case 4: {
        // A hostile u32 or u64 length/count somewhere.
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
        if (at + 8 <= bytes.length) view.setBigUint64(at, BigInt(int(2 ** 31)) * BigInt(int(2 ** 31) + 1), true)
        else if (at + 4 <= bytes.length) view.setUint32(at, 0xffff_fff0, true)
        break
      }
      case 5:
        if (bytes.length > 0) bytes.fill(0, at, at + 1 + int(16))
        break
      default:
        bytes = Uint8Array.from({ length: int(200) }, () => int(256))
    }
  }
  return bytes
}

const sampleRecords = (count: number): Array<Uint8Array> => {
  const events = fc.sample(fc.array(Arbitraries.mutationEvent, { minLength: 1, maxLength: 4 }), { numRuns: count, seed: SEED })
  return events.map((batch, i) => {
    const writer = new Writer(64)
    const record: WalRecord.WalRecord<any> = i % 2 === 0
      ? { _tag: "MutationBatch", lsn: lsn(BigInt(i + 2)), txBeginLsn: lsn(BigInt(i + 1)), events: batch }
      : { _tag: "Mutation", lsn: lsn(BigInt(i + 2)), txBeginLsn: lsn(BigInt(i + 1)), event: batch[0] }
    WalRecord.encode(LoraCodec.codec, writer, record)
    return writer.written.slice()
  })
}

/** Re-frames a payload with a correct length and CRC, so payload damage reaches the event decoder. */
const reframe = (bytes: Uint8Array): Uint8Array => {
  if (bytes.length < WalRecord.MIN_LEN) return bytes
  const out = bytes.slice()
  const view = new DataView(out.buffer)
  view.setUint32(0, out.length, true)
  out[4] = 1 + int(6)
  view.setUint32(out.length - 4, zlibCrc(out.subarray(0, out.length - 4)), true)
  return out
}
describe(`fuzz (seed ${SEED})`, () => {
  // it.live and a turn of the event loop every 1,000 cases: a synchronous loop of 100,000 cases blocks
  // the worker long enough on a loaded machine for Vitest's RPC to time out.
  it.live("100,000 mutated and random records decode to a value or a typed error, never a throw", () =>
    Effect.gen(function*() {
      const base = sampleRecords(300)
      const outcomes = { record: 0, end: 0, failure: 0 }
      const RUNS = 100_000
      for (let i = 0; i < RUNS; i++) {
        if (i % 1000 === 0) yield* yieldToEventLoop
        let bytes = mutate(base[i % base.length]!)
        if (i % 3 === 0) bytes = reframe(bytes)
        const result = WalRecord.decode(LoraCodec.codec, bytes, 0, bytes.length)
        if (result._tag === "Record") outcomes.record++
        else if (result._tag === "End") outcomes.end++
        else {
          expect(["Decode", "CrcMismatch", "Truncated", "UnknownKind"]).toContain(result.error._tag)
          outcomes.failure++
        }
      }
      console.log(`record fuzz: ${RUNS} cases`, outcomes)
      // The mutations reach every outcome, and the reframed cases exercise the payload decoder, not just the CRC check.
      expect(outcomes.record).toBeGreaterThan(0)
      expect(outcomes.end).toBeGreaterThan(0)
      expect(outcomes.failure).toBeGreaterThan(RUNS / 2)
    }))

  it.effect("10,000 mutated segment files replay to an outcome or a typed WalError", () =>
    Effect.gen(function*() {
      const log = new LogBuilder()
      const events = fc.sample(fc.array(Arbitraries.mutationEvent, { minLength: 1, maxLength: 3 }), { numRuns: 30, seed: SEED })
      events.forEach((batch, i) => {
        if (i % 10 === 9) log.rotate()
        log.commitTx(batch)
      })
      const files = log.files()
      const state = new MemoryFileSystem.MemoryState()
      const layer = MemoryFileSystem.layerWith(state)
      const tags = new Map<string, number>()
      const RUNS = 10_000
      for (let i = 0; i < RUNS; i++) {
        for (const key of state.children("/log")) state.nodes.delete(`/log/${key}`)
        const victim = int(files.length)
        files.forEach(([name, bytes], j) => state.write(`/log/${name}`, j === victim ? mutate(bytes) : bytes))
        const exit = yield* Effect.exit(Replay.replayDir("/log", { chunkBytes: 1 + int(512) }).pipe(Effect.provide(Layer.provideMerge(layer, Path.layer))))
        const tag = Exit.isSuccess(exit) ? "ok" : Cause.isFailType(exit.cause) ? exit.cause.error._tag : "defect"
        if (tag === "defect") throw new Error(`replay died on case ${i}: ${Cause.pretty((exit as any).cause)}`)
        tags.set(tag, (tags.get(tag) ?? 0) + 1)
      }
      console.log(`segment fuzz: ${RUNS} cases`, Object.fromEntries(tags))
      // The damage reaches a clean replay (a torn tail), a bad header and a malformed listing alike.
      expect([...tags.keys()]).toEqual(expect.arrayContaining(["ok", "BadSegmentHeader", "Malformed"]))
    }))

  it.effect("a record claiming 4 GiB in a 1 KiB file fails without reading or allocating it", () =>
    Effect.gen(function*() {
      const file = new Uint8Array(1024)
      file.set(Segment.encodeHeader({ baseLsn: lsn(1n) }))
      new DataView(file.buffer).setUint32(Segment.HEADER_LEN, 0xffff_fff0, true)
      const state = new MemoryFileSystem.MemoryState()
      state.write("/log/0000000001.wal", file)
      // Record the size of every read buffer the replay hands to the filesystem.
      let largestRead = 0
      const memory = MemoryFileSystem.make(state)
      const spying = FileSystem.make({
        ...memory,
        open: (path, options) =>
          Effect.map(memory.open(path, options), (f) => ({
            ...f,
            read: (buffer: Uint8Array) => {
              largestRead = Math.max(largestRead, buffer.length)
              return f.read(buffer)
            }
          }))
      })
      const outcome = yield* Replay.replayDir("/log").pipe(Effect.provide(Layer.provideMerge(Layer.succeed(FileSystem.FileSystem, spying), Path.layer)))
      expect(outcome.tornTail._tag === "Some" && outcome.tornTail.value.cause.message).toBe(
        `WAL record truncated: expected ${0xffff_fff0 - 4} bytes, got 0`
      )
      expect(largestRead).toBeLessThanOrEqual(1 << 20)
    }))

  it("a payload of lists nested a million deep is a Decode error, not a stack overflow", () => {
    const depth = 1_000_000
    const writer = new Writer(depth * 9 + 64)
    writer.raw(Uint8Array.of(0x4c, 0x57, 0x31, 0)) // LW1\0
    writer.u8(3) // SetNodeProperty
    writer.u64(1n)
    writer.string("k")
    for (let i = 0; i < depth; i++) {
      writer.u8(5) // List
      writer.len(1)
    }
    writer.u8(0) // Null
    const payload = writer.written
    const record = new Writer(payload.length + 32)
    record.u32(0)
    record.u8(WalRecord.Kind.Mutation)
    record.u64(2n)
    record.u64(1n)
    record.raw(payload)
    record.setU32At(0, record.length + 4)
    record.u32(zlibCrc(record.written))
    const result = WalRecord.decode(LoraCodec.codec, record.written, 0, record.length)
    expect(result._tag === "Failure" && result.error.message).toBe(
      `WAL record could not be decoded: value nesting deeper than ${LoraCodec.MAX_NESTING} levels`
    )
  })
})
