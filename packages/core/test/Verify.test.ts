import type * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { NodeFileSystem } from "@effect/platform-node"
import { describe, expect, it, layer } from "@effect/vitest"
import { FaultyFileSystem, MemoryFileSystem } from "@lora-wal/testkit"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as fc from "effect/FastCheck"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Crc32 from "../src/Crc32.js"
import * as DirLock from "../src/DirLock.js"
import * as EventCodec from "../src/EventCodec.js"
import * as Inspect from "../src/Inspect.js"
import * as LoraCodec from "../src/LoraCodec.js"
import { unsafeMake as lsn } from "../src/Lsn.js"
import type { MutationEvent } from "../src/MutationEvent.js"
import * as Segment from "../src/Segment.js"
import * as Verify from "../src/Verify.js"
import * as Wal from "../src/Wal.js"
import * as WalRecord from "../src/WalRecord.js"
import { fixturesRoot, scenarios } from "./fixtures.js"
import { buildLog, logAction as action, type LogAction } from "./logActions.js"
import { LogBuilder } from "./logBuilder.js"

const P = Verify.Problem
const event = (id: number): MutationEvent => ({ _tag: "DeleteNode", nodeId: BigInt(id) })
const segmentId = (n: number) => BigInt(n) as Segment.SegmentId

/** Compact form of problems for assertions where CRC values do not matter. */
const brief = (problems: ReadonlyArray<Verify.Problem>) =>
  problems.map((p) => [p._tag, p.file, "offset" in p ? p.offset : undefined, p.atOpen])

/** A memory disk holding `files` under /log, with what opening a log there needs. */
const memory = (files: ReadonlyArray<readonly [string, Uint8Array]>) => {
  const state = new MemoryFileSystem.MemoryState()
  state.mkdirs("/log")
  for (const [name, bytes] of files) state.write(`/log/${name}`, bytes)
  const faults = new FaultyFileSystem.Faults()
  const fsLayer = FaultyFileSystem.layer(faults).pipe(Layer.provide(MemoryFileSystem.layerWith(state)))
  return { state, faults, layer: Layer.provideMerge(DirLock.layerMemory, Layer.merge(fsLayer, Path.layer)) }
}

const flip = (bytes: Uint8Array, at: number, mask = 0xff): Uint8Array => {
  const copy = bytes.slice()
  copy[at] ^= mask
  return copy
}

/** The framing of a segment's records (offset, length, kind, lsn), from Inspect. */
const recordsOf = (bytes: Uint8Array) =>
  Inspect.frames(bytes).flatMap((r) => (r._tag === "Record" ? [r] : []))

/** A log of `segments` segments, each with `commits` one-event commitTx transactions. */
const rotatingLog = (segments: number, commits: number): LogBuilder => {
  const log = new LogBuilder()
  for (let s = 0; s < segments; s++) {
    if (s > 0) log.rotate()
    for (let c = 0; c < commits; c++) log.commitTx([event(s * 100 + c)])
  }
  return log
}

/** Appends a record as given (LSN included) to the active segment, bypassing the builder's bookkeeping. */
const appendRaw = <A>(log: LogBuilder, record: WalRecord.WalRecord<A>, codec: EventCodec.EventCodec<A>): void => {
  const written = WalRecord.encode(codec, log.segments[log.segments.length - 1]!.writer, record)
  if (Either.isLeft(written)) throw written.left
}

/** What this library's open does with a copy of `files` at `fence`. */
const openOutcome = (files: ReadonlyArray<readonly [string, Uint8Array]>, fence: bigint) =>
  Effect.scoped(Effect.map(Wal.make({ dir: "/log", fence }), (wal) => wal.recovery)).pipe(
    Effect.provide(memory(files).layer),
    Effect.exit
  )

/** Verify's per-problem verdicts must add up to what open does. */
const expectAgreesWithOpen = (
  report: Verify.Report,
  opened: Exit.Exit<Wal.Recovery<MutationEvent>, { readonly _tag: string }>
) => {
  const refused = report.problems.some((p) => p.atOpen === "refuse")
  expect(Exit.isFailure(opened)).toBe(refused)
  if (Exit.isSuccess(opened)) {
    expect(opened.value.tornTailTruncated).toBe(report.problems.some((p) => p.atOpen === "truncate"))
    expect(Option.isSome(opened.value.removedInterruptedSegment)).toBe(report.problems.some((p) => p.atOpen === "remove"))
  } else {
    const error = Exit.isFailure(opened) && opened.cause._tag === "Fail" ? opened.cause.error._tag : "defect"
    expect(["Malformed", "Corruption", "BadSegmentHeader"]).toContain(error)
  }
}

const filesOf = (dir: string): Array<readonly [string, Uint8Array]> =>
  fs.readdirSync(dir).sort().map((name) => [name, new Uint8Array(fs.readFileSync(path.join(dir, name)))] as const)

/** What each damaged fixture must report; every other scenario is healthy. Values from the bytes (expected.json). */
const damaged: Record<string, ReadonlyArray<Verify.Problem>> = {
  "bad-segment-header-crc": [
    P.BadHeader({ file: "0000000002.wal", offset: 0, reason: "header crc mismatch", atOpen: "refuse" })
  ],
  "bad-segment-magic": [P.BadHeader({ file: "0000000001.wal", offset: 0, reason: "bad magic", atOpen: "refuse" })],
  "crc-corrupt-active-middle": [
    P.CrcMismatch({ file: "0000000001.wal", offset: 403, lsn: lsn(8n), expected: 0xc80b6cdf, actual: 0x82cc634c, atOpen: "refuse" })
  ],
  "crc-corrupt-sealed": [
    P.CrcMismatch({ file: "0000000002.wal", offset: 579, lsn: lsn(47n), expected: 0x859094ac, actual: 0x6b3d4dc0, atOpen: "refuse" })
  ],
  "empty-segment-file": [P.InterruptedRotation({ file: "0000000002.wal", size: 0, atOpen: "remove" })],
  "segment-gap-in-middle": [
    P.SegmentGap({
      file: "0000000003.wal",
      missingFrom: segmentId(2),
      missingTo: segmentId(2),
      lostLsns: { from: lsn(37n), to: lsn(72n) },
      atOpen: "refuse"
    })
  ],
  "torn-tail-cut-batch": [
    P.BrokenFraming({ file: "0000000001.wal", offset: 403, fault: "truncated", declaredLength: 467, bytesLeft: 233, atOpen: "truncate" })
  ],
  "torn-tail-cut-commit": [
    P.BrokenFraming({ file: "0000000001.wal", offset: 526, fault: "truncated", declaredLength: 25, bytesLeft: 12, atOpen: "truncate" })
  ],
  "torn-tail-garbage": [
    P.BrokenFraming({
      file: "0000000001.wal",
      offset: 378,
      fault: "truncated",
      declaredLength: 0xefbeadde,
      bytesLeft: 6,
      atOpen: "truncate"
    })
  ],
  "torn-tail-unknown-kind": [P.UnknownKind({ file: "0000000001.wal", offset: 526, lsn: lsn(9n), kind: 9, atOpen: "truncate" })]
}

layer(Layer.provideMerge(NodeFileSystem.layer, Path.layer))("Verify on the lora-wal 0.8.3 fixtures", (it) => {
  it("covers every damaged scenario the fixtures hold", () => {
    for (const name of Object.keys(damaged)) expect(scenarios.map((s) => s.name)).toContain(name)
  })

  for (const scenario of scenarios) {
    const expected = damaged[scenario.name] ?? []
    it.effect(`${scenario.name}: ${expected.length === 0 ? "no problem" : expected.map((p) => p._tag).join(", ")}`, () =>
      Effect.gen(function*() {
        const report = yield* Verify.verifyDir(scenario.walDir)
        expect(report.problems).toEqual(expected)
        expect(report.omitted).toBe(0)
        // Where lora-wal's replay stopped, the problem is: same file, same offset.
        const torn = scenario.expected.replay_dir[0]?.result.torn_tail
        if (torn) expect(brief(report.problems)[0]?.slice(1, 3)).toEqual([torn.segment_file, Number(torn.last_good_offset)])
        // Reads cut records and headers across buffer boundaries; nothing may change.
        for (const chunkBytes of [1, 7, 41]) {
          expect((yield* Verify.verifyDir(scenario.walDir, { chunkBytes })).problems).toEqual(expected)
        }
      }))
  }

  it.effect("the summary counts segments, bytes, records and their LSNs", () =>
    Effect.gen(function*() {
      const report = yield* Verify.verifyDir(`${fixturesRoot}/many-commits-rotating/wal`)
      expect(Verify.summarize(report)).toBe("20 segments, 83339 bytes, 1200 records (lsn 1 to 1200): no problem")
      const empty = yield* Verify.verifyDir(`${fixturesRoot}/empty-fresh/wal`)
      expect(Verify.summarize(empty)).toBe("1 segment, 32 bytes, 0 records: no problem")
      const damagedReport = yield* Verify.verifyDir(`${fixturesRoot}/crc-corrupt-sealed/wal`)
      expect(Verify.summarize(damagedReport)).toBe("7 segments, 14135 bytes, 239 records (lsn 1 to 240): 1 problem")
    }))

  it.effect("each problem is one line naming the file and offset, and what open does", () =>
    Effect.gen(function*() {
      const line = (scenario: string) =>
        Effect.map(Verify.verifyDir(`${fixturesRoot}/${scenario}/wal`), (r) => r.problems.map(Verify.describe))
      expect(yield* line("crc-corrupt-sealed")).toEqual([
        "0000000002.wal offset 579: record CRC mismatch (lsn 47: stored 0x859094ac, computed 0x6b3d4dc0); open refuses the log"
      ])
      expect(yield* line("torn-tail-cut-commit")).toEqual([
        "0000000001.wal offset 526: record truncated: its length is 25 bytes but only 12 bytes are left; " +
        "a crash's torn tail: open cuts the segment here"
      ])
      expect(yield* line("segment-gap-in-middle")).toEqual([
        "0000000003.wal: segment 2 (0000000002.wal) is missing before this one (lsn 37 to 72 lost); open refuses the log"
      ])
      expect(yield* line("empty-segment-file")).toEqual([
        "0000000002.wal: 0 bytes without a valid segment header: a rotation interrupted before its header was written; " +
        "open removes the file"
      ])
      expect(yield* line("bad-segment-magic")).toEqual([
        "0000000001.wal offset 0: segment header is malformed: bad magic; open refuses the log"
      ])
    }))

  it.effect("with a fence, the log must reach back to it and transactions split by it are refused, as at open", () =>
    Effect.gen(function*() {
      const truncated = `${fixturesRoot}/checkpoint-and-truncate/wal`
      expect((yield* Verify.verifyDir(truncated, { fence: 0n })).problems).toEqual([
        P.FenceHole({ file: "0000000005.wal", baseLsn: lsn(145n), fence: lsn(0n), atOpen: "refuse" })
      ])
      expect(Verify.describe((yield* Verify.verifyDir(truncated, { fence: 0n })).problems[0]!)).toBe(
        "0000000005.wal: the log starts at lsn 145 but the fence is lsn 0: records 1 to 144 are missing; open refuses the log"
      )
      for (const fence of [144n, 180n, 362n]) expect((yield* Verify.verifyDir(truncated, { fence })).problems).toEqual([])
      // single-commit: TxBegin 1, MutationBatch 2, TxCommit 3. A fence inside the transaction leaves it without its begin.
      const single = `${fixturesRoot}/single-commit/wal`
      const [, batch, commit] = recordsOf(new Uint8Array(fs.readFileSync(`${single}/0000000001.wal`)))
      expect((yield* Verify.verifyDir(single, { fence: 1n })).problems).toEqual([
        P.OrphanRecord({ file: "0000000001.wal", offset: batch!.offset, lsn: lsn(2n), kind: "MutationBatch", txBeginLsn: lsn(1n), atOpen: "refuse" })
      ])
      expect((yield* Verify.verifyDir(single, { fence: 2n })).problems).toEqual([
        P.OrphanRecord({ file: "0000000001.wal", offset: commit!.offset, lsn: lsn(3n), kind: "TxCommit", txBeginLsn: lsn(1n), atOpen: "refuse" })
      ])
      expect((yield* Verify.verifyDir(single, { fence: 1000n })).problems).toEqual([])
    }))

  it.effect("agrees with this library's open on every fixture at every fence", () =>
    Effect.gen(function*() {
      for (const scenario of scenarios) {
        const files = filesOf(scenario.walDir)
        for (const { fence } of scenario.expected.replay_dir) {
          const report = yield* Verify.verifyDir(scenario.walDir, { fence: BigInt(fence) })
          expectAgreesWithOpen(report, yield* openOutcome(files, BigInt(fence)))
        }
      }
    }))

  it.effect("a missing directory fails the effect with Io NotFound", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Verify.verifyDir(`${fixturesRoot}/no-such-scenario/wal`))
      expect(error._tag).toBe("Io")
      expect(error.reason).toBe("NotFound")
    }))
})

describe("Verify names every problem", () => {
  it.effect("several independent problems are all reported, in file and offset order", () => {
    const log = rotatingLog(3, 4)
    const [one, two, three] = log.files().map(([, bytes]) => bytes)
    const batchInOne = recordsOf(one!).filter((r) => r.kindName === "MutationBatch")[1]!
    const commitInTwo = recordsOf(two!).filter((r) => r.kindName === "TxCommit")[2]!
    const lastInThree = recordsOf(three!).at(-1)!
    const files = [
      ["0000000001.wal", flip(one!, batchInOne.offset + 30)],
      ["0000000002.wal", flip(two!, commitInTwo.offset + commitInTwo.length - 1)], // its stored CRC
      ["0000000003.wal", three!.subarray(0, lastInThree.offset + 10)] // a crash mid-write
    ] as const
    return Effect.gen(function*() {
      const report = yield* Verify.verifyDir("/log")
      expect(brief(report.problems)).toEqual([
        ["CrcMismatch", "0000000001.wal", batchInOne.offset, "refuse"],
        ["CrcMismatch", "0000000002.wal", commitInTwo.offset, "refuse"],
        ["BrokenFraming", "0000000003.wal", lastInThree.offset, "truncate"]
      ])
      expect(report.problems[0]).toMatchObject({ lsn: batchInOne.lsn })
      expect(report.problems[1]).toMatchObject({ lsn: commitInTwo.lsn })
      expect(report.problems[2]).toMatchObject({ declaredLength: lastInThree.length, bytesLeft: 10 })
      // Replay would have stopped at the first; the records after each damage were still checked.
      expect(report.records).toBe(recordsOf(one!).length + recordsOf(two!).length + recordsOf(three!).length - 3)
      expectAgreesWithOpen(report, yield* openOutcome(files, 0n))
    }).pipe(Effect.provide(memory(files).layer))
  })

  it.effect("structure that replay refuses: bad payload, orphan commit, checkpoint from the future, LSNs going back", () => {
    const log = rotatingLog(1, 2) // lsns 1..6
    const schemaCodec = EventCodec.fromSchema(Schema.String)
    const offsets: Array<number> = []
    const mark = () => offsets.push(log.segments[0]!.writer.length)
    mark()
    appendRaw(log, { _tag: "TxBegin", lsn: lsn(7n) }, LoraCodec.codec)
    mark()
    appendRaw(log, { _tag: "Mutation", lsn: lsn(8n), txBeginLsn: lsn(7n), event: "not a LoraDB event" }, schemaCodec)
    appendRaw(log, { _tag: "TxCommit", lsn: lsn(9n), txBeginLsn: lsn(7n) }, LoraCodec.codec)
    mark()
    appendRaw(log, { _tag: "TxCommit", lsn: lsn(10n), txBeginLsn: lsn(99n) }, LoraCodec.codec)
    appendRaw(log, { _tag: "TxAbort", lsn: lsn(11n), txBeginLsn: lsn(99n) }, LoraCodec.codec) // same orphan: once
    mark()
    appendRaw(log, { _tag: "Checkpoint", lsn: lsn(12n), snapshotLsn: lsn(20n) }, LoraCodec.codec)
    mark()
    appendRaw(log, { _tag: "TxBegin", lsn: lsn(5n) }, LoraCodec.codec)
    appendRaw(log, { _tag: "TxAbort", lsn: lsn(13n), txBeginLsn: lsn(5n) }, LoraCodec.codec)
    const files = log.files()
    return Effect.gen(function*() {
      const report = yield* Verify.verifyDir("/log")
      const file = "0000000001.wal"
      expect(report.problems).toEqual([
        P.BadPayload({
          file,
          offset: offsets[1]!,
          lsn: lsn(8n),
          kind: "Mutation",
          reason: "WAL mutation payload has bad magic",
          atOpen: "refuse"
        }),
        P.OrphanRecord({ file, offset: offsets[2]!, lsn: lsn(10n), kind: "TxCommit", txBeginLsn: lsn(99n), atOpen: "refuse" }),
        P.BadCheckpoint({ file, offset: offsets[3]!, lsn: lsn(12n), snapshotLsn: lsn(20n), previousSnapshotLsn: undefined, atOpen: "refuse" }),
        P.LsnOrder({ file, offset: offsets[4]!, lsn: lsn(5n), previousLsn: lsn(12n), atOpen: "refuse" })
      ])
      expectAgreesWithOpen(report, yield* openOutcome(files, 0n))
      // The codec option: a log of another codec's events is healthy under that codec.
      const other = new LogBuilder()
      appendRaw(other, { _tag: "TxBegin", lsn: lsn(1n) }, schemaCodec)
      appendRaw(other, { _tag: "Mutation", lsn: lsn(2n), txBeginLsn: lsn(1n), event: "deposit" }, schemaCodec)
      appendRaw(other, { _tag: "TxCommit", lsn: lsn(3n), txBeginLsn: lsn(1n) }, schemaCodec)
      const otherLayer = memory(other.files()).layer
      const byDefault = yield* Verify.verifyDir("/log").pipe(Effect.provide(otherLayer))
      expect(brief(byDefault.problems)).toEqual([["BadPayload", file, 57, "refuse"]])
      expect((yield* Verify.verifyDir("/log", { codec: schemaCodec }).pipe(Effect.provide(otherLayer))).problems).toEqual([])
    }).pipe(Effect.provide(memory(files).layer))
  })

  it.effect("damage is one problem: the records of a transaction whose TxBegin was lost are not reported again", () => {
    const log = rotatingLog(2, 3)
    const [one, two] = log.files().map(([, bytes]) => bytes)
    const begin = recordsOf(one!).filter((r) => r.kindName === "TxBegin")[1]!
    const files = [["0000000001.wal", flip(one!, begin.offset + 6)], ["0000000002.wal", two!]] as const
    return Effect.gen(function*() {
      const report = yield* Verify.verifyDir("/log")
      expect(brief(report.problems)).toEqual([["CrcMismatch", "0000000001.wal", begin.offset, "refuse"]])
    }).pipe(Effect.provide(memory(files).layer))
  })

  it.effect("history before the oldest segment: unknown without a fence, checked against one", () => {
    // Transaction 1 is begun in segment 1 and committed in segment 2; segment 1 is then truncated away.
    const log = new LogBuilder()
    const spanning = log.begin()
    log.commitTx([event(1)])
    log.rotate()
    log.commit(spanning) // lsn 5, the base of segment 2
    log.commitTx([event(2)])
    const files = [log.files()[1]!]
    return Effect.gen(function*() {
      expect((yield* Verify.verifyDir("/log")).problems).toEqual([])
      // At fence 4 the log reaches back far enough, but the commit's TxBegin is in the snapshot: replay refuses it.
      const atFour = yield* Verify.verifyDir("/log", { fence: 4n })
      expect(atFour.problems).toEqual([
        P.OrphanRecord({ file: "0000000002.wal", offset: 32, lsn: lsn(5n), kind: "TxCommit", txBeginLsn: lsn(1n), atOpen: "refuse" })
      ])
      expectAgreesWithOpen(atFour, yield* openOutcome(files, 4n))
      // At fence 0 the hole is the problem; what it swallowed is not reported again.
      expect(brief((yield* Verify.verifyDir("/log", { fence: 0n })).problems)).toEqual([
        ["FenceHole", "0000000002.wal", undefined, "refuse"]
      ])
      // At fence 5 (the snapshot the truncation was for) the log is healthy.
      expect((yield* Verify.verifyDir("/log", { fence: 5n })).problems).toEqual([])
    }).pipe(Effect.provide(memory(files).layer))
  })

  it.effect("an interrupted rotation is removed at open, and the segment before it is the active one", () => {
    const log = rotatingLog(2, 3)
    const [one, two] = log.files().map(([, bytes]) => bytes)
    const last = recordsOf(two!).at(-1)!
    const garbageHeader = flip(Segment.encodeHeader({ baseLsn: lsn(19n) }), 28) // header CRC broken, nothing else
    const files = [
      ["0000000001.wal", one!],
      ["0000000002.wal", two!.subarray(0, last.offset + 10)],
      ["0000000003.wal", garbageHeader]
    ] as const
    return Effect.gen(function*() {
      const report = yield* Verify.verifyDir("/log")
      expect(report.problems).toEqual([
        P.BrokenFraming({
          file: "0000000002.wal",
          offset: last.offset,
          fault: "truncated",
          declaredLength: last.length,
          bytesLeft: 10,
          atOpen: "truncate"
        }),
        P.InterruptedRotation({ file: "0000000003.wal", size: 32, atOpen: "remove" })
      ])
      expectAgreesWithOpen(report, yield* openOutcome(files, 0n))
    }).pipe(Effect.provide(memory(files).layer))
  })

  it.effect("a header-only newest segment with a valid header is healthy; an older segment shorter than a header is not", () => {
    const log = rotatingLog(2, 2)
    log.rotate()
    const files = log.files()
    const short = [["0000000001.wal", files[0]![1].subarray(0, 20)], files[1]!, files[2]!] as const
    return Effect.gen(function*() {
      expect((yield* Verify.verifyDir("/log").pipe(Effect.provide(memory(files).layer))).problems).toEqual([])
      const report = yield* Verify.verifyDir("/log").pipe(Effect.provide(memory(short).layer))
      expect(report.problems).toEqual([P.HeaderIncomplete({ file: "0000000001.wal", offset: 0, size: 20, atOpen: "refuse" })])
      expectAgreesWithOpen(report, yield* openOutcome(short, 0n))
    })
  })

  it.effect("a segment that cannot be opened is one problem; the others are still checked", () => {
    const log = rotatingLog(3, 2)
    const files = log.files().map(([name, bytes], i) => [name, i === 2 ? flip(bytes, 40) : bytes] as const)
    const { faults, layer: memoryLayer } = memory([...files, ["0000000002.wal.tmp", new Uint8Array(3)]])
    faults.inject({ operation: "open", nth: 1, code: "EIO", persistent: true, pathIncludes: "0000000002.wal" })
    return Effect.gen(function*() {
      const report = yield* Verify.verifyDir("/log")
      expect(brief(report.problems)).toEqual([
        ["Unreadable", "0000000002.wal", undefined, "refuse"],
        ["CrcMismatch", "0000000003.wal", 32, "refuse"]
      ])
      expect(Verify.describe(report.problems[0]!)).toMatch(/^0000000002\.wal: cannot be read: .*i\/o error.*; open refuses the log$/)
    }).pipe(Effect.provide(memoryLayer))
  })

  it.effect("past maxProblems, problems are counted, not kept", () => {
    const log = rotatingLog(1, 6)
    const [bytes] = log.files().map(([, b]) => b)
    let damagedBytes = bytes!
    const batches = recordsOf(bytes!).filter((r) => r.kindName === "MutationBatch").slice(0, 5)
    for (const r of batches) damagedBytes = flip(damagedBytes, r.offset + 25)
    return Effect.gen(function*() {
      const report = yield* Verify.verifyDir("/log", { maxProblems: 2 })
      expect(brief(report.problems)).toEqual(batches.slice(0, 2).map((r) => ["CrcMismatch", "0000000001.wal", r.offset, "refuse"]))
      expect(report.omitted).toBe(3)
      expect(Verify.summarize(report)).toMatch(/: 5 problems$/)
    }).pipe(Effect.provide(memory([["0000000001.wal", damagedBytes]]).layer))
  })

  it.effect("reads in chunks through the Crc32 service, reporting progress up to the log's size", () => {
    const log = rotatingLog(3, 20)
    const files = log.files()
    const total = files.reduce((n, [, b]) => n + b.length, 0)
    let crcCalls = 0
    const progress: Array<Verify.Progress> = []
    return Effect.gen(function*() {
      const report = yield* Verify.verifyDir("/log", {
        chunkBytes: 256,
        onProgress: (p) => Effect.sync(() => void progress.push(p))
      }).pipe(Effect.provideService(Crc32.Crc32, (b) => (crcCalls++, Crc32.portable(b))))
      expect(report.problems).toEqual([])
      expect(crcCalls).toBe(report.records)
      expect(report.records).toBe(180)
      expect(progress.length).toBeGreaterThan(total / 256 - 1)
      expect(progress.at(-1)).toEqual({ bytesRead: total, totalBytes: total })
      expect(progress.every((p, i) => i === 0 || p.bytesRead > progress[i - 1]!.bytesRead)).toBe(true)
    }).pipe(Effect.provide(memory(files).layer))
  })

  it.effect("an empty directory is a healthy log with nothing in it", () =>
    Effect.gen(function*() {
      const report = yield* Verify.verifyDir("/log")
      expect(report).toEqual({ problems: [], omitted: 0, segments: 0, bytes: 0, records: 0, firstLsn: 0n, maxLsn: 0n })
    }).pipe(Effect.provide(memory([]).layer)))
})

/** A valid log from random actions, with at least two segments holding records. */
const build = (actions: ReadonlyArray<LogAction>): LogBuilder =>
  buildLog([
    { _tag: "commitTx", events: [event(0)] },
    { _tag: "rotate" },
    { _tag: "commitTx", events: [event(1)] },
    ...actions
  ])

const run = <A, E>(
  effect: Effect.Effect<A, E, FileSystem.FileSystem | Path.Path>,
  files: ReadonlyArray<readonly [string, Uint8Array]>
) => Effect.runPromise(Effect.provide(effect, memory(files).layer))

describe("Verify properties", () => {
  it("a healthy random log has no problem, and every record is counted", () =>
    fc.assert(
      fc.asyncProperty(fc.array(action, { maxLength: 40 }), async (actions) => {
        const log = build(actions)
        const files = log.files()
        const report = await run(Verify.verifyDir("/log", { chunkBytes: 64 }), files)
        expect(report.problems).toEqual([])
        expect(report.records).toBe(files.reduce((n, [, b]) => n + recordsOf(b).length, 0))
        expect(report.maxLsn).toBe(log.nextLsn - 1n)
      }),
      { numRuns: 200 }
    ))

  it("a byte flipped inside a record yields a problem naming its segment", () =>
    fc.assert(
      fc.asyncProperty(
        fc.array(action, { maxLength: 40 }),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (actions, segmentPick, offsetPick, mask) => {
          const files = build(actions).files()
          const withRecords = files.filter(([, b]) => b.length > Segment.HEADER_LEN)
          const [name, bytes] = withRecords[segmentPick % withRecords.length]!
          const at = Segment.HEADER_LEN + (offsetPick % (bytes.length - Segment.HEADER_LEN))
          const damagedFiles = files.map(([n, b]) => [n, n === name ? flip(b, at, mask) : b] as const)
          const report = await run(Verify.verifyDir("/log", { chunkBytes: 97 }), damagedFiles)
          expect(report.problems.map((p) => p.file)).toContain(name)
        }
      ),
      { numRuns: 300 }
    ))

  it("its verdicts add up to what open does, whatever the damage and the fence", () =>
    fc.assert(
      fc.asyncProperty(
        fc.array(action, { maxLength: 30 }),
        fc.array(fc.record({ file: fc.nat(), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }), { maxLength: 3 }),
        fc.uint8Array({ maxLength: 30 }),
        fc.option(fc.nat({ max: 80 }), { nil: undefined }),
        async (actions, flips, tail, fenceRaw) => {
          let files = build(actions).files()
          const lastIndex = files.length - 1
          files = files.map(([n, b], i) => [n, i === lastIndex ? Uint8Array.of(...b, ...tail) : b] as const)
          for (const f of flips) {
            const i = f.file % files.length
            const [n, b] = files[i]!
            files[i] = [n, flip(b, f.at % b.length, f.mask)]
          }
          // Without a fence verify holds nothing before the oldest segment against the log; open starts at 0.
          const fence = fenceRaw === undefined ? undefined : BigInt(fenceRaw)
          const report = await run(Verify.verifyDir("/log", { fence }), files)
          expectAgreesWithOpen(report, await Effect.runPromise(openOutcome(files, fence ?? 0n)))
        }
      ),
      { numRuns: 300 }
    ))
})
