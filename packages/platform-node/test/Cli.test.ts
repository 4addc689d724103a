import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import * as LoraJson from "@lora-wal/core/LoraJson"
import * as Replay from "@lora-wal/core/Replay"
import * as ReplayReport from "@lora-wal/core/ReplayReport"
import * as Wal from "@lora-wal/core/Wal"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { expectedJson, scenarios } from "../../core/test/fixtures.js"
import * as NodeDirLock from "../src/NodeDirLock.js"
import { bin, startCli } from "./child.js"
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

/** The committed transactions of `dir` as `Replay.run` reads them, each as a `--jsonl` line through the Schema. */
const transactionLines = (dir: string) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    const toJson = Schema.encodeSync(Schema.Array(LoraJson.MutationEventFromJson))
    yield* Replay.run(dir, {
      onTransaction: (tx) =>
        Effect.sync(() => void lines.push(JSON.stringify({ commit_lsn: String(tx.commitLsn), events: toJson(tx.events) })))
    })
    return lines
  }).pipe(Effect.provide(NodeContext.layer))

/** What `Replay.stream` emits before it ends or fails, each transaction as a `--jsonl` line through the Schema. */
const streamedLines = (dir: string) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    const toJson = Schema.encodeSync(Schema.Array(LoraJson.MutationEventFromJson))
    const result = yield* Replay.stream(dir).pipe(
      Stream.runForEach((tx) =>
        Effect.sync(() => void lines.push(JSON.stringify({ commit_lsn: String(tx.commitLsn), events: toJson(tx.events) })))
      ),
      Effect.either
    )
    return { lines, failed: Either.isLeft(result) }
  }).pipe(Effect.provide(NodeContext.layer))

describe("lora-wal replay --jsonl", () => {
  for (const scenario of scenarios) {
    it.effect(`${scenario.name}: one line per committed transaction, as the library streams them`, () =>
      Effect.gen(function*() {
        const { exitCode, stdout } = yield* runCli("replay", scenario.walDir, "--jsonl")
        const printed = stdout === "" ? [] : stdout.split("\n")
        const streamed = yield* streamedLines(scenario.walDir)
        expect(printed).toEqual(streamed.lines)
        expect(exitCode).toBe(streamed.failed ? 1 : 0)
        // Where nothing is refused, the same transactions as the callback form of replay.
        if (!streamed.failed) expect(printed).toEqual(yield* transactionLines(scenario.walDir))
      }))
  }

  it.effect("--fence leaves out what the snapshot holds; --json with --jsonl is a usage error", () =>
    Effect.gen(function*() {
      const dir = scenarios.find((s) => s.name === "many-commits-rotating")!.walDir
      const lines = (yield* runCli("replay", dir, "--jsonl", "--fence", "450")).stdout.split("\n")
      expect(lines.map((l) => BigInt(JSON.parse(l).commit_lsn) > 450n)).toEqual(lines.map(() => true))
      expect(lines.length).toBe((yield* transactionLines(dir)).filter((l) => BigInt(JSON.parse(l).commit_lsn) > 450n).length)
      const both = yield* runCli("replay", dir, "--jsonl", "--json")
      expect(both).toEqual({ exitCode: 2, stdout: "", stderr: "lora-wal: --json and --jsonl cannot be combined" })
    }))
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

  it.effect("a missing file inside the log is named, not the directory", () =>
    Effect.gen(function*() {
      const dir = copyOf("single-commit")
      fs.symlinkSync(path.join(dir, "nowhere"), path.join(dir, "0000000002.wal"))
      for (const command of ["replay", "stats", "dump"]) {
        const { exitCode, stderr } = yield* runCli(command, dir)
        expect(exitCode).toBe(1)
        expect(stderr).toBe(`lora-wal: ${path.join(dir, "0000000002.wal")}: no such directory or file`)
      }
    }))

  it.effect("a bad segment header names the segment file and offset", () =>
    Effect.gen(function*() {
      const dir = scenarios.find((s) => s.name === "bad-segment-magic")!.walDir
      for (const args of [["replay", dir], ["replay", dir, "--jsonl"], ["recover", copyOf("bad-segment-magic")]]) {
        const { exitCode, stderr } = yield* runCli(...args)
        expect(exitCode).toBe(1)
        expect(stderr).toBe("lora-wal: 0000000001.wal offset 0: WAL segment header is malformed: bad magic")
      }
    }))

  it.effect("a bad fence is a usage error (exit 2)", () =>
    Effect.gen(function*() {
      const { exitCode, stderr } = yield* runCli("replay", scenarios[0]!.walDir, "--fence", "-3")
      expect(exitCode).toBe(2)
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
  it.effect("refuses a directory that does not exist instead of creating an empty log", () =>
    Effect.gen(function*() {
      const dir = path.join(nodePlatform.freshDir(), "typo")
      const { exitCode, stderr } = yield* runCli("recover", dir)
      expect({ exitCode, stderr }).toEqual({ exitCode: 1, stderr: `lora-wal: ${dir}: no such directory (recover opens an existing log)` })
      expect(fs.existsSync(dir)).toBe(false)
    }))

  it.effect("--fence: a log truncated past the fence is refused, at the snapshot's LSN it opens", () =>
    Effect.gen(function*() {
      const dir = copyOf("checkpoint-and-truncate")
      const refused = yield* runCli("recover", dir, "--fence", "0")
      expect(refused.exitCode).toBe(1)
      expect(refused.stderr).toMatch(/^lora-wal: WAL structure is malformed: the log starts at lsn \d+ but the fence is lsn 0/)
      const opened = yield* runCli("recover", dir, "--fence", "180", "--json")
      expect(opened.exitCode).toBe(0)
      expect(JSON.parse(opened.stdout)).toMatchObject({ ok: true, torn_tail_truncated: false })
      expect((yield* runCli("recover", dir, "--fence", "-1")).exitCode).toBe(2)
    }))

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

describe("lora-wal verify", () => {
  const walOf = (name: string) => scenarios.find((s) => s.name === name)!.walDir

  it.effect("a healthy log: exit 0 and a summary of what was checked", () =>
    Effect.gen(function*() {
      const dir = walOf("single-commit")
      const size = fs.statSync(path.join(dir, "0000000001.wal")).size
      expect(yield* runCli("verify", dir)).toEqual({
        exitCode: 0,
        stdout: `1 segment, ${size} bytes, 3 records (lsn 1 to 3): no problem`,
        stderr: ""
      })
    }))

  // Where lora-wal's own replay stopped in each fixture, and what open does about it.
  const damaged: ReadonlyArray<[string, RegExp]> = [
    ["torn-tail-garbage", /^0000000001\.wal offset 378: record truncated: .*; a crash's torn tail: open cuts the segment here$/],
    ["crc-corrupt-active-middle", /^0000000001\.wal offset 403: record CRC mismatch \(lsn 8: .*\); open refuses the log$/],
    ["bad-segment-magic", /^0000000001\.wal offset 0: segment header is malformed: bad magic; open refuses the log$/],
    ["segment-gap-in-middle", /^0000000003\.wal: segment 2 \(0000000002\.wal\) is missing before this one/],
    ["empty-segment-file", /^0000000002\.wal: 0 bytes without a valid segment header: .*open removes the file$/]
  ]
  for (const [name, line] of damaged) {
    it.effect(`${name}: the problem with its file and offset, exit 1`, () =>
      Effect.gen(function*() {
        const { exitCode, stderr, stdout } = yield* runCli("verify", walOf(name))
        expect(exitCode).toBe(1)
        expect(stderr).toBe("")
        const lines = stdout.split("\n")
        expect(lines).toHaveLength(2)
        expect(lines[0]).toMatch(line)
        expect(lines[1]).toMatch(/: 1 problem$/)
      }))
  }

  it.effect("names every problem, not only the first, in file order", () =>
    Effect.gen(function*() {
      const dir = copyOf("many-commits-rotating")
      // One byte of a record's payload flipped in two different segments.
      for (const file of ["0000000003.wal", "0000000007.wal"]) {
        const bytes = fs.readFileSync(path.join(dir, file))
        bytes[32 + 25 + 30] ^= 0xff
        fs.writeFileSync(path.join(dir, file), bytes)
      }
      const { exitCode, stdout } = yield* runCli("verify", dir)
      expect(exitCode).toBe(1)
      const lines = stdout.split("\n")
      expect(lines.slice(0, 2).map((l) => l.slice(0, 36))).toEqual([
        "0000000003.wal offset 57: record CRC",
        "0000000007.wal offset 57: record CRC"
      ])
      expect(lines[2]).toMatch(/: 2 problems$/)
      const json = JSON.parse((yield* runCli("verify", dir, "--json")).stdout)
      expect(json).toMatchObject({ ok: false, locked: false, omitted_problems: 0 })
      expect(json.problems.map((p: { problem: string; file: string; offset: number }) => [p.problem, p.file, p.offset]))
        .toEqual([["CrcMismatch", "0000000003.wal", 57], ["CrcMismatch", "0000000007.wal", 57]])
      expect(json.problems[0].message).toBe(lines[0])
      expect(json.problems[0]).toMatchObject({ at_open: "refuse", expected: expect.stringMatching(/^0x[0-9a-f]{8}$/) })
    }))

  it.effect("--fence: the log must reach back to the snapshot's LSN", () =>
    Effect.gen(function*() {
      const dir = walOf("checkpoint-and-truncate")
      expect((yield* runCli("verify", dir)).exitCode).toBe(0)
      expect((yield* runCli("verify", dir, "--fence", "180")).exitCode).toBe(0)
      const hole = yield* runCli("verify", dir, "--fence", "0")
      expect(hole.exitCode).toBe(1)
      expect(hole.stdout).toMatch(/the log starts at lsn \d+ but the fence is lsn 0: records 1 to \d+ are missing/)
      expect((yield* runCli("verify", dir, "--fence", "x")).exitCode).toBe(2)
    }))

  it.effect("verify and status create nothing in the directory they read", () =>
    Effect.gen(function*() {
      const dir = copyOf("single-commit")
      fs.rmSync(path.join(dir, ".lora-wal.lock"), { force: true })
      const before = fs.readdirSync(dir).sort()
      expect((yield* runCli("verify", dir)).exitCode).toBe(0)
      expect(JSON.parse((yield* runCli("status", dir, "--json")).stdout)).toMatchObject({ ok: true, locked: false })
      expect(fs.readdirSync(dir).sort()).toEqual(before)
    }))

  it.effect("a missing directory is one line on stderr, exit 1", () =>
    Effect.gen(function*() {
      expect(yield* runCli("verify", "/no/such/dir")).toEqual({
        exitCode: 1,
        stdout: "",
        stderr: "lora-wal: /no/such/dir: no such directory or file"
      })
    }))

  it.scoped("a log a live handle holds is not called healthy; status says who holds it", () =>
    Effect.gen(function*() {
      const dir = copyOf("single-commit")
      yield* Wal.make({ dir })
      const { exitCode, stdout } = yield* runCli("verify", dir)
      expect(exitCode).toBe(1)
      expect(stdout.split("\n")[0]).toBe(
        "locked: a live handle has the log open, so its active segment may be changing under the check"
      )
      const status = JSON.parse((yield* runCli("status", dir, "--json")).stdout)
      expect(status).toMatchObject({ ok: true, locked: true, next_lsn: "4", durable_lsn: "3", segments: 1 })
    }).pipe(Effect.provide(Layer.merge(NodeContext.layer, NodeDirLock.layer))))

  it.effect("a bad LORA_WAL_LOCK is a usage error", () =>
    Effect.gen(function*() {
      const { exitCode, stderr } = yield* runCli("verify", walOf("single-commit")).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["LORA_WAL_LOCK", "sometimes"]])))
      )
      expect(exitCode).toBe(2)
      expect(stderr).toMatch(/^lora-wal: directory lock: .*LORA_WAL_LOCK/)
    }))
})

describe("lora-wal append", () => {
  const lines = (count: number) =>
    Array.from({ length: count }, (_, i) => JSON.stringify([{ type: "CreateNode", id: String(i + 1), labels: [], properties: {} }]))
      .join("\n") + "\n"

  for (const sync of ["none", "group:5", "per-commit"]) {
    it(`--sync ${sync}: every line acknowledged with its own LSN, and replayed`, async () => {
      const dir = nodePlatform.freshDir()
      const child = startCli(["append", dir, "--sync", sync, "--segment-bytes", "200"])
      // Half the lines in one read (committed together, in one segment), then one read per line
      // (each waits for its acknowledgement), which rotates the tiny segments.
      child.process.stdin.write(lines(10))
      for (let i = 10; i < 20; i++) {
        await child.waitFor((line) => line === `committed ${3 * i}`)
        child.process.stdin.write(`${JSON.stringify([{ type: "CreateNode", id: String(i + 1), labels: [], properties: {} }])}\n`)
      }
      child.process.stdin.end()
      expect(await child.exited).toBe(0)
      // Each one-event transaction takes three LSNs: TxBegin, MutationBatch, TxCommit.
      expect(child.lines.filter((l) => l !== "").sort((a, b) => Number(a.slice(10)) - Number(b.slice(10))))
        .toEqual(Array.from({ length: 20 }, (_, i) => `committed ${3 * (i + 1)}`))
      const replayed = await Effect.runPromise(Replay.replayDir(dir).pipe(Effect.provide(NodeContext.layer)))
      expect(replayed.committedEvents).toHaveLength(20)
      expect(replayed.segments.length).toBeGreaterThan(1)
    })
  }

  it("a character cut by a 64 KiB read is committed as written, and bytes that are not UTF-8 are refused", async () => {
    const dir = nodePlatform.freshDir()
    const line = (label: string) => JSON.stringify([{ type: "CreateNode", id: "1", labels: [label], properties: {} }])
    // Place the two bytes of "é" at 65535 and 65536, across the first read's end.
    const prefix = line("").indexOf(`""`) + 1
    const label = "a".repeat(65535 - prefix) + "é"
    const input = Buffer.concat([
      Buffer.from(`${line(label)}\n`),
      Buffer.from(`${line("caf")}`.replace(`"caf"`, `"caf\xe9"`), "latin1"),
      Buffer.from(`\n${line("ok")}\n`)
    ])
    expect(input.subarray(65535, 65537).toString("utf8")).toBe("é")
    const child = startCli(["append", dir])
    child.process.stdin.end(input)
    expect(await child.exited).toBe(1)
    expect(child.stderr.join("")).toBe("lora-wal: line 2: not UTF-8\n")
    const replayed = await Effect.runPromise(Replay.replayDir(dir).pipe(Effect.provide(NodeContext.layer)))
    expect(replayed.committedEvents.map((e) => e._tag === "CreateNode" && e.labels[0])).toEqual([label, "ok"])
  })

  const usageCases: ReadonlyArray<[ReadonlyArray<string>, string]> = [
    [["--sync", "sometimes"], "lora-wal: --sync: "],
    [["--segment-bytes", "10"], "lora-wal: --segment-bytes must be at least 64, got 10"]
  ]
  for (const [args, message] of usageCases) {
    it(`usage: ${args.join(" ")} (exit 2, nothing created)`, async () => {
      const dir = path.join(nodePlatform.freshDir(), "log")
      const child = startCli(["append", dir, ...args])
      child.process.stdin.end(lines(1))
      expect(await child.exited).toBe(2)
      expect(child.stderr.join("")).toMatch(new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`))
      expect(fs.existsSync(dir)).toBe(false)
    })
  }

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

  it("stdout and stderr read together (2>&1) keep the input's order", () => {
    const dir = nodePlatform.freshDir()
    const node = (id: string, label = "") =>
      JSON.stringify([{ type: "CreateNode", id, labels: label === "" ? [] : [label], properties: {} }])
    // One read holds every line: the tool commits the runs between refused lines together.
    const input = [node("1"), "[]", "{not json", node("2"), node("3", "\ud800"), node("4")].join("\n") + "\n"
    const result = spawnSync("sh", ["-c", `"${process.execPath}" "${bin}" append "${dir}" 2>&1`], { input, encoding: "utf8" })
    expect(result.status).toBe(1)
    expect(result.stdout.split("\n").map((l) => l.replace(/^(lora-wal: line \d+: [a-z ]+).*$/, "$1"))).toEqual([
      "committed 3",
      "lora-wal: line 2: empty transaction",
      "lora-wal: line 3: not ",
      "committed 6",
      "lora-wal: line 5: cannot be logged",
      "committed 9",
      ""
    ])
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
