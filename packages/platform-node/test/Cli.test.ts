import { NodeFileSystem } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import * as Replay from "@lora-wal/core/Replay"
import * as ReportJson from "@lora-wal/core/ReportJson"
import * as Effect from "effect/Effect"
import { expectedJson, scenarios } from "../../core/test/fixtures.js"
import { runCli } from "./cli.js"

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
              Effect.map((o) => ReportJson.replayOutcome(o, scenario.walDir)),
              Effect.catchAll((e) => Effect.succeed(ReportJson.replayError(e, scenario.walDir))),
              Effect.map((json) => JSON.parse(JSON.stringify(json))),
              Effect.provide(NodeFileSystem.layer)
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
