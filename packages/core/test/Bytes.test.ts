import { describe, expect, it } from "@effect/vitest"
import { DecodeFailure, Reader, Writer } from "../src/Bytes.js"

const readAll = (values: ReadonlyArray<string>, read: (r: Reader) => string) => {
  const w = new Writer(16)
  for (const v of values) w.string(v)
  const r = new Reader(w.written)
  return values.map(() => read(r))
}

describe("Reader.name", () => {
  it("reads what Writer.string wrote, through cache hits, hash collisions and non-ASCII", () => {
    // 5,000 distinct names overflow the 1,024-slot cache many times; each is then read again.
    const distinct = Array.from({ length: 5000 }, (_, i) => `key-${i}`)
    const names = [
      ...distinct,
      ...distinct,
      "",
      "é",
      "名前",
      "x".repeat(32),
      "x".repeat(33),
      "𝄞 clef",
      "abc",
      "abd",
      "abc"
    ]
    expect(readAll(names, (r) => r.name())).toEqual(names)
    expect(readAll(names, (r) => r.name())).toEqual(readAll(names, (r) => r.string()))
  })

  it("fails like string() on truncated input and invalid UTF-8", () => {
    const w = new Writer(16)
    w.string("abcdef")
    const truncated = w.written.subarray(0, w.length - 2)
    expect(() => new Reader(truncated).name()).toThrow(DecodeFailure)
    expect(() => new Reader(truncated).name()).toThrow("truncated WAL mutation payload")
    const invalid = new Writer(16)
    invalid.len(2)
    invalid.raw(Uint8Array.of(0xc3, 0x28))
    expect(() => new Reader(invalid.written).name()).toThrow("invalid UTF-8 in WAL payload")
  })
})
