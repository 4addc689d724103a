import * as Layer from "effect/Layer"
import * as Path from "@effect/platform/Path"
import { NodeFileSystem } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as fs from "node:fs"
import * as path from "node:path"
import { Writer } from "../src/Bytes.js"
import * as Inspect from "../src/Inspect.js"
import * as LoraCodec from "../src/LoraCodec.js"
import * as WalRecord from "../src/WalRecord.js"
import * as ReplayReport from "../src/ReplayReport.js"
import * as Segment from "../src/Segment.js"
import { scenarios } from "./fixtures.js"

const segmentFiles = scenarios.flatMap((scenario) =>
  fs.readdirSync(scenario.walDir)
    .filter((name) => Segment.parseFileName(name) !== undefined)
    .map((name) => ({ scenario, name, bytes: new Uint8Array(fs.readFileSync(path.join(scenario.walDir, name))) }))
)

describe("fixture bytes round-trip", () => {
  it("finds segment files and records in the fixtures", () => {
    expect(segmentFiles.length).toBeGreaterThan(50)
    expect(segmentFiles.reduce((n, f) => n + Inspect.frames(f.bytes).length, 0)).toBeGreaterThan(1000)
  })

  for (const { bytes, name, scenario } of segmentFiles) {
    it(`${scenario.name}/${name}: header and records re-encode to identical bytes`, () => {
      const header = Segment.decodeHeader(bytes)
      if (Either.isRight(header)) {
        const reencoded = Segment.encodeHeader({ baseLsn: header.right.baseLsn, flags: header.right.flags })
        expect(reencoded).toEqual(bytes.subarray(0, Segment.HEADER_LEN))
      }
      if (bytes.length < Segment.HEADER_LEN) return
      // Every well-framed record, including those after a damaged one.
      const writer = new Writer(64)
      let reencoded = 0
      for (const frame of Inspect.frames(bytes)) {
        if (frame._tag !== "Record" || !frame.crcOk || frame.kindName === undefined) continue
        const decoded = WalRecord.decode(LoraCodec.codec, bytes, frame.offset, bytes.length)
        expect(decoded._tag).toBe("Record")
        if (decoded._tag !== "Record") continue
        writer.reset()
        expect(WalRecord.encode(LoraCodec.codec, writer, decoded.record)).toEqual(Either.right(frame.length))
        expect(writer.written).toEqual(bytes.subarray(frame.offset, frame.offset + frame.length))
        reencoded++
      }
      expect(reencoded).toBe(
        Inspect.frames(bytes).filter((f) => f._tag === "Record" && f.crcOk && f.kindName !== undefined).length
      )
    })
  }
})

describe("Inspect against the fixtures' file listings", () => {
  for (const scenario of scenarios) {
    it.effect(scenario.name, () =>
      Effect.gen(function*() {
        const files = yield* Inspect.inspectDir(scenario.walDir)
        expect(files.map(ReplayReport.file)).toEqual(
          scenario.expected.files.map((f) => ({ ...f, ...(f.is_segment && !("records" in f) ? { records: [] } : {}) }))
        )
      }).pipe(Effect.provide(Layer.provideMerge(NodeFileSystem.layer, Path.layer))))
  }
})
