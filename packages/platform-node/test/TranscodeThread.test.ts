import { describe, expect, it } from "@effect/vitest"
import { onTestFinished } from "vitest"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Bytes from "@lora-wal/core/Bytes"
import * as LoraCodec from "@lora-wal/core/LoraCodec"
import * as LoraJson from "@lora-wal/core/LoraJson"
import * as Lsn from "@lora-wal/core/Lsn"
import type { MutationEvent } from "@lora-wal/core/MutationEvent"
import * as V from "@lora-wal/core/PropertyValue"
import * as Segment from "@lora-wal/core/Segment"
import * as TranscodeAhead from "@lora-wal/core/TranscodeAhead"
import * as WalRecord from "@lora-wal/core/WalRecord"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Worker } from "node:worker_threads"
import { transcodeThread } from "../src/internal/cli/transcodeThread.js"
import { bin } from "./child.js"
import { nodePlatform } from "./layers.js"

/** The thread as the build leaves it (globalSetup builds before these tests). */
const workerFile = new URL("../dist/internal/transcodeWorker.bundle.js", import.meta.url)

/** Events of every shape the direct writer knows, and some it leaves to the codec (vectors, NaN, index keys). */
const eventOf = (i: number): MutationEvent => {
  switch (i % 6) {
    case 0:
      return { _tag: "CreateNode", id: BigInt(i), labels: ["Person"], properties: V.properties({ name: V.string(`p-${i}`), score: V.float(i / 7) }) }
    case 1:
      return { _tag: "CreateRelationship", id: BigInt(i), src: 1n, dst: 2n, relType: "KNOWS", properties: V.properties({ since: V.int(i) }) }
    case 2:
      return { _tag: "SetNodeProperty", nodeId: BigInt(i), key: "é\"", value: V.string("\u0000\u2028😀") }
    case 3:
      return { _tag: "SetRelationshipProperty", relId: 2n, key: "v", value: i % 600 === 3 ? V.vector(Float64Array.of(1.5, -0)) : V.float(NaN) }
    case 4:
      return { _tag: "CreateNode", id: 3n, labels: [], properties: V.properties({ "10": V.null, "2": V.list([V.int(-1), V.bool(true)]) }) }
    default:
      return { _tag: "DeleteNode", nodeId: BigInt(i) }
  }
}

/** A log of `megabytes` MiB in 2 MiB segments, one 8-event `MutationBatch` transaction after another, written directly. */
const writeLog = (dir: string, megabytes: number): void => {
  const writer = new Bytes.Writer(3 * 1024 * 1024)
  let lsn = 1n
  let segment = 1n
  let written = 0
  let i = 0
  const open = () => writer.raw(Segment.encodeHeader({ baseLsn: Lsn.unsafeMake(lsn) }))
  const flush = () => {
    fs.writeFileSync(path.join(dir, Segment.fileName(segment as Segment.SegmentId)), writer.written)
    written += writer.length
    writer.reset()
  }
  open()
  while (written + writer.length < megabytes * 1024 * 1024) {
    if (writer.length >= 2 * 1024 * 1024) {
      flush()
      segment++
      open()
    }
    const begin = Lsn.unsafeMake(lsn++)
    const events = Array.from({ length: 8 }, () => eventOf(i++))
    WalRecord.encode(LoraCodec.codec, writer, { _tag: "TxBegin", lsn: begin })
    WalRecord.encode(LoraCodec.codec, writer, { _tag: "MutationBatch", lsn: Lsn.unsafeMake(lsn++), txBeginLsn: begin, events })
    WalRecord.encode(LoraCodec.codec, writer, { _tag: "TxCommit", lsn: Lsn.unsafeMake(lsn++), txBeginLsn: begin })
  }
  flush()
}

/** The lines replayLines hands over for `dir`, with `prepared` or on one thread, and how it ended. */
const linesOf = (dir: string, prepared?: LoraJson.PreparedBatches) =>
  Effect.gen(function*() {
    const handed: Array<Buffer> = []
    const exit = yield* Effect.exit(LoraJson.replayLines(dir, { prepared, onLines: (b) => Effect.sync(() => void handed.push(Buffer.from(b))) }))
    return { text: Buffer.concat(handed).toString("utf8"), exit }
  }).pipe(Effect.provide(NodeContext.layer))

/** Flips one byte in the middle of the log's third segment: a record no crash leaves, so replay refuses it. */
const damage = (dir: string): void => {
  const file = path.join(dir, Segment.fileName(3n as Segment.SegmentId))
  const bytes = fs.readFileSync(file)
  bytes[bytes.length >> 1] ^= 0x40
  fs.writeFileSync(file, bytes)
}

describe("replay --jsonl with a transcoding thread", () => {
  it.scoped("the thread transcodes batches, and the lines are the one-thread replay's", () =>
    Effect.gen(function*() {
      const dir = nodePlatform.freshDir()
      writeLog(dir, 10)
      const consumer = yield* transcodeThread(dir, { file: workerFile })
      expect(consumer).toBeDefined()
      const ahead = yield* linesOf(dir, consumer)
      const plain = yield* linesOf(dir)
      expect(Exit.isSuccess(ahead.exit)).toBe(true)
      expect(ahead.text).toBe(plain.text)
      const { asked, taken } = consumer!.stats()
      expect(asked).toBe(plain.text.split("\n").length - 1)
      expect(taken).toBeGreaterThan(0)
    }))

  it.scoped("no thread for a log too small to pay for one, or without a built thread", () =>
    Effect.gen(function*() {
      const dir = nodePlatform.freshDir()
      writeLog(dir, 1)
      expect(yield* transcodeThread(dir, { file: workerFile })).toBeUndefined()
      writeLog(dir, 10)
      expect(yield* transcodeThread(dir, { file: undefined })).toBeUndefined()
    }))

  it.scoped("a thread that cannot start, or dies starting, leaves the replay to do the work", () =>
    Effect.gen(function*() {
      const dir = nodePlatform.freshDir()
      writeLog(dir, 10)
      expect(yield* transcodeThread(dir, { file: new URL("http://localhost/thread.js") })).toBeUndefined()
      let online = 0
      const dead = yield* transcodeThread(dir, { file: new URL("./no-such-thread.js", workerFile), onOnline: () => void online++ })
      // Creating the thread reset V8's flags, however it ends: they are set again all the same.
      expect(online).toBe(1)
      expect((yield* linesOf(dir, dead)).text).toBe((yield* linesOf(dir)).text)
      expect(dead?.stats().taken ?? 0).toBe(0)
    }))

  it("the executable prints the library's lines, and refuses damage after the same lines", async () => {
    const dir = nodePlatform.freshDir()
    writeLog(dir, 10)
    const run = () => spawnSync(process.execPath, [bin, "replay", dir, "--jsonl"], { encoding: "utf8", maxBuffer: 1 << 30 })
    const healthy = run()
    expect(healthy.status).toBe(0)
    expect(healthy.stdout).toBe((await Effect.runPromise(linesOf(dir))).text)
    damage(dir)
    const plain = await Effect.runPromise(linesOf(dir))
    expect(Exit.isFailure(plain.exit)).toBe(true)
    const damaged = run()
    expect(damaged.status).toBe(1)
    expect(damaged.stdout).toBe(plain.text)
    expect(damaged.stderr).toMatch(/^lora-wal: .*0000000003\.wal.*\n$/)
  })

  it("the executable ignores a FIFO named as a segment, as replay does, and under an address-space limit runs on one thread", async () => {
    const dir = nodePlatform.freshDir()
    writeLog(dir, 10)
    const expected = (await Effect.runPromise(linesOf(dir))).text
    // Opening a FIFO blocks until a writer comes: the thread must never be given one.
    expect(spawnSync("mkfifo", [path.join(dir, Segment.fileName(99n as Segment.SegmentId))]).status).toBe(0)
    const run = (prefix: string) =>
      spawnSync("bash", ["-c", `${prefix}"${process.execPath}" "${bin}" replay "${dir}" --jsonl`], {
        encoding: "utf8",
        maxBuffer: 1 << 30,
        timeout: 60_000
      })
    for (const prefix of ["", "ulimit -v 1500000; "]) {
      const result = run(prefix)
      expect(result.status).toBe(0)
      expect(result.stdout).toBe(expected)
    }
  })

  it("a stopped ring lets a thread waiting for room finish on its own", async () => {
    const dir = nodePlatform.freshDir()
    writeLog(dir, 10)
    const ring = TranscodeAhead.make()
    const files = fs.readdirSync(dir).sort().map((name) => path.join(dir, name))
    const worker = new Worker(fileURLToPath(workerFile), { workerData: { ring, files } })
    onTestFinished(() => void worker.terminate())
    const exited = new Promise<number>((resolve) => worker.once("exit", resolve))
    // Nobody takes from the ring: the thread fills it (10 MiB of batches, a 1.3 MiB ring) and waits.
    const consumer = TranscodeAhead.consumer(ring, () => false)
    // The ring's first word counts the slots published: once all are, the thread waits for room.
    const published = new Int32Array(ring.buffer, 0, 1)
    while (Atomics.load(published, 0) < ring.slots) await new Promise(setImmediate)
    consumer.stop()
    expect(await exited).toBe(0)
  })
})
