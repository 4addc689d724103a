import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import * as DirLock from "@lora-wal/core/DirLock"
import * as Follow from "@lora-wal/core/Follow"
import * as Wal from "@lora-wal/core/Wal"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as path from "node:path"
import { nodePlatform } from "./layers.js"

const machine = Layer.provideMerge(DirLock.layerMemory, NodeContext.layer)
const FIRST = "0000000001.wal"

describe("Follow.directory on the Node filesystem", () => {
  it.live("a segment that recovery rewrote to a file of the very size the old one had (a torn tail left out, as many bytes appended) is still read anew", () =>
    Effect.gen(function*() {
      const root = nodePlatform.freshDir()
      const shadow = path.join(root, "shadow")
      const dir = path.join(root, "wal")
      const committed: Array<bigint> = []
      const commit = (options: Wal.LoraOptions, nodeId: bigint) =>
        Effect.scoped(Effect.flatMap(Wal.make(options), (wal) => wal.commitTx([{ _tag: "DeleteNode", nodeId }]))).pipe(
          Effect.map((lsn) => void committed.push(Option.getOrThrow(lsn)))
        )
      // The first writer's log; a second writer's life over a copy of it, played in a shadow directory.
      yield* commit({ dir: shadow }, 0n)
      const before = fs.statSync(path.join(shadow, FIRST)).size
      fs.mkdirSync(dir)
      fs.copyFileSync(path.join(shadow, FIRST), path.join(dir, FIRST))
      yield* commit({ dir: shadow }, 1n)
      const after = fs.statSync(path.join(shadow, FIRST)).size
      // The followed first writer crashed leaving a torn record exactly as long as what the second appends.
      const torn = Buffer.alloc(after - before)
      torn.writeUInt32LE(1000, 0)
      fs.appendFileSync(path.join(dir, FIRST), torn)
      expect(fs.statSync(path.join(dir, FIRST)).size).toBe(after)
      const queue = yield* Queue.unbounded<bigint>()
      const follower = yield* Effect.fork(
        Stream.runForEach(Follow.directory(dir, { pollInterval: "10 millis" }), (t) => Queue.offer(queue, t.commitLsn))
      )
      const emitted = (count: number) =>
        Queue.size(queue).pipe(Effect.repeat({ until: (n) => n >= count, schedule: Schedule.spaced("5 millis") }), Effect.timeout("10 seconds"))
      yield* emitted(1)
      // The second writer's recovery renames its rewritten copy into place (same size, other bytes).
      fs.copyFileSync(path.join(shadow, FIRST), path.join(dir, `${FIRST}.tmp`))
      fs.renameSync(path.join(dir, `${FIRST}.tmp`), path.join(dir, FIRST))
      yield* emitted(2)
      yield* Fiber.interrupt(follower)
      expect(Chunk.toReadonlyArray(yield* Queue.takeAll(queue))).toEqual(committed)
    }).pipe(Effect.provide(machine)))
})
