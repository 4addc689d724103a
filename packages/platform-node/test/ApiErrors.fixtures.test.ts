import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { unsafeMake as lsn } from "@lora-wal/core/Lsn"
import * as Replay from "@lora-wal/core/Replay"
import * as Wal from "@lora-wal/core/Wal"
import { CrcMismatch, Encode, Io, Poisoned } from "@lora-wal/core/WalError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as path from "node:path"
import { fixturesRoot } from "../../core/test/fixtures.js"
import * as NodeDirLock from "../src/NodeDirLock.js"
import { nodePlatform } from "./layers.js"

interface ErrorJson {
  readonly variant: string
  readonly display: string
  readonly io_kind?: string
}

/** What lora-wal 0.8.3 answered to API misuse (fixtures/lora-wal-0.8.3/api-errors). */
const expected: {
  readonly second_open_while_first_alive: { readonly error: ErrorJson }
  readonly append_batch_empty: { readonly error: ErrorJson }
  readonly next_lsn_after_failed_empty_batch: string
  readonly commit_tx_empty: string
  readonly reopen_after_drop_ok: boolean
  readonly replay_dir_nonexistent: { readonly error: ErrorJson }
  readonly display_samples: ReadonlyArray<ErrorJson>
} = JSON.parse(fs.readFileSync(path.join(fixturesRoot, "api-errors", "expected.json"), "utf8"))

const layer = Layer.merge(NodeContext.layer, NodeDirLock.layer)
const inDir = (dir: string, display: string) => display.replaceAll("<dir>", dir)

describe("API misuse answers as lora-wal 0.8.3 does (api-errors fixture)", () => {
  it.scoped("a second open while the first is alive; a reopen after the first is closed", () =>
    Effect.gen(function*() {
      const dir = nodePlatform.freshDir()
      const second = yield* Effect.scoped(Effect.gen(function*() {
        yield* Wal.make({ dir })
        return yield* Effect.flip(Effect.scoped(Wal.make({ dir })))
      }))
      const error = expected.second_open_while_first_alive.error
      expect(second._tag).toBe(error.variant)
      expect(second.message).toBe(inDir(dir, error.display))
      const reopened = yield* Effect.scoped(Effect.as(Wal.make({ dir }), true))
      expect(reopened).toBe(expected.reopen_after_drop_ok)
    }).pipe(Effect.provide(layer)))

  it.scoped("an empty batch is an Encode error that consumes no LSN; an empty commitTx writes nothing", () =>
    Effect.gen(function*() {
      const wal = yield* Wal.make({ dir: nodePlatform.freshDir() })
      const begin = yield* wal.begin
      const error = yield* Effect.flip(wal.appendBatch(begin, []))
      expect(error._tag).toBe(expected.append_batch_empty.error.variant)
      expect(error.message).toBe(expected.append_batch_empty.error.display)
      expect(String(yield* wal.nextLsn)).toBe(expected.next_lsn_after_failed_empty_batch)
      expect(Option.isSome(yield* wal.commitTx([])) ? "Yes" : "No").toBe(expected.commit_tx_empty)
      expect(String(yield* wal.nextLsn)).toBe(expected.next_lsn_after_failed_empty_batch)
    }).pipe(Effect.provide(layer)))

  it.effect("replaying a directory that does not exist is an Io error of kind NotFound", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Replay.replayDir(path.join(nodePlatform.freshDir(), "missing")))
      const rust = expected.replay_dir_nonexistent.error
      expect(error._tag).toBe(rust.variant)
      // Rust's text for an I/O error is its standard library's; the kind must agree.
      expect(error._tag === "Io" && error.reason).toBe(rust.io_kind)
    }).pipe(Effect.provide(layer)))

  it("error messages read exactly as lora-wal's", () => {
    const ours = [
      new Poisoned({ cause: new Io({ reason: "Unknown", description: "EIO" }) }),
      new Encode({ reason: "record larger than 4 GiB" }),
      new CrcMismatch({ lsn: lsn(7n), expected: 0xdeadbeef, actual: 0x12 })
    ]
    expect(ours.map((e) => ({ variant: e._tag, display: e.message }))).toEqual(
      expected.display_samples.map(({ display, variant }) => ({ variant, display }))
    )
  })
})
