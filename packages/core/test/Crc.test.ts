import * as Path from "@effect/platform/Path"
import { describe, expect, it } from "@effect/vitest"
import { MemoryFileSystem } from "@lora-wal/testkit"
import * as Effect from "effect/Effect"
import * as fc from "effect/FastCheck"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Crc32 from "../src/Crc32.js"
import * as DirLock from "../src/DirLock.js"
import { crc32 } from "../src/internal/crc.js"
import * as Replay from "../src/Replay.js"
import * as Wal from "../src/Wal.js"

/** The textbook bit-at-a-time IEEE CRC32: slow, but too simple to get wrong the way a table can. */
const reference = (bytes: Uint8Array): number => {
  let crc = 0xffffffff
  for (const byte of bytes) {
    crc ^= byte
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}

const ascii = (text: string) => new TextEncoder().encode(text)

/** Pseudo-random bytes from a seed (xorshift32), so that a failing case shrinks on a few numbers, not on every byte. */
const seededBytes = (seed: number, length: number): Uint8Array => {
  let x = seed | 1
  return Uint8Array.from({ length }, () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return x & 0xff
  })
}

/**
 * A view into a larger buffer, with bytes before it (so any alignment of its
 * `byteOffset`) and after it (which it must not read), of any length up to
 * past the 256 bytes where the word-at-a-time path takes over.
 */
const subarray = fc.record({
  seed: fc.integer(),
  before: fc.nat({ max: 15 }),
  length: fc.nat({ max: 3000 }),
  after: fc.nat({ max: 15 })
}).map(({ after, before, length, seed }) =>
  seededBytes(seed, before + length + after).subarray(before, before + length)
)

describe("internal crc32", () => {
  it("gives the published check values", () => {
    expect(crc32(new Uint8Array(0))).toBe(0)
    expect(crc32(ascii("a"))).toBe(0xe8b7be43)
    expect(crc32(ascii("abc"))).toBe(0x352441c2)
    expect(crc32(ascii("123456789"))).toBe(0xcbf43926)
    expect(crc32(ascii("The quick brown fox jumps over the lazy dog"))).toBe(0x414fa339)
  })

  it("the reference agrees with the published check values, so it can judge", () => {
    expect(reference(ascii("123456789"))).toBe(0xcbf43926)
    expect(reference(ascii("The quick brown fox jumps over the lazy dog"))).toBe(0x414fa339)
  })

  it.prop("agrees with the bitwise reference on any subarray", [subarray], ([bytes]) => {
    expect(crc32(bytes)).toBe(reference(bytes))
  }, { fastCheck: { numRuns: 300 } })

  it.prop("a subarray's checksum covers only its own bytes", [subarray], ([bytes]) => {
    expect(crc32(bytes)).toBe(crc32(bytes.slice()))
  })

  it("agrees with the reference at every alignment around the word path's threshold", () => {
    const backing = Uint8Array.from({ length: 600 }, (_, i) => Math.imul(i + 7, 2654435761) >>> 24)
    for (let start = 0; start < 8; start++) {
      for (const length of [0, 7, 8, 9, 255, 256, 257, 263, 264, 265, 511, 512, 513]) {
        const bytes = backing.subarray(start, start + length)
        expect(crc32(bytes), `start ${start}, length ${length}`).toBe(reference(bytes))
      }
    }
  })
})

describe("the Crc32 service", () => {
  // A CRC that differs from the real one in every record: what the log wrote with it, only it can read back.
  const skewed: Crc32.Crc32Function = (bytes) => (Crc32.portable(bytes) ^ 0x5a5a5a5a) >>> 0
  const platform = () => Layer.provideMerge(DirLock.layerMemory, Layer.merge(MemoryFileSystem.layer, Path.layer))

  it.effect("the live log frames records and replay checks them with the Crc32 in context", () =>
    Effect.gen(function*() {
      yield* Effect.scoped(Effect.flatMap(Wal.make({ dir: "/log" }), (wal) => wal.commitTx([{ _tag: "Clear" }])))
        .pipe(Effect.provideService(Crc32.Crc32, skewed))
      const withSkewed = yield* Replay.replayDir("/log").pipe(Effect.provideService(Crc32.Crc32, skewed))
      expect(withSkewed.committedEvents).toEqual([{ _tag: "Clear" }])
      const withPortable = yield* Replay.replayDir("/log")
      expect(withPortable.committedEvents).toEqual([])
      expect(Option.map(withPortable.tornTail, (tail) => tail.cause._tag)).toEqual(Option.some("CrcMismatch"))
    }).pipe(Effect.provide(platform())))
})
