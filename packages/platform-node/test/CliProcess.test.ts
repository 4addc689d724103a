import { describe, expect, it } from "@effect/vitest"
import { execFileSync, spawn, spawnSync } from "node:child_process"
import * as path from "node:path"
import { scenarios } from "../../core/test/fixtures.js"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as LoraJson from "@lora-wal/core/LoraJson"
import type { MutationEvent } from "@lora-wal/core/MutationEvent"
import * as V from "@lora-wal/core/PropertyValue"
import * as Replay from "@lora-wal/core/Replay"
import * as Wal from "@lora-wal/core/Wal"
import * as WalConfig from "@lora-wal/core/WalConfig"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as NodeWal from "../src/NodeWal.js"
import { bin, startCli } from "./child.js"
import { nodePlatform } from "./layers.js"

/** The tool's stdout for `args`, run as the executable users run. */
const stdoutOf = (...args: ReadonlyArray<string>) => execFileSync(process.execPath, [bin, ...args], { encoding: "utf8" })

const subcommands = ["replay", "dump", "inspect", "stats", "verify", "status", "recover", "append", "follow"]

/** What bash offers for `words` (the last being completed), with the script `lora-wal --completions bash` writes. */
const bashCompletes = (...words: ReadonlyArray<string>): ReadonlyArray<string> => {
  const script = [
    `source <("${process.execPath}" "${bin}" --completions bash)`,
    `COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")})`,
    `COMP_CWORD=${words.length - 1}`,
    `_lora-wal_bash_completions lora-wal`,
    `printf '%s\\n' "\${COMPREPLY[@]}"`
  ].join("\n")
  return execFileSync("bash", ["-c", script], { encoding: "utf8" }).split("\n").filter((w) => w !== "")
}

describe("lora-wal --completions", () => {
  it("bash completes subcommands, and each subcommand's options after it", () => {
    expect(bashCompletes("lora-wal", "")).toEqual(expect.arrayContaining(subcommands))
    expect(bashCompletes("lora-wal", "st")).toEqual(["stats", "status"])
    expect(bashCompletes("lora-wal", "dump", "--")).toEqual(
      expect.arrayContaining(["--from-lsn", "--to-lsn", "--segment", "--kind", "--limit", "--json"])
    )
    expect(bashCompletes("lora-wal", "replay", "--js")).toEqual(["--json", "--jsonl"])
  })

  it("sh gets the same working bash script", () => {
    expect(stdoutOf("--completions", "sh")).toBe(stdoutOf("--completions", "bash"))
  })

  for (const shell of ["zsh", "fish"]) {
    it(`${shell}: a script naming every subcommand and its options`, () => {
      const script = stdoutOf("--completions", shell)
      for (const name of subcommands) expect(script).toContain(name)
      expect(script).toContain("from-lsn")
    })
  }
})

describe("lora-wal as a pipeline stage", () => {
  it("stops quietly when its reader goes away (dump | head -1)", () => {
    const dir = scenarios.find((s) => s.name === "many-commits-rotating")!.walDir
    const run = spawnSync("bash", ["-c", `"${process.execPath}" "${bin}" dump "${dir}" | head -1; echo "status \${PIPESTATUS[0]}" >&2`], {
      encoding: "utf8"
    })
    expect(run.stdout).toMatch(/^lsn 1  TxBegin  tx 0 .*\n$/)
    expect(run.stderr).toBe("status 0\n")
  })
})

describe("lora-wal replay --jsonl through the executable", () => {
  it("prints what the library streams, for events of every shape and output past the buffers", async () => {
    const dir = nodePlatform.freshDir()
    const unusual: ReadonlyArray<MutationEvent> = [
      { _tag: "SetNodeProperty", nodeId: 2n ** 64n - 1n, key: "é\"\n", value: V.string("\u0000\u2028😀") },
      { _tag: "SetNodeProperty", nodeId: 1n, key: "f", value: V.list([V.float(NaN), V.float(-0), V.float(1 / 3), V.int(-(2n ** 63n))]) },
      { _tag: "SetRelationshipProperty", relId: 2n, key: "v", value: V.vector(Float64Array.of(1.5, -0)) },
      { _tag: "CreateNode", id: 3n, labels: ["A", "B"], properties: V.properties({ "10": V.null, "2": V.binary(Uint8Array.of(1)) }) }
    ]
    // ~500 KiB of JSON: several of the tool's 64 KiB buffers, and lines written from both of its paths.
    await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const wal = yield* Wal.Wal
      for (let i = 0; i < 2000; i++) yield* wal.commitTx(i % 50 === 0 ? unusual : [unusual[i % 4]!, { _tag: "DeleteNode", nodeId: BigInt(i) }])
    })).pipe(Effect.provide(NodeWal.layer(WalConfig.enabled(dir, { syncMode: WalConfig.SyncMode.None() })))))
    const streamed: Array<string> = []
    await Effect.runPromise(Stream.runForEach(Replay.stream(dir), (tx) =>
      Effect.sync(() => void streamed.push(`{"commit_lsn":"${tx.commitLsn}","events":${LoraJson.stringifyEvents(tx.events)}}\n`))
    ).pipe(Effect.provide(NodeContext.layer)))
    const printed = stdoutOf("replay", dir, "--jsonl")
    expect(printed.length).toBeGreaterThan(256 * 1024)
    expect(printed).toBe(streamed.join(""))
  })
})

describe("lora-wal when its run is cut short", () => {
  it("append whose reader of acknowledgements went away names the last line it settled, and commits none after it", async () => {
    const dir = nodePlatform.freshDir()
    const node = (id: number) => JSON.stringify([{ type: "CreateNode", id: String(id), labels: [], properties: {} }])
    const child = spawn(process.execPath, [bin, "append", dir], { stdio: ["pipe", "pipe", "pipe"] })
    let stderr = ""
    child.stderr.setEncoding("utf8").on("data", (text: string) => void (stderr += text))
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve))
    // The input goes in once the reader of stdout is gone, so the first acknowledgement finds no reader.
    child.stdout.on("close", () => child.stdin.end([node(1), node(2), node(3), "{not json", node(5), node(6)].join("\n") + "\n"))
    child.stdout.destroy()
    expect(await exited).toBe(1)
    expect(stderr).toBe(
      "lora-wal: stdout closed: acknowledgements cannot be delivered; stopped after line 4 " +
        "(every line up to it is committed or refused, no later one is)\n"
    )
    const replayed = await Effect.runPromise(Replay.replayDir(dir).pipe(Effect.provide(NodeContext.layer)))
    expect(replayed.committedEvents.map((e) => e._tag === "CreateNode" && e.id)).toEqual([1n, 2n, 3n])
  })

  it("a stdout that cannot be written is one line and exit 1 (> /dev/full)", () => {
    const dir = scenarios.find((s) => s.name === "many-commits-rotating")!.walDir
    const run = spawnSync("bash", ["-c", `"${process.execPath}" "${bin}" replay "${dir}" --jsonl > /dev/full`], { encoding: "utf8" })
    expect(run.status).toBe(1)
    expect(run.stderr).toBe("lora-wal: stdout: ENOSPC: no space left on device, write\n")
  })

  it("append stopped by SIGINT exits 130, and what it acknowledged is in the log", async () => {
    const dir = nodePlatform.freshDir()
    const child = startCli(["append", dir])
    child.process.stdin.write(`${JSON.stringify([{ type: "Clear" }])}\n`)
    await child.waitFor((line) => line === "committed 3")
    child.process.kill("SIGINT")
    expect(await child.exited).toBe(130)
    const replayed = await Effect.runPromise(Replay.replayDir(dir).pipe(Effect.provide(NodeContext.layer)))
    expect(replayed.committedEvents).toEqual([{ _tag: "Clear" }])
  })
})

describe("progress on a terminal", () => {
  const dir = scenarios.find((s) => s.name === "many-commits-rotating")!.walDir
  /** Runs the tool with stderr on a pseudo-terminal (util-linux `script`), stdout discarded. */
  const onTerminal = (args: string) =>
    execFileSync("script", ["-qec", `"${process.execPath}" "${bin}" ${args} > /dev/null`, "/dev/null"], {
      encoding: "utf8",
      env: { ...process.env, LORA_WAL_PROGRESS_BYTES: "1" }
    })

  for (const command of ["replay", "verify", "stats"]) {
    it(`${command} reports its progress on stderr when it is a terminal`, () => {
      const shown = onTerminal(`${command} "${dir}"`)
      expect(shown).toContain(`\r${command}: 100% (0/0 MiB)\r\n`)
      expect(shown).toMatch(new RegExp(`\\r${command}: [1-9][0-9]?% `))
    })
  }

  it("and says nothing of it when stderr is not a terminal", () => {
    const run = spawnSync(process.execPath, [bin, "replay", dir], {
      encoding: "utf8",
      env: { ...process.env, LORA_WAL_PROGRESS_BYTES: "1" }
    })
    expect(run.status).toBe(0)
    expect(run.stderr).toBe("")
  })
})

describe("lora-wal follow", () => {
  const node = (id: number) => JSON.stringify([{ type: "CreateNode", id: String(id), labels: ["P"], properties: {} }])

  it("prints each transaction another process commits, as it commits it, until SIGINT (exit 0)", async () => {
    const dir = nodePlatform.freshDir()
    const follower = startCli(["follow", dir, "--json"])
    const writer = startCli(["append", dir, "--segment-bytes", "64"])
    for (let i = 1; i <= 4; i++) {
      writer.process.stdin.write(`${node(i)}\n`)
      // Each transaction reaches the follower while the writer is still running, across rotations.
      await follower.waitFor((line) => line.startsWith(`{"commit_lsn":"${3 * i}"`))
    }
    writer.process.stdin.end()
    expect(await writer.exited).toBe(0)
    follower.process.kill("SIGINT")
    expect(await follower.exited).toBe(0)
    expect(follower.lines.filter((l) => l !== "").map((l) => JSON.parse(l))).toEqual(
      [1, 2, 3, 4].map((i) => ({
        commit_lsn: String(3 * i),
        events: [{ type: "CreateNode", id: String(i), labels: ["P"], properties: {} }]
      }))
    )
  })

  it("--from-lsn skips what was committed before it; a directory that does not exist is exit 1", async () => {
    const dir = nodePlatform.freshDir()
    const writer = startCli(["append", dir])
    writer.process.stdin.end([node(1), node(2), node(3)].join("\n") + "\n")
    expect(await writer.exited).toBe(0)
    const follower = startCli(["follow", dir, "--from-lsn", "5"])
    await follower.waitFor((line) => line === "commit 9  1 event: CreateNode 3 :P")
    follower.process.kill("SIGTERM")
    expect(await follower.exited).toBe(0)
    expect(follower.lines.filter((l) => l !== "")).toEqual(["commit 6  1 event: CreateNode 2 :P", "commit 9  1 event: CreateNode 3 :P"])
    const missing = spawnSync(process.execPath, [bin, "follow", path.join(dir, "nothing-here")], { encoding: "utf8" })
    expect(missing.status).toBe(1)
    expect(missing.stderr).toMatch(/nothing-here: no such directory\n$/)
  })
})
