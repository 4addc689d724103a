import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, expect, it } from "@effect/vitest"
import * as DirLock from "@lora-wal/core/DirLock"
import * as Inspect from "@lora-wal/core/Inspect"
import type { MutationEvent } from "@lora-wal/core/MutationEvent"
import * as Replay from "@lora-wal/core/Replay"
import * as Wal from "@lora-wal/core/Wal"
import * as WalConfig from "@lora-wal/core/WalConfig"
import { FaultyFileSystem } from "@lora-wal/testkit"
import * as ConfigError from "effect/ConfigError"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as NodeDirLock from "../src/NodeDirLock.js"
import * as NodeWal from "../src/NodeWal.js"
import { startCli } from "./child.js"
import { nodePlatform } from "./layers.js"

const event = (id: number): MutationEvent => ({ _tag: "DeleteNode", nodeId: BigInt(id) })
const line = (ids: ReadonlyArray<number>) =>
  JSON.stringify(ids.map((id) => ({ type: "CreateNode", id: String(id), labels: ["K"], properties: {} })))

const lockLayers = [
  { name: "flock", layer: NodeDirLock.layer, env: {} },
  { name: "pid file", layer: NodeDirLock.layerPidFile, env: { LORA_WAL_LOCK: "pidfile" } }
] as const

describe("directory lock", () => {
  it("the native flock module loads here", () => {
    expect(NodeDirLock.nativeLockAvailable).toBe(true)
  })

  for (const { env, layer, name } of lockLayers) {
    const provide = <A, E>(effect: Effect.Effect<A, E, any>) =>
      Effect.provide(effect, Layer.merge(NodeContext.layer, layer)) as Effect.Effect<A, E>

    it.live(`${name}: a second open in the same process is AlreadyOpen`, () =>
      provide(Effect.scoped(Effect.gen(function*() {
        const dir = nodePlatform.freshDir()
        yield* Wal.make({ dir })
        const second = yield* Effect.flip(Effect.scoped(Wal.make({ dir })))
        expect(second._tag).toBe("AlreadyOpen")
        expect(second.message).toContain(`already open by another live handle: ${dir}`)
      }))))

    it.live(`${name}: a child process holding the log blocks the open; after SIGKILL the next open succeeds at once`, () =>
      provide(Effect.gen(function*() {
        const dir = nodePlatform.freshDir()
        const child = startCli(["append", dir], env)
        child.process.stdin.write(`${line([1])}\n`)
        yield* Effect.promise(() => child.waitFor((l) => l.startsWith("committed")))
        const blocked = yield* Effect.flip(Effect.scoped(Wal.make({ dir })))
        expect(blocked._tag).toBe("AlreadyOpen")
        child.process.kill("SIGKILL")
        yield* Effect.promise(() => child.exited)
        const reopened = yield* Effect.scoped(Effect.map(Wal.make({ dir }), (w) => w.recovery.committedEvents.length))
        expect(reopened).toBe(1)
      })))
  }

  it.live("a lock held in this process blocks a child: the child reports AlreadyOpen", () =>
    Effect.scoped(Effect.gen(function*() {
      const dir = nodePlatform.freshDir()
      yield* Wal.make({ dir })
      const child = startCli(["append", dir])
      child.process.stdin.end()
      expect(yield* Effect.promise(() => child.exited)).toBe(1)
      expect(child.stderr.join("")).toContain(`already open by another live handle: ${dir}`)
    })).pipe(Effect.provide(Layer.merge(NodeContext.layer, NodeDirLock.layer))))
})

describe("Node log", () => {
  const provide = <A, E>(effect: Effect.Effect<A, E, any>) =>
    Effect.provide(effect, Layer.merge(NodeContext.layer, NodeDirLock.layer)) as Effect.Effect<A, E>

  it.live("1,000 close-then-immediate-reopen cycles in Group mode: no AlreadyOpen, no lost commit", () =>
    provide(Effect.gen(function*() {
      const dir = nodePlatform.freshDir()
      for (let i = 0; i < 1000; i++) {
        yield* Effect.scoped(Effect.gen(function*() {
          const wal = yield* Wal.make({ dir, syncMode: WalConfig.SyncMode.Group({ intervalMs: 1 }) })
          expect(wal.recovery.committedEvents.length).toBe(i)
          yield* wal.commitTx([event(i)])
        }))
      }
      const replayed = yield* Replay.replayDir(dir)
      expect(replayed.committedEvents).toEqual(Array.from({ length: 1000 }, (_, i) => event(i)))
    })), 120_000)

  it.live("64 concurrent PerCommit committers share fsyncs, and each returns only after one that covers it", () =>
    Effect.gen(function*() {
      const dir = nodePlatform.freshDir()
      const faults = new FaultyFileSystem.Faults()
      const layer = Layer.merge(
        FaultyFileSystem.layer(faults).pipe(Layer.provide(NodeFileSystem.layer), Layer.merge(NodePath.layer)),
        NodeDirLock.layer
      )
      const committers = 64
      const returned = yield* Effect.scoped(Effect.gen(function*() {
        const wal = yield* Wal.make({ dir })
        const syncsBefore = faults.synced.length
        const results = yield* Effect.all(
          Array.from({ length: committers }, (_, i) =>
            Effect.gen(function*() {
              yield* wal.commitTx([event(i)])
              // The bytes made durable by fsyncs completed before this commit returned.
              const durableBytes = Math.max(0, ...faults.synced.filter((s) => s.path.endsWith(".wal")).map((s) => s.size))
              return { id: i, durableBytes }
            })),
          { concurrency: "unbounded" }
        )
        return { results, fsyncs: faults.synced.length - syncsBefore }
      })).pipe(Effect.provide(layer))
      expect(returned.fsyncs).toBeGreaterThan(0)
      expect(returned.fsyncs).toBeLessThanOrEqual(committers / 4)
      // Where each commit's TxCommit record ends in the file.
      const bytes = new Uint8Array(fs.readFileSync(`${dir}/0000000001.wal`))
      const replay = yield* Replay.replayDir(dir).pipe(Effect.provide(NodeContext.layer))
      const frames = Inspect.frames(bytes)
      const commitEnd = new Map<bigint, number>()
      for (const f of frames) if (f._tag === "Record" && f.kindName === "TxCommit") commitEnd.set(f.txBeginLsn, f.offset + f.length)
      expect(replay.committedEvents.length).toBe(committers)
      const beginOf = new Map<number, bigint>()
      for (const f of frames) {
        if (f._tag === "Record" && f.kindName === "MutationBatch") beginOf.set(beginOf.size, f.txBeginLsn)
      }
      const order = replay.committedEvents.map((e) => Number((e as { nodeId: bigint }).nodeId))
      for (const r of returned.results) {
        const end = commitEnd.get(beginOf.get(order.indexOf(r.id))!)!
        expect(r.durableBytes, `commit ${r.id}`).toBeGreaterThanOrEqual(end)
      }
    }))

  it.live("segment and lock files are created owner-only (0600)", () =>
    provide(Effect.gen(function*() {
      const dir = nodePlatform.freshDir()
      yield* Effect.scoped(Effect.gen(function*() {
        const wal = yield* Wal.make({ dir, segmentTargetBytes: 64 })
        yield* wal.commitTx([event(1)])
        yield* wal.commitTx([event(2)])
      }))
      const files = fs.readdirSync(dir)
      expect(files).toContain(DirLock.LOCK_FILE)
      expect(files.filter((f) => f.endsWith(".wal")).length).toBe(2)
      for (const f of files) expect((fs.statSync(`${dir}/${f}`).mode & 0o777).toString(8), f).toBe("600")
    })))

  it.live("NodeWal.layer builds the whole stack from a WalConfig read from the environment", () =>
    Effect.gen(function*() {
      const dir = nodePlatform.freshDir()
      const env = (entries: ReadonlyArray<readonly [string, string]>) => ConfigProvider.fromMap(new Map(entries), { pathDelim: "_" })
      const provider = env([["WAL_DIR", dir], ["WAL_SYNC_MODE", "group:5"]])
      const mode = yield* Effect.flatMap(Wal.Wal, (wal) => Effect.succeed(wal.syncMode)).pipe(
        Effect.provide(NodeWal.layerFromEnv),
        Effect.withConfigProvider(provider)
      )
      expect(mode).toEqual(WalConfig.SyncMode.Group({ intervalMs: 5 }))
      const disabled = yield* Effect.flatMap(Wal.Wal, (wal) => wal.commitTx([event(1)])).pipe(
        Effect.provide(NodeWal.layer(WalConfig.WalConfig.Disabled()))
      )
      expect(disabled).toEqual(Option.none())
      const bad = yield* Effect.flip(
        Effect.provide(Wal.Wal, NodeWal.layerFromEnv).pipe(
          Effect.withConfigProvider(env([["WAL_DIR", dir], ["WAL_SYNC_MODE", "sometimes"]]))
        )
      )
      assert(ConfigError.isConfigError(bad) && bad._op === "InvalidData", `expected invalid config data, got ${bad}`)
      expect(bad.path.join("_")).toBe("WAL_SYNC_MODE")
      expect(bad.message).toContain("expected per-commit, group:<ms> or none")
    }))
})

/** With the pid-file lock race's SIGKILLs, more than 50 real-process kills per run. */
const KILL_ROUNDS = 40

describe("kill test", () => {
  it.live("SIGKILL at random moments: every printed commit survives, in order, and no transaction is partial", () =>
    Effect.gen(function*() {
      const dir = nodePlatform.freshDir()
      const sent = new Map<string, ReadonlyArray<number>>()
      let nextId = 1
      let kills = 0
      let printedTotal = 0
      for (let round = 0; round < KILL_ROUNDS; round++) {
        const child = startCli(["append", dir, "--sync", "per-commit", "--segment-bytes", "4096"])
        const linesOfRound: Array<string> = []
        for (let i = 0; i < 400; i++) {
          const ids = Array.from({ length: 1 + (i % 4) }, () => nextId++)
          const text = line(ids)
          sent.set(JSON.stringify(ids), ids)
          linesOfRound.push(text)
        }
        child.process.stdin.write(linesOfRound.join("\n") + "\n")
        yield* Effect.promise(() => child.waitFor((l) => l.startsWith("committed")))
        // A random moment: real time here is the thing under test, not a stand-in for synchronisation.
        yield* Effect.promise(() => new Promise((r) => setTimeout(r, Math.floor(Math.random() * 40))))
        child.process.kill("SIGKILL")
        yield* Effect.promise(() => child.exited)
        kills++
        const printed = child.lines.filter((l) => l.startsWith("committed ")).map((l) => BigInt(l.slice(10)))
        printedTotal += printed.length
        const transactions: Array<Replay.Transaction<MutationEvent>> = []
        const summary = yield* Replay.run(dir, { onTransaction: (tx) => Effect.sync(() => void transactions.push(tx)) })
        expect(summary.tornTail._tag === "None" || summary.tornTail.value.classification === "torn-tail").toBe(true)
        const commitLsns = transactions.map((t) => t.commitLsn as bigint)
        let cursor = 0
        for (const lsn of printed) {
          cursor = commitLsns.indexOf(lsn, cursor)
          expect(cursor, `printed commit ${lsn} missing after kill ${kills}`).toBeGreaterThanOrEqual(0)
        }
        for (const tx of transactions) {
          const ids = tx.events.map((e) => Number((e as { id: bigint }).id))
          expect(sent.get(JSON.stringify(ids)), `partial or unknown transaction at ${tx.commitLsn}`).toEqual(ids)
        }
      }
      console.log(`kill test: ${kills} SIGKILLs, ${printedTotal} acknowledged commits checked`)
      expect(kills).toBe(KILL_ROUNDS)
    }).pipe(Effect.provide(NodeContext.layer)), 300_000)
})
