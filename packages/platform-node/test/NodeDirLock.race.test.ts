import { describe, expect, it } from "@effect/vitest"
import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const racer = fileURLToPath(new URL("./lockRacer.mjs", import.meta.url))
const workers = fileURLToPath(new URL("./lockWorkers.mjs", import.meta.url))
const RACERS = 6
const ROUNDS = 40
const KILLS = 16

interface Racer {
  readonly held: () => number
  readonly output: () => string
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>
  readonly kill: () => void
}

const start = (dir: string, onHeld: (racer: Racer) => void): Racer => {
  const child = spawn(process.execPath, [racer, dir, String(ROUNDS)], { stdio: ["ignore", "pipe", "pipe"] })
  let out = ""
  let held = 0
  const self: Racer = {
    held: () => held,
    output: () => out,
    exited: new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal }))),
    kill: () => void child.kill("SIGKILL")
  }
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk
    for (const line of chunk.split("\n")) {
      if (line !== "held") continue
      held++
      onHeld(self)
    }
  })
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => void (out += chunk))
  return self
}

describe("pid-file lock under a race of processes", () => {
  it("never lets two live processes hold it, while holders are SIGKILLed and their stale claims broken", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lora-wal-lock-race-"))
    try {
      const racers: Array<Racer> = []
      let kills = 0
      let acquisitions = 0
      // Kill a holder now and then, the moment it reports holding the lock, and start a replacement.
      const onHeld = (racer: Racer) => {
        acquisitions++
        if (kills < KILLS && acquisitions % 7 === 0) {
          kills++
          racer.kill()
          racers.push(start(dir, onHeld))
        }
      }
      for (let i = 0; i < RACERS; i++) racers.push(start(dir, onHeld))
      for (let i = 0; i < racers.length; i++) {
        const { code, signal } = await racers[i]!.exited
        expect(racers[i]!.output()).not.toContain("VIOLATION")
        if (signal !== "SIGKILL") expect({ code, output: racers[i]!.output() }).toMatchObject({ code: 0 })
      }
      expect(kills).toBe(KILLS)
      // Every surviving racer finished its rounds, and the lock kept changing hands after the kills.
      expect(acquisitions).toBeGreaterThan(RACERS * ROUNDS / 4)
      expect(fs.readdirSync(path.join(dir, ".lora-wal.owner"))).toEqual([])
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }, 120_000)

  it("holds against another thread of the same process: a claim of this process is never taken for stale", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lora-wal-lock-threads-"))
    try {
      const result = JSON.parse(execFileSync(process.execPath, [workers, dir], { encoding: "utf8" }))
      expect(result).toEqual({ first: "acquired", second: "refused: AlreadyOpen", third: "acquired" })
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
