/**
 * `Verify`'s walk of a whole directory: the segments oldest first, one at a
 * time, every problem collected in file and offset order (up to a limit,
 * past which they are only counted, so that memory stays bounded even when
 * every record is bad).
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import type { Crc32Function } from "../Crc32.js"
import type { EventCodec } from "../EventCodec.js"
import type { Io } from "../WalError.js"
import type { Progress } from "./chunkReader.js"
import { type Entry, listEntries } from "./verifyListing.js"
import { OrderChecker } from "./verifyOrder.js"
import { Problem } from "./verifyProblem.js"
import { SegmentReader } from "./verifyReader.js"
import { type Context, type Gap, reportGap, walkSegment } from "./verifySegment.js"

export interface WalkOptions {
  readonly fence: bigint | undefined
  readonly codec: EventCodec<unknown>
  readonly crc32: Crc32Function
  readonly chunkBytes: number
  readonly maxProblems: number
  readonly onProgress: ((progress: Progress) => Effect.Effect<void>) | undefined
}

export interface Walked {
  readonly problems: ReadonlyArray<Problem>
  readonly omitted: number
  readonly segments: number
  readonly bytes: number
  readonly records: number
  readonly lowestLsn: bigint
  readonly highestLsn: bigint
}

const sizeOf = (entry: Entry): number => entry.role._tag === "Unreadable" ? 0 : entry.role.size

const gapBefore = (entries: ReadonlyArray<Entry>, i: number): Gap | undefined => {
  const previous = entries[i - 1]
  const id = entries[i]!.id
  return previous === undefined || id === previous.id + 1n
    ? undefined
    : { from: (previous.id + 1n) as Gap["from"], to: (id - 1n) as Gap["to"] }
}

/** One file: walked, or reported from what the listing found. */
const visit = (ctx: Context, entries: ReadonlyArray<Entry>, i: number): Effect.Effect<void> => {
  const entry = entries[i]!
  const { name: file, role } = entry
  const gap = gapBefore(entries, i)
  if (role._tag === "Walk") return walkSegment(ctx, entry, { size: role.size, newest: role.newest, oldest: i === 0, gap })
  return Effect.sync(() => {
    reportGap(ctx, file, gap, undefined)
    switch (role._tag) {
      case "Interrupted":
        return ctx.emit(Problem.InterruptedRotation({ file, size: role.size, atOpen: "remove" }))
      case "Short":
        ctx.emit(Problem.HeaderIncomplete({ file, offset: 0, size: role.size, atOpen: "refuse" }))
        return ctx.checker.lost()
      case "Unreadable":
        ctx.emit(Problem.Unreadable({ file, offset: undefined, reason: role.reason, atOpen: "refuse" }))
        return ctx.checker.lost()
    }
  })
}

/** Verifies every segment of `dir`; fails only when the directory cannot be listed. */
export const walkDir = (
  fs: FileSystem.FileSystem,
  path: Path.Path,
  dir: string,
  options: WalkOptions
): Effect.Effect<Walked, Io> =>
  Effect.gen(function*() {
    const entries = yield* listEntries(fs, path, dir)
    const problems: Array<Problem> = []
    let omitted = 0
    const totalBytes = entries.reduce((n, entry) => n + (entry.role._tag === "Walk" ? entry.role.size : 0), 0)
    let bytesRead = 0
    const onProgress = options.onProgress
    const emit = (problem: Problem) => void (problems.length < options.maxProblems ? problems.push(problem) : omitted++)
    const checker = new OrderChecker(options.fence ?? 0n, emit)
    const onRead = (bytes: number) => {
      bytesRead += bytes
      return onProgress === undefined ? Effect.void : onProgress({ bytesRead, totalBytes })
    }
    const largest = entries.reduce((n, entry) => Math.max(n, sizeOf(entry)), 0)
    const ctx: Context = {
      fs,
      codec: options.codec,
      crc32: options.crc32,
      fence: options.fence,
      checker,
      // A small log gets a small buffer; it grows when a record is larger.
      reader: new SegmentReader(Math.min(options.chunkBytes, largest), onRead),
      emit
    }
    for (let i = 0; i < entries.length; i++) yield* visit(ctx, entries, i)
    return {
      problems,
      omitted,
      segments: entries.length,
      bytes: entries.reduce((n, entry) => n + sizeOf(entry), 0),
      records: checker.records,
      lowestLsn: checker.lowest,
      highestLsn: checker.highest
    }
  })
