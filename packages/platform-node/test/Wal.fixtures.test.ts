import * as FileSystem from "@effect/platform/FileSystem"
import { describe, expect, it } from "@effect/vitest"
import * as LoraJson from "@lora-wal/core/LoraJson"
import * as Lsn from "@lora-wal/core/Lsn"
import * as Replay from "@lora-wal/core/Replay"
import * as ReplayReport from "@lora-wal/core/ReplayReport"
import * as Wal from "@lora-wal/core/Wal"
import { SyncMode } from "@lora-wal/core/WalConfig"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import * as fs from "node:fs"
import * as path from "node:path"
import { scenarios } from "../../core/test/fixtures.js"
import { copyIn, diskSnapshot, platforms, sizes, snapshot } from "./layers.js"

const decodeEvents = Schema.decodeUnknownSync(Schema.Array(LoraJson.MutationEventFromJson))
const lsn = (s: string) => Lsn.unsafeMake(BigInt(s))

const syncModeOf = (json: { mode: string; interval_ms?: number }) =>
  json.mode === "Group" ? SyncMode.Group({ intervalMs: json.interval_ms! }) : json.mode === "None" ? SyncMode.None() : SyncMode.PerCommit()

const resultOf = <A>(exit: Exit.Exit<A, { readonly _tag: string; readonly message: string }>, ok: (a: A) => object) =>
  Exit.isSuccess(exit) ? { ok: true, ...ok(exit.value) } : { ok: false, error: Exit.isFailure(exit) ? exit.cause : undefined }

/** Executes a scenario's ops.json (API calls and file edits) against the provided platform. */
const runOps = (ops: ReadonlyArray<Record<string, any>>, dir: string) =>
  Effect.gen(function*() {
    const fsys = yield* FileSystem.FileSystem
    let scope: Scope.CloseableScope | undefined
    let wal: Wal.Wal | undefined
    const file = (name: string) => `${dir}/${name}`
    for (const op of ops) {
      const call = <A>(effect: Effect.Effect<A, any>, ok: (a: A) => object) =>
        Effect.gen(function*() {
          const exit = yield* Effect.exit(effect)
          const got = resultOf(exit, ok)
          expect(got.ok, `${op.op}: ${JSON.stringify(op.result)}`).toBe(op.result.ok)
          if (op.result.ok) expect(got).toEqual(op.result)
        })
      switch (op.op) {
        case "open": {
          scope = yield* Scope.make()
          wal = yield* Wal.make({
            dir,
            syncMode: syncModeOf(op.sync_mode),
            segmentTargetBytes: Number(op.segment_target_bytes),
            fence: BigInt(op.fence)
          }).pipe(Scope.extend(scope))
          const status = yield* wal.status
          expect({
            ok: true,
            replayed_event_count: wal.recovery.committedEvents.length,
            next_lsn: String(status.nextLsn),
            durable_lsn: String(status.durableLsn),
            active_segment_id: String(status.activeSegmentId),
            oldest_segment_id: String(status.oldestSegmentId)
          }).toEqual(op.result)
          break
        }
        case "close":
          yield* Scope.close(scope!, Exit.void)
          break
        case "commit_tx": {
          // lora-wal answers Yes/No; ours is the TxCommit's LSN: the third after the TxBegin's.
          const begin = yield* wal!.nextLsn
          yield* call(wal!.commitTx(decodeEvents(op.events)), (commitLsn) => {
            if (Option.isSome(commitLsn)) expect(commitLsn.value).toBe(begin + 2n)
            return { wrote: Option.isSome(commitLsn) ? "Yes" : "No" }
          })
          break
        }
        case "begin":
          yield* call(wal!.begin, (l) => ({ lsn: String(l) }))
          break
        case "append":
          yield* call(wal!.append(lsn(op.tx_begin_lsn), decodeEvents([op.event])[0]!), (l) => ({ lsn: String(l) }))
          break
        case "append_batch":
          yield* call(wal!.appendBatch(lsn(op.tx_begin_lsn), decodeEvents(op.events)), (l) => ({ lsn: String(l) }))
          break
        case "commit":
          yield* call(wal!.commit(lsn(op.tx_begin_lsn)), (l) => ({ lsn: String(l) }))
          break
        case "abort":
          yield* call(wal!.abort(lsn(op.tx_begin_lsn)), (l) => ({ lsn: String(l) }))
          break
        case "checkpoint_marker":
          yield* call(wal!.checkpointMarker(lsn(op.snapshot_lsn)), (l) => ({ lsn: String(l) }))
          break
        case "flush":
          yield* call(wal!.flush, () => ({}))
          break
        case "force_fsync":
          yield* call(wal!.forceFsync, () => ({}))
          break
        case "truncate_up_to": {
          const before = new Set(yield* fsys.readDirectory(dir))
          yield* call(wal!.truncateUpTo(lsn(op.fence)), () => ({}))
          const after = new Set(yield* fsys.readDirectory(dir))
          expect([...before].filter((n) => !after.has(n)).sort()).toEqual(op.removed_files)
          expect(String((yield* wal!.status).oldestSegmentId)).toBe(op.oldest_segment_id_after)
          break
        }
        case "sleep_ms":
          yield* TestClock.adjust(op.ms)
          break
        case "file_append_bytes": {
          const bytes = yield* fsys.readFile(file(op.file))
          yield* fsys.writeFile(file(op.file), Uint8Array.of(...bytes, ...Buffer.from(op.hex, "hex")))
          break
        }
        case "file_set_len":
          yield* fsys.truncate(file(op.file), Number(op.len))
          break
        case "file_xor_byte": {
          const bytes = yield* fsys.readFile(file(op.file))
          bytes[Number(op.offset)] = bytes[Number(op.offset)]! ^ op.mask
          yield* fsys.writeFile(file(op.file), bytes)
          break
        }
        case "file_write":
          yield* fsys.writeFile(file(op.file), new Uint8Array(Buffer.from(op.hex, "hex")))
          break
        case "file_remove":
          yield* fsys.remove(file(op.file))
          break
        default:
          throw new Error(`unknown op ${op.op}`)
      }
    }
  })

for (const platform of platforms) {
  describe(`ops.json replays to byte-identical files (${platform.name})`, () => {
    for (const scenario of scenarios) {
      it.scoped(scenario.name, () =>
        Effect.gen(function*() {
          const dir = platform.freshDir()
          yield* runOps(scenario.ops.ops, dir)
          const produced = yield* snapshot(dir)
          const expected = diskSnapshot(scenario.walDir)
          expect(sizes(produced)).toEqual(sizes(expected))
          for (const name of Object.keys(expected)) {
            expect(Buffer.from(produced[name]!).equals(Buffer.from(expected[name]!)), name).toBe(true)
          }
        }).pipe(Effect.provide(platform.layer())))
    }
  })
}

interface OpenJson {
  readonly fence: string
  readonly ok: boolean
  readonly error?: { readonly variant: string; readonly display: string }
  readonly event_count?: number
  readonly next_lsn?: string
  readonly durable_lsn?: string
  readonly active_segment_id?: string
  readonly oldest_segment_id?: string
  readonly torn_tail_truncated?: boolean
  readonly files_before: Record<string, number>
  readonly files_after_open?: Record<string, number>
  readonly files_after?: Record<string, number>
  readonly post_open_probe_commit?: {
    readonly event: unknown
    readonly result: string
    readonly next_lsn_after: string
    readonly files_after: Record<string, number>
    readonly replay_dir_fence0_after: { readonly event_count: number; readonly max_lsn: string; readonly last_event: unknown }
  }
}

const afterOpen = scenarios.flatMap((scenario) => {
  const file = path.join(scenario.dir, "replay_after_open.json")
  if (!fs.existsSync(file)) return []
  const json = JSON.parse(fs.readFileSync(file, "utf8"))
  return json.opens.map((open: OpenJson) => ({ scenario, open, targetBytes: Number(json.segment_target_bytes) }))
}) as Array<{ scenario: (typeof scenarios)[number]; open: OpenJson; targetBytes: number }>

/** The probe commit every open fixture makes, and how many bytes it adds (from empty-fresh). */
const probeGrowth = (() => {
  const fresh = afterOpen.find((a) => a.scenario.name === "empty-fresh")!.open
  return fresh.post_open_probe_commit!.files_after["0000000001.wal"]! - fresh.files_after_open!["0000000001.wal"]!
})()

/**
 * What this library must do where it deliberately differs from lora-wal
 * (fixtures README), derived from the fixture's own facts.
 */
const deliberate = (name: string, open: OpenJson): OpenJson | "corruption" | "gap" | "hole" | undefined => {
  const before = open.files_before
  // The log must reach back to the fence: lora-wal opens a truncated log below its oldest segment.
  const oldest = scenarios.find((s) => s.name === name)!.expected.segments[0]
  if (open.ok && oldest !== undefined && BigInt(oldest.base_lsn) > BigInt(open.fence) + 1n) return "hole"
  // New records get LSNs above the fence even when the log ends below it (lora-wal reuses
  // LSNs at or below the fence, which the next recovery then skips).
  const fence = BigInt(open.fence)
  if (open.ok && fence >= BigInt(open.next_lsn!)) {
    const probe = open.post_open_probe_commit!
    return {
      ...open,
      next_lsn: String(fence + 1n),
      post_open_probe_commit: {
        ...probe,
        next_lsn_after: String(fence + 4n),
        replay_dir_fence0_after: { ...probe.replay_dir_fence0_after, max_lsn: String(fence + 3n) }
      }
    }
  }
  switch (name) {
    case "crc-corrupt-active-middle":
      return "corruption"
    case "segment-gap-in-middle":
      return "gap"
    case "last-segment-sealed": {
      // Open starts segment 4 after the sealed segment 3 (base = max LSN + 1).
      const replay = JSON.parse(fs.readFileSync(path.join(scenarios.find((s) => s.name === name)!.dir, "expected.json"), "utf8"))
        .replay_dir[0].result
      const max = BigInt(replay.max_lsn)
      const filesAfterOpen = { ...before, "0000000004.wal": 32 }
      return {
        ...open,
        ok: true,
        event_count: replay.event_count,
        next_lsn: String(max + 1n),
        durable_lsn: String(max),
        active_segment_id: "4",
        oldest_segment_id: "1",
        torn_tail_truncated: false,
        files_after_open: filesAfterOpen,
        post_open_probe_commit: {
          ...fixtureProbe,
          next_lsn_after: String(max + 4n),
          files_after: { ...filesAfterOpen, "0000000004.wal": 32 + probeGrowth },
          replay_dir_fence0_after: { event_count: replay.event_count + 1, max_lsn: String(max + 3n), last_event: fixtureProbe.event }
        }
      }
    }
    case "empty-segment-file": {
      // The empty 0000000002.wal is an interrupted rotation: removed, appends go to segment 1.
      const { "0000000002.wal": _, ...rest } = before
      return {
        ...open,
        ok: true,
        event_count: 1,
        next_lsn: "4",
        durable_lsn: "3",
        active_segment_id: "1",
        oldest_segment_id: "1",
        torn_tail_truncated: false,
        files_after_open: rest,
        post_open_probe_commit: {
          ...fixtureProbe,
          next_lsn_after: "7",
          files_after: { ...rest, "0000000001.wal": rest["0000000001.wal"]! + probeGrowth },
          replay_dir_fence0_after: { event_count: 2, max_lsn: "6", last_event: fixtureProbe.event }
        }
      }
    }
  }
  return undefined
}
const fixtureProbe = afterOpen.find((a) => a.scenario.name === "empty-fresh")!.open.post_open_probe_commit!

for (const platform of platforms) {
  describe(`open after the fixture (replay_after_open.json, ${platform.name})`, () => {
    for (const { open: recorded, scenario, targetBytes } of afterOpen) {
      it.scoped(`${scenario.name} fence ${recorded.fence}`, () =>
        Effect.gen(function*() {
          const dir = platform.freshDir()
          yield* copyIn(scenario.walDir, dir)
          const expected = deliberate(scenario.name, recorded) ?? recorded
          const scope = yield* Scope.make()
          const exit = yield* Effect.exit(
            Wal.make({ dir, segmentTargetBytes: targetBytes, fence: BigInt(recorded.fence) }).pipe(Scope.extend(scope))
          )
          if (expected === "corruption" || expected === "gap" || expected === "hole" || !expected.ok) {
            expect(Exit.isFailure(exit)).toBe(true)
            const error = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined
            if (expected === "corruption") {
              expect(error?._tag).toBe("Corruption")
              expect(error?.message).toContain(`${dir}/0000000001.wal at offset 403`)
              expect(error?.message).toContain("a valid record with lsn 9 follows at offset 526 (last good lsn 7)")
            } else if (expected === "gap") {
              expect(error?._tag).toBe("Malformed")
              expect(error?.message).toContain("segment 2 (0000000002.wal) is missing")
            } else if (expected === "hole") {
              const oldest = scenario.expected.segments[0]!.base_lsn
              expect(error?._tag).toBe("Malformed")
              expect(error?.message).toContain(`the log starts at lsn ${oldest} but the fence is lsn ${recorded.fence}`)
            } else {
              expect({ variant: error?._tag, display: error?.message.split(dir).join("<dir>") }).toEqual({
                variant: expected.error!.variant,
                display: expected.error!.display
              })
            }
            // Nothing is changed by a failed open.
            expect(sizes(yield* snapshot(dir))).toEqual(recorded.files_before)
            return
          }
          expect(Exit.isSuccess(exit)).toBe(true)
          const wal = (exit as Exit.Success<Wal.Wal, never>).value
          const status = yield* wal.status
          expect({
            event_count: wal.recovery.committedEvents.length,
            next_lsn: String(status.nextLsn),
            durable_lsn: String(status.durableLsn),
            active_segment_id: String(status.activeSegmentId),
            oldest_segment_id: String(status.oldestSegmentId),
            torn_tail_truncated: wal.recovery.tornTailTruncated,
            files_after_open: sizes(yield* snapshot(dir))
          }).toEqual({
            event_count: expected.event_count,
            next_lsn: expected.next_lsn,
            durable_lsn: expected.durable_lsn,
            active_segment_id: expected.active_segment_id,
            oldest_segment_id: expected.oldest_segment_id,
            torn_tail_truncated: expected.torn_tail_truncated,
            files_after_open: expected.files_after_open
          })
          // The recovered events are what read-only replay returns at the same fence.
          const replayed = yield* Replay.replayDir(scenario.walDir, { fence: BigInt(recorded.fence) }).pipe(
            Effect.provide(platforms[0]!.layer())
          )
          expect(wal.recovery.committedEvents).toEqual(replayed.committedEvents)
          const probe = expected.post_open_probe_commit!
          const probeLsn = yield* wal.commitTx(decodeEvents([probe.event]))
          expect(Option.isSome(probeLsn) ? "Yes" : "No").toBe(probe.result)
          expect(Option.map(probeLsn, String)).toEqual(Option.some(String(BigInt(probe.next_lsn_after) - 1n)))
          expect(String(yield* wal.nextLsn)).toBe(probe.next_lsn_after)
          yield* Scope.close(scope, Exit.void)
          expect(sizes(yield* snapshot(dir))).toEqual(probe.files_after)
          const after = yield* Replay.replayDir(dir)
          expect(JSON.parse(JSON.stringify(ReplayReport.replayOutcome(after, dir).committed_events.at(-1)))).toEqual(probe.event)
          expect({ event_count: after.committedEvents.length, max_lsn: String(after.maxLsn) }).toEqual({
            event_count: probe.replay_dir_fence0_after.event_count,
            max_lsn: probe.replay_dir_fence0_after.max_lsn
          })
        }).pipe(Effect.provide(platform.layer())))
    }
  })
}
