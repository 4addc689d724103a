import { describe, expect, it } from "@effect/vitest"
import * as Crc32 from "@lora-wal/core/Crc32"
import * as fc from "effect/FastCheck"
import * as NodeCrc32 from "../src/NodeCrc32.js"

describe("NodeCrc32", () => {
  it.prop(
    "gives the portable CRC's value on both sides of the native threshold, at any offset in a buffer",
    [fc.uint8Array({ minLength: 0, maxLength: 2 * NodeCrc32.NATIVE_FROM_BYTES }), fc.nat(7)],
    ([bytes, offset]) => {
      const inner = new Uint8Array(bytes.length + 8).fill(0xa5).subarray(offset, offset + bytes.length)
      inner.set(bytes)
      expect(NodeCrc32.crc32(inner)).toBe(Crc32.portable(inner))
    },
    { fastCheck: { numRuns: 500 } }
  )
})
