import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import * as Inspect from "@lora-wal/core/Inspect"
import * as Lsn from "@lora-wal/core/Lsn"
import type { MutationEvent } from "@lora-wal/core/MutationEvent"
import * as Wal from "@lora-wal/core/Wal"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as path from "node:path"
import { scenarios } from "../../core/test/fixtures.js"
import * as NodeDirLock from "../src/NodeDirLock.js"
import { runCli } from "./cli.js"
import { nodePlatform } from "./layers.js"

const node = (id: number, ...labels: Array<string>): MutationEvent => ({
  _tag: "CreateNode",
  id: BigInt(id),
  labels,
  properties: new Map([["name", { _tag: "String", value: `n${id}` }]])
})

/** The transactions the test log commits, by number of events: 1, 2, 5, 1. */
const committed: ReadonlyArray<ReadonlyArray<MutationEvent>> = [
  [node(1, "Person")],
  [node(2), { _tag: "CreateRelationship", id: 10n, src: 1n, dst: 2n, relType: "KNOWS", properties: new Map() }],
  [1, 2, 3, 4, 5].map((i) => ({ _tag: "AddNodeLabel", nodeId: BigInt(i), label: "Tagged" }) as const),
  [{ _tag: "Clear" }]
]
const SNAPSHOT_LSN = Lsn.unsafeMake(3n)

/**
 * A log over several segments: the committed transactions above, one
 * aborted transaction after the first, and a checkpoint marker.
 */
const writeLog = Effect.gen(function*() {
  const dir = nodePlatform.freshDir()
  yield* Effect.scoped(Effect.gen(function*() {
    const wal = yield* Wal.make({ dir, segmentTargetBytes: 128 })
    yield* wal.commitTx(committed[0]!)
    const aborted = yield* wal.begin
    yield* wal.append(aborted, node(99))
    yield* wal.abort(aborted)
    yield* wal.checkpointMarker(SNAPSHOT_LSN)
    for (const events of committed.slice(1)) yield* wal.commitTx(events)
  }))
  return dir
}).pipe(Effect.provide(Layer.merge(NodeContext.layer, NodeDirLock.layer)))

/** Every record of `dir` as the library reads it, with its segment's file name. */
const recordsOf = (dir: string) =>
  Inspect.segments(dir).pipe(
    Stream.mapConcat((s) => Array.from(s.records, (r) => ({ segment: s.name, record: r }))),
    Stream.runCollect,
    Effect.map(Chunk.toReadonlyArray),
    Effect.provide(NodeContext.layer)
  )

const dumpJson = (dir: string, ...args: ReadonlyArray<string>) =>
  Effect.map(runCli("dump", dir, "--json", ...args), ({ exitCode, stdout }) => {
    expect(exitCode).toBe(0)
    return stdout === "" ? [] : stdout.split("\n").map((line) => JSON.parse(line))
  })

describe("lora-wal dump", () => {
  it.effect("prints one line per record of every segment, in LSN order", () =>
    Effect.gen(function*() {
      const dir = yield* writeLog
      const records = yield* recordsOf(dir)
      const lines = yield* dumpJson(dir)
      expect(new Set(records.map((r) => r.segment)).size).toBeGreaterThan(2)
      expect(lines.map((l) => [l.segment, l.offset, l.lsn, l.kind])).toEqual(
        records.map(({ record, segment }) =>
          record._tag === "Record" ? [segment, record.offset, String(record.lsn), record.kindName] : []
        )
      )
      const lsns = lines.map((l) => BigInt(l.lsn))
      expect(lsns).toEqual(lsns.map((_, i) => lsns[0]! + BigInt(i)))
      expect(lines.every((l) => l.crc_ok === true)).toBe(true)
    }))

  it.effect("--json gives each mutation record's events in the fixtures' form", () =>
    Effect.gen(function*() {
      const dir = yield* writeLog
      const events = (yield* dumpJson(dir)).flatMap((l) => l.events ?? [])
      expect(events.map((e) => e.type)).toEqual(
        [committed[0]!, [node(99)], ...committed.slice(1)].flat().map((e) => e._tag)
      )
      expect(events[0]).toEqual({
        type: "CreateNode",
        id: "1",
        labels: ["Person"],
        properties: { name: { type: "String", value: "n1" } }
      })
    }))

  it.effect("the human line names the LSN, kind, transaction, length, CRC, place and events", () =>
    Effect.gen(function*() {
      const dir = yield* writeLog
      const args = ["--kind", "MutationBatch", "--from-lsn", "8", "--limit", "1"]
      const first = (yield* dumpJson(dir, ...args))[0]
      const { exitCode, stdout } = yield* runCli("dump", dir, ...args)
      expect(exitCode).toBe(0)
      expect(stdout).toBe(
        `lsn ${first.lsn}  MutationBatch  tx ${first.tx_begin_lsn}  len ${first.length}  crc ok  ` +
          `${first.segment}+${first.offset}  2 events: CreateNode 2 {name}, CreateRelationship 10 (1)-[:KNOWS]->(2)`
      )
    }))

  it.effect("--from-lsn and --to-lsn select an inclusive range of LSNs", () =>
    Effect.gen(function*() {
      const dir = yield* writeLog
      const lines = yield* dumpJson(dir, "--from-lsn", "4", "--to-lsn", "9")
      expect(lines.map((l) => l.lsn)).toEqual(["4", "5", "6", "7", "8", "9"])
    }))

  it.effect("--kind selects kinds, repeatable", () =>
    Effect.gen(function*() {
      const dir = yield* writeLog
      const commits = yield* dumpJson(dir, "--kind", "TxCommit")
      expect(commits).toHaveLength(committed.length)
      const markers = yield* dumpJson(dir, "--kind", "TxAbort", "--kind", "Checkpoint")
      expect(markers.map((l) => l.kind)).toEqual(["TxAbort", "Checkpoint"])
      expect(markers[1].tx_begin_lsn).toBe(String(SNAPSHOT_LSN))
    }))

  it.effect("--segment takes an id or a file name, and --limit stops after that many records", () =>
    Effect.gen(function*() {
      const dir = yield* writeLog
      const records = yield* recordsOf(dir)
      const second = records.filter((r) => r.segment === "0000000002.wal")
      expect((yield* dumpJson(dir, "--segment", "2")).map((l) => l.offset)).toEqual(second.map((r) => r.record.offset))
      expect(yield* dumpJson(dir, "--segment", "0000000002.wal")).toEqual(yield* dumpJson(dir, "--segment", "2"))
      const all = yield* dumpJson(dir)
      expect(yield* dumpJson(dir, "--limit", "3")).toEqual(all.slice(0, 3))
      expect(yield* dumpJson(dir, "--segment", "99")).toEqual([])
    }))

  it.effect("damage is shown whatever the filters say", () =>
    Effect.gen(function*() {
      const dir = scenarios.find((s) => s.name === "crc-corrupt-active-middle")!.walDir
      const lines = yield* dumpJson(dir, "--kind", "TxBegin")
      expect(lines.filter((l) => l.crc_ok === false)).toHaveLength(1)
      expect(lines.filter((l) => l.crc_ok === true).every((l) => l.kind === "TxBegin")).toBe(true)
      const human = yield* runCli("dump", dir, "--kind", "TxBegin")
      expect(human.stdout).toMatch(/crc BAD  0000000001\.wal\+403  CRC mismatch: payload not read/)
    }))

  it.effect("a bad segment header and missing segments are named; damage does not count toward --limit", () =>
    Effect.gen(function*() {
      const walOf = (name: string) => scenarios.find((s) => s.name === name)!.walDir
      expect((yield* runCli("dump", walOf("bad-segment-header-crc"))).stdout)
        .toContain("0000000002.wal offset 0: segment header: CRC mismatch")
      expect((yield* runCli("dump", walOf("segment-gap-in-middle"))).stdout)
        .toContain("0000000003.wal offset 0: segment 2 is missing before this one")
      expect((yield* runCli("dump", walOf("empty-segment-file"))).stdout)
        .toContain("0000000002.wal offset 0: segment header incomplete (0 of 32 bytes)")
      const limited = yield* dumpJson(walOf("crc-corrupt-active-middle"), "--from-lsn", "20", "--limit", "1")
      expect(limited.map((l) => [l.lsn, l.crc_ok])).toEqual([["8", false], ["20", true]])
    }))

  it.effect("a torn tail is shown as the place where framing stops", () =>
    Effect.gen(function*() {
      const dir = scenarios.find((s) => s.name === "torn-tail-cut-commit")!.walDir
      const size = fs.statSync(path.join(dir, "0000000001.wal")).size
      const last = (yield* dumpJson(dir)).at(-1)
      expect(last).toMatchObject({ segment: "0000000001.wal", incomplete_or_invalid: true })
      expect(last.offset + last.available).toBe(size)
    }))

  const usageCases: ReadonlyArray<[ReadonlyArray<string>, string]> = [
    [["--from-lsn", "x"], `--from-lsn must be an LSN (0 to 2^64-1), got "x"`],
    [["--to-lsn", "-1"], `--to-lsn must be an LSN (0 to 2^64-1), got "-1"`],
    [["--from-lsn", "9", "--to-lsn", "3"], "--from-lsn 9 is above --to-lsn 3"],
    [["--segment", "wal.txt"], `--segment must be a segment id or a file name like 0000000003.wal, got "wal.txt"`],
    [["--limit", "0"], "--limit must be at least 1, got 0"]
  ]
  for (const [args, message] of usageCases) {
    it.effect(`usage: ${args.join(" ")}`, () =>
      Effect.gen(function*() {
        const { exitCode, stderr, stdout } = yield* runCli("dump", scenarios[0]!.walDir, ...args)
        expect({ exitCode, stderr, stdout }).toEqual({ exitCode: 2, stderr: `lora-wal: ${message}`, stdout: "" })
      }))
  }

  it.effect("an unknown kind is refused by the command line", () =>
    Effect.gen(function*() {
      const { exitCode, stdout } = yield* runCli("dump", scenarios[0]!.walDir, "--kind", "Commit")
      expect(exitCode).toBe(2)
      expect(stdout).toBe("")
    }))
})

describe("lora-wal inspect filters", () => {
  it.effect("--segment, --kind and --limit narrow the byte view; --json keeps the fixtures' shape", () =>
    Effect.gen(function*() {
      const dir = yield* writeLog
      const { exitCode, stdout } = yield* runCli("inspect", dir, "--json", "--segment", "1", "--kind", "TxCommit", "--limit", "1")
      expect(exitCode).toBe(0)
      const files = JSON.parse(stdout).files
      expect(files.map((f: { name: string }) => f.name)).toEqual(["0000000001.wal"])
      expect(files[0].records.map((r: { kind_name: string; lsn: string }) => [r.kind_name, r.lsn])).toEqual([["TxCommit", "3"]])
      const lsnRange = JSON.parse((yield* runCli("inspect", dir, "--json", "--from-lsn", "2", "--to-lsn", "3")).stdout)
      expect(lsnRange.files.flatMap((f: { records?: Array<{ lsn: string }> }) => (f.records ?? []).map((r) => r.lsn)))
        .toEqual(["2", "3"])
    }))

  it.effect("the human view prints a header line and a record table per segment", () =>
    Effect.gen(function*() {
      const dir = yield* writeLog
      const { stdout } = yield* runCli("inspect", dir, "--segment", "1", "--limit", "2")
      const lines = stdout.split("\n")
      expect(lines[0]).toMatch(/^file\s+size\s+base_lsn\s+sealed\s+header$/)
      expect(lines[1]).toMatch(/^0000000001\.wal\s+\d+\s+1\s+true\s+ok$/)
      expect(lines[2]).toMatch(/^offset\s+length\s+kind\s+lsn\s+tx_begin_lsn\s+crc_ok$/)
      expect(lines.slice(3, 5).map((l) => l.split(/\s+/).slice(2, 4))).toEqual([["2", "TxBegin"], ["6", "MutationBatch"]])
    }))
})

describe("lora-wal stats", () => {
  it.effect("counts records, transactions, events per transaction and checkpoints", () =>
    Effect.gen(function*() {
      const dir = yield* writeLog
      const { exitCode, stdout } = yield* runCli("stats", dir, "--json")
      expect(exitCode).toBe(0)
      const stats = JSON.parse(stdout)
      const records = yield* recordsOf(dir)
      const segments = new Set(records.map((r) => r.segment))
      const count = (kind: string) => records.filter((r) => r.record._tag === "Record" && r.record.kindName === kind)
      expect(stats.segments).toBe(segments.size)
      expect(stats.bytes).toBe([...segments].reduce((n, s) => n + fs.statSync(path.join(dir, s)).size, 0))
      expect(stats.transactions).toEqual({ committed: committed.length, aborted: 1, open_at_end: 0 })
      expect(stats.events).toBe(committed.flat().length)
      expect(stats.events_per_transaction).toEqual({ min: 1, p50: 1, p99: 5, max: 5, mean: committed.flat().length / committed.length })
      expect(stats.checkpoints).toBe(1)
      expect(stats.latest_snapshot_lsn).toBe(String(SNAPSHOT_LSN))
      expect(stats.records).toContainEqual({
        kind: "TxBegin",
        records: committed.length + 1,
        bytes: count("TxBegin").reduce((n, r) => n + (r.record._tag === "Record" ? r.record.length : 0), 0)
      })
      expect(stats.damage).toEqual({ crc_mismatches: 0, framing_stops: 0, undecodable: 0 })
      expect(stats.min_lsn).toBe("1")
    }))

  it.effect("names damage and an unfinished transaction", () =>
    Effect.gen(function*() {
      const corrupt = yield* runCli("stats", scenarios.find((s) => s.name === "crc-corrupt-active-middle")!.walDir, "--json")
      expect(JSON.parse(corrupt.stdout).damage).toEqual({ crc_mismatches: 1, framing_stops: 0, undecodable: 0 })
      const torn = yield* runCli("stats", scenarios.find((s) => s.name === "torn-tail-cut-commit")!.walDir, "--json")
      expect(JSON.parse(torn.stdout)).toMatchObject({ damage: { framing_stops: 1 }, transactions: { open_at_end: 1 } })
      const human = yield* runCli("stats", scenarios.find((s) => s.name === "torn-tail-cut-commit")!.walDir)
      expect(human.stdout).toContain("damage:        0 CRC mismatches, 1 framing stops, 0 undecodable payloads")
    }))

  it.effect("a missing directory is one line and exit 1", () =>
    Effect.gen(function*() {
      expect(yield* runCli("stats", "/no/such/dir")).toEqual({
        exitCode: 1,
        stdout: "",
        stderr: "lora-wal: /no/such/dir: no such directory or file"
      })
    }))
})
