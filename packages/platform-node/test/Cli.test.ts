import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import * as Replay from "@lora-wal/core/Replay"
import * as ReplayReport from "@lora-wal/core/ReplayReport"
import * as Wal from "@lora-wal/core/Wal"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as fs from "node:fs"
import * as path from "node:path"
import { expectedJson, scenarios } from "../../core/test/fixtures.js"
import * as NodeDirLock from "../src/NodeDirLock.js"
import { startCli } from "./child.js"
import { runCli } from "./cli.js"
import { nodePlatform } from "./layers.js"

/** Scenarios whose read-only replay deliberately differs from lora-wal (checked in core's tests). */
const differs = new Set(["empty-segment-file", "segment-gap-in-middle"])

describe("lora-wal replay --json", () => {
  for (const scenario of scenarios) {
    for (const { fence, result } of scenario.expected.replay_dir) {
      it.effect(`${scenario.name} --fence ${fence}`, () =>
        Effect.gen(function*() {
          const { exitCode, stdout } = yield* runCli("replay", scenario.walDir, "--fence", fence, "--json")
          const printed = JSON.parse(stdout)
          const expected = differs.has(scenario.name)
            ? yield* Replay.replayDir(scenario.walDir, { fence: BigInt(fence) }).pipe(
              Effect.map((o) => ReplayReport.replayOutcome(o, scenario.walDir)),
              Effect.catchAll((e) => Effect.succeed(ReplayReport.replayError(e, scenario.walDir))),
              Effect.map((json) => JSON.parse(JSON.stringify(json))),
              Effect.provide(NodeContext.layer)
            )
            : expectedJson(scenario.name, result)
          expect(printed).toEqual(expected)
          expect(exitCode).toBe(printed.ok ? 0 : 1)
        }))
    }
  }
})

describe("lora-wal inspect --json", () => {
  for (const scenario of scenarios) {
    it.effect(scenario.name, () =>
      Effect.gen(function*() {
        const { exitCode, stdout } = yield* runCli("inspect", scenario.walDir, "--json")
        expect(exitCode).toBe(0)
        expect(JSON.parse(stdout).files).toEqual(
          scenario.expected.files.map((f) => (f.is_segment && !("records" in f) ? { ...f, records: [] } : f))
        )
      }))
  }
})

describe("lora-wal errors are one clear line", () => {
  it.effect("missing directory", () =>
    Effect.gen(function*() {
      const { exitCode, stderr, stdout } = yield* runCli("replay", "/no/such/dir")
      expect(exitCode).toBe(1)
      expect(stdout).toBe("")
      expect(stderr).toBe("lora-wal: /no/such/dir: no such directory or file")
    }))

  it.effect("missing directory with --json prints the Io error", () =>
    Effect.gen(function*() {
      const { exitCode, stdout } = yield* runCli("replay", "/no/such/dir", "--json")
      expect(exitCode).toBe(1)
      expect(JSON.parse(stdout)).toMatchObject({ ok: false, error: { variant: "Io", io_kind: "NotFound" } })
    }))

  it.effect("a file where a directory is expected", () =>
    Effect.gen(function*() {
      const file = `${scenarios[0]!.walDir}/.lora-wal.lock`
      const { exitCode, stderr } = yield* runCli("inspect", file)
      expect(exitCode).toBe(1)
      expect(stderr).toBe(`lora-wal: ${file}: not a directory`)
    }))

  it.effect("a bad fence", () =>
    Effect.gen(function*() {
      const { exitCode, stderr } = yield* runCli("replay", scenarios[0]!.walDir, "--fence", "-3")
      expect(exitCode).toBe(1)
      expect(stderr).toBe(`lora-wal: --fence must be an LSN (0 to 2^64-1), got "-3"`)
    }))

  it.effect("human output names a corruption and where valid data resumes", () =>
    Effect.gen(function*() {
      const scenario = scenarios.find((s) => s.name === "crc-corrupt-active-middle")!
      const { exitCode, stdout } = yield* runCli("replay", scenario.walDir)
      expect(exitCode).toBe(0)
      expect(stdout).toContain("torn tail:         corruption in 0000000001.wal at offset 403")
      expect(stdout).toContain("valid data follows: 0000000001.wal offset 526 lsn 9")
    }))
})

const copyOf = (name: string) => {
  const from = scenarios.find((s) => s.name === name)!.walDir
  const to = nodePlatform.freshDir()
  for (const f of fs.readdirSync(from)) fs.copyFileSync(path.join(from, f), path.join(to, f))
  return to
}

const recordedOpen = (name: string) =>
  JSON.parse(fs.readFileSync(path.join(scenarios.find((s) => s.name === name)!.dir, "replay_after_open.json"), "utf8"))
    .opens[0]

describe("lora-wal recover", () => {
  it.effect("opens for writing, truncates a torn tail, and reports as the fixture's open did", () =>
    Effect.gen(function*() {
      const dir = copyOf("torn-tail-garbage")
      const { exitCode, stdout } = yield* runCli("recover", dir, "--json")
      const open = recordedOpen("torn-tail-garbage")
      expect(exitCode).toBe(0)
      expect(JSON.parse(stdout)).toEqual({
        ok: true,
        event_count: open.event_count,
        next_lsn: open.next_lsn,
        durable_lsn: open.durable_lsn,
        active_segment_id: open.active_segment_id,
        oldest_segment_id: open.oldest_segment_id,
        torn_tail_truncated: open.torn_tail_truncated
      })
      expect(fs.statSync(path.join(dir, "0000000001.wal")).size).toBe(open.files_after_open["0000000001.wal"])
    }))

  it.effect("refuses mid-log corruption without changing anything, and repairs on request", () =>
    Effect.gen(function*() {
      const dir = copyOf("crc-corrupt-active-middle")
      const before = fs.readFileSync(path.join(dir, "0000000001.wal"))
      const refused = yield* runCli("recover", dir)
      expect(refused.exitCode).toBe(1)
      expect(refused.stderr.split("\n")).toHaveLength(1)
      expect(refused.stderr).toContain("WAL is corrupt in the middle of the log")
      expect(fs.readFileSync(path.join(dir, "0000000001.wal")).equals(before)).toBe(true)
      const repaired = yield* runCli("recover", dir, "--repair", "--json")
      expect(repaired.exitCode).toBe(0)
      expect(JSON.parse(repaired.stdout)).toMatchObject({ ok: true, event_count: 2, torn_tail_truncated: true })
    }))
})

describe("lora-wal verify and status", () => {
  const cases: ReadonlyArray<[string, number, string]> = [
    ["single-commit", 0, "ok: 1 segments, max lsn 3"],
    ["torn-tail-garbage", 1, "lora-wal: torn tail: 0000000001.wal at offset 378"],
    ["crc-corrupt-active-middle", 1, "lora-wal: corruption: 0000000001.wal at offset 403"],
    ["bad-segment-magic", 1, "lora-wal: malformed: WAL segment header is malformed: bad magic"],
    ["segment-gap-in-middle", 1, "lora-wal: malformed: WAL structure is malformed: segment 2 (0000000002.wal) is missing"]
  ]
  for (const [name, code, text] of cases) {
    it.effect(`verify ${name}`, () =>
      Effect.gen(function*() {
        const { exitCode, stderr, stdout } = yield* runCli("verify", copyOf(name))
        expect(exitCode).toBe(code)
        expect((code === 0 ? stdout : stderr).startsWith(text)).toBe(true)
        expect((code === 0 ? stdout : stderr).split("\n")).toHaveLength(1)
      }))
  }

  it.scoped("verify names a log that a live handle holds", () =>
    Effect.gen(function*() {
      const dir = copyOf("single-commit")
      yield* Wal.make({ dir })
      const { exitCode, stderr } = yield* runCli("verify", dir)
      expect(exitCode).toBe(1)
      expect(stderr).toBe(`lora-wal: locked: ${dir} is open by a live handle`)
      const status = JSON.parse((yield* runCli("status", dir, "--json")).stdout)
      expect(status).toMatchObject({ ok: true, locked: true, next_lsn: "4", durable_lsn: "3", segments: 1 })
    }).pipe(Effect.provide(Layer.merge(NodeContext.layer, NodeDirLock.layer))))
})

describe("lora-wal append", () => {
  it("commits each line, names bad lines, and writes nothing of them", async () => {
    const dir = nodePlatform.freshDir()
    const child = startCli(["append", dir])
    child.process.stdin.end([
      JSON.stringify([{ type: "CreateNode", id: "1", labels: [], properties: {} }]),
      "{not json",
      JSON.stringify([{ type: "CreateNode", id: "2", labels: [], properties: {} }, { type: "DeleteNode", node_id: "-1" }]),
      JSON.stringify([{ type: "Clear" }])
    ].join("\n") + "\n")
    expect(await child.exited).toBe(1)
    expect(child.lines.filter((l) => l !== "")).toEqual(["committed 3", "committed 6"])
    const stderr = child.stderr.join("")
    expect(stderr).toContain("lora-wal: line 2: not JSON")
    expect(stderr).toContain("lora-wal: line 3: not an array of events: at [1][node_id]: expected a u64 as a decimal string")
    const replayed = await Effect.runPromise(Replay.replayDir(dir).pipe(Effect.provide(NodeContext.layer)))
    expect(replayed.committedEvents.map((e) => e._tag)).toEqual(["CreateNode", "Clear"])
  })

  it("a line the log cannot encode (a lone surrogate) is named and skipped, and the lines after it are committed", async () => {
    const dir = nodePlatform.freshDir()
    const child = startCli(["append", dir])
    child.process.stdin.end([
      JSON.stringify([{ type: "CreateNode", id: "1", labels: [], properties: {} }]),
      // JSON.stringify escapes a lone surrogate as \ud800, which JSON.parse turns back into one.
      JSON.stringify([{ type: "CreateNode", id: "2", labels: ["\ud800"], properties: {} }]),
      JSON.stringify([{ type: "CreateNode", id: "3", labels: [], properties: {} }])
    ].join("\n") + "\n")
    expect(await child.exited).toBe(1)
    // The refused line consumed no LSN: the next commit follows the first directly.
    expect(child.lines.filter((l) => l !== "")).toEqual(["committed 3", "committed 6"])
    expect(child.stderr.join("")).toMatch(/^lora-wal: line 2: cannot be logged: .+\n$/)
    const replayed = await Effect.runPromise(Replay.replayDir(dir).pipe(Effect.provide(NodeContext.layer)))
    expect(replayed.committedEvents.map((e) => e._tag === "CreateNode" && e.id)).toEqual([1n, 3n])
  })
})
