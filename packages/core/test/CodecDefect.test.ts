import * as Path from "@effect/platform/Path"
import { describe, expect, it } from "@effect/vitest"
import { MemoryFileSystem } from "@lora-wal/testkit"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as DirLock from "../src/DirLock.js"
import * as EventCodec from "../src/EventCodec.js"
import * as LoraCodec from "../src/LoraCodec.js"
import type { MutationEvent } from "../src/MutationEvent.js"
import * as Replay from "../src/Replay.js"
import * as Verify from "../src/Verify.js"
import * as Wal from "../src/Wal.js"

/** LoraDB's codec with a bug: reading node 13's deletion throws something that is not a DecodeFailure. */
const buggy = EventCodec.make<MutationEvent>({
  magic: LoraCodec.codec.magic,
  write: LoraCodec.codec.write,
  read: (reader) => {
    const event = LoraCodec.codec.read(reader)
    if (event._tag === "DeleteNode" && event.nodeId === 13n) throw new TypeError("the codec has a bug")
    return event
  }
})

const setup = Effect.gen(function*() {
  const disk = new MemoryFileSystem.MemoryState()
  const platform = Layer.provideMerge(DirLock.layerMemory, Layer.merge(MemoryFileSystem.layerWith(disk), Path.layer))
  // Node 13's deletion is in the newest segment, where a torn tail is truncated when the log opens.
  yield* Effect.scoped(Effect.gen(function*() {
    const wal = yield* Wal.make({ dir: "/log" })
    for (const id of [11n, 12n, 13n, 14n]) yield* wal.commitTx([{ _tag: "DeleteNode", nodeId: id }])
  })).pipe(Effect.provide(platform))
  const files = () => disk.children("/log").map((name) => [name, disk.read(`/log/${name}`)?.slice()] as const)
  return { platform, files }
})

const expectDefect = (exit: Exit.Exit<unknown, unknown>) => {
  expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
  if (Exit.isFailure(exit)) expect(String(Cause.squash(exit.cause))).toContain("the codec has a bug")
}

describe("a codec that throws anything but DecodeFailure has a bug, not damage in the log", () => {
  it.effect("replay, open and verify fail with the defect, and the log is not touched", () =>
    Effect.gen(function*() {
      const { files, platform } = yield* setup
      const before = files()
      expectDefect(yield* Effect.exit(Replay.replayDir("/log", { codec: buggy })).pipe(Effect.provide(platform)))
      expectDefect(yield* Effect.exit(Effect.scoped(Wal.make({ dir: "/log", codec: buggy }))).pipe(Effect.provide(platform)))
      expectDefect(yield* Effect.exit(Verify.verifyDir("/log", { codec: buggy })).pipe(Effect.provide(platform)))
      expect(files()).toEqual(before)
      // With the codec mended, every commit is there.
      const outcome = yield* Replay.replayDir("/log").pipe(Effect.provide(platform))
      expect(outcome.committedEvents.map((e) => e._tag === "DeleteNode" && e.nodeId)).toEqual([11n, 12n, 13n, 14n])
    }))
})
