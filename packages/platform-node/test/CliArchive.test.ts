import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import * as Replay from "@lora-wal/core/Replay"
import * as Wal from "@lora-wal/core/Wal"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import * as NodeDirLock from "../src/NodeDirLock.js"
import { runCli } from "./cli.js"
import { nodePlatform } from "./layers.js"

const platform = Layer.merge(NodeContext.layer, NodeDirLock.layer)

/** A log of `count` one-event commits over small segments; their commit LSNs. */
const writeLog = (dir: string, count: number) =>
  Effect.scoped(Effect.gen(function*() {
    const wal = yield* Wal.make({ dir, segmentTargetBytes: 128 })
    const lsns: Array<bigint> = []
    for (let i = 0; i < count; i++) lsns.push(Option.getOrThrow(yield* wal.commitTx([{ _tag: "DeleteNode", nodeId: BigInt(i) }])))
    return lsns
  })).pipe(Effect.provide(platform))

const replayed = (dir: string) =>
  Effect.map(Effect.provide(Replay.replayDir(dir), NodeContext.layer), (r) => r.committedEvents)

describe("lora-wal archive, restore, archive-ls", () => {
  it.effect("archive --once copies a closed log; restore --to-lsn gives back exactly the transactions up to it", () =>
    Effect.gen(function*() {
      const root = nodePlatform.freshDir()
      const dir = path.join(root, "wal")
      const lsns = yield* writeLog(dir, 10)
      const url = pathToFileURL(path.join(root, "archive")).href
      const first = yield* runCli("archive", dir, "--to", url, "--once")
      expect(first.exitCode).toBe(0)
      expect(first.stdout).toMatch(new RegExp(`^uploaded \\d+ objects; the archive holds the log up to lsn ${lsns[9]}$`))
      expect((yield* runCli("archive", dir, "--to", url, "--once")).stdout).toBe(`uploaded 0 objects; the archive holds the log up to lsn ${lsns[9]}`)
      const listing = (yield* runCli("archive-ls", url, "--json")).stdout.split("\n").map((l) => JSON.parse(l))
      expect(listing.length).toBeGreaterThan(1)
      expect(listing.every((o) => /^segments\/\d{10}\.wal(\.partial-\d{12})?$/.test(o.key) && o.size > 32)).toBe(true)
      // Into an empty directory that exists already (a fresh mount point, say).
      const restored = path.join(root, "restored")
      fs.mkdirSync(restored)
      const result = yield* runCli("restore", url, restored, "--to-lsn", String(lsns[5]))
      expect(result).toMatchObject({ exitCode: 0, stdout: expect.stringMatching(new RegExp(`: the log up to lsn ${lsns[5]}$`)) })
      expect(yield* replayed(restored)).toEqual(Array.from({ length: 6 }, (_, i) => ({ _tag: "DeleteNode", nodeId: BigInt(i) })))
      expect(fs.readdirSync(restored).every((name) => /^\d{10}\.wal$/.test(name))).toBe(true)
      // A second restore into the same directory is refused.
      const again = yield* runCli("restore", url, restored)
      expect(again.exitCode).toBe(1)
      expect(again.stderr).toMatch(/is not empty/)
    }))

  it.effect("a log open in another handle: sealed segments only, and the tool says why", () =>
    Effect.gen(function*() {
      const root = nodePlatform.freshDir()
      const dir = path.join(root, "wal")
      const url = pathToFileURL(path.join(root, "archive")).href
      yield* Effect.scoped(Effect.gen(function*() {
        const wal = yield* Wal.make({ dir, segmentTargetBytes: 128 })
        for (let i = 0; i < 10; i++) yield* wal.commitTx([{ _tag: "Clear" }])
        const result = yield* runCli("archive", dir, "--to", url, "--once")
        expect(result.exitCode).toBe(0)
        expect(result.stderr).toBe("lora-wal: the log is open in another process: its active segment is left to the archiver inside that process")
      })).pipe(Effect.provide(platform))
      const listing = (yield* runCli("archive-ls", url)).stdout
      expect(listing).not.toContain(".partial-")
      expect(listing.split("\n").length).toBe(fs.readdirSync(dir).filter((n) => n.endsWith(".wal")).length - 1)
    }))

  it.effect("a gap in the archive: restore gives back what comes before it, and exits 1 naming it", () =>
    Effect.gen(function*() {
      const root = nodePlatform.freshDir()
      const dir = path.join(root, "wal")
      yield* writeLog(dir, 10)
      const archive = path.join(root, "archive")
      yield* runCli("archive", dir, "--to", pathToFileURL(archive).href, "--once")
      fs.rmSync(path.join(archive, "segments", "0000000002.wal"))
      const result = yield* runCli("restore", pathToFileURL(archive).href, path.join(root, "restored"))
      expect(result.exitCode).toBe(1)
      expect(result.stderr).toBe("lora-wal: the archive has a gap, nothing after it was restored: segment 2 is not in the archive")
      expect((yield* replayed(path.join(root, "restored"))).length).toBeGreaterThan(0)
    }))

  for (const [args, message] of [
    [["archive", "/tmp", "--to", "http://host/x", "--once"], "an archive URL is file:///absolute/path or s3://bucket/prefix"],
    [["archive", "/tmp", "--to", "file:///tmp/a", "--once", "--interval", "5"], "--once and --interval cannot be combined"],
    [["archive", "/tmp", "--to", "file:///tmp/a", "--interval", "0"], "--interval must be at least 1 second, got 0"],
    [["restore", "file:///tmp/a", "/tmp/b", "--to-lsn", "x"], "--to-lsn must be an LSN"],
    [["archive-ls", "ftp://x"], "an archive URL is"]
  ] as const) {
    it.effect(`usage: ${args.join(" ")} (exit 2)`, () =>
      Effect.gen(function*() {
        const result = yield* runCli(...args)
        expect(result.exitCode).toBe(2)
        expect(result.stderr).toContain(message)
      }))
  }
})
