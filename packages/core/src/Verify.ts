/**
 * Checks a log directory at rest and names every problem in it, not only the
 * first: replay stops at the first damage, as recovery must, and `Inspect`
 * shows framing without judging it. Each {@link Problem} names its file and
 * offset, says what is wrong, and what opening the log would do about it: cut
 * a crash's torn tail, remove the file an interrupted rotation left, or
 * refuse to open.
 *
 * What counts as a problem is what opening refuses or repairs, and nothing
 * it accepts: an uncommitted transaction at the end of the log, aborted
 * transactions, gaps between LSNs (new records jump above a fence the log
 * ended below) and a sealed newest segment are all normal.
 *
 * The walk reads each segment through one buffer of about a chunk, so
 * memory stays bounded however large the log: by the chunk, the largest
 * record, and, when the active segment holds damage, the rest of that
 * segment (read once to tell a torn tail from corruption, as replay does).
 *
 * Like replay it takes no lock and changes nothing. Run it on a log no
 * process is writing: a record being appended reads as a torn tail.
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import { Crc32 } from "./Crc32.js"
import type { EventCodec } from "./EventCodec.js"
import type * as ChunkReader from "./internal/chunkReader.js"
import { DEFAULT_CHUNK_BYTES } from "./internal/chunkReader.js"
import { withSpan } from "./internal/tracing.js"
import * as VerifyProblem from "./internal/verifyProblem.js"
import { walkDir } from "./internal/verifyWalk.js"
import * as LoraCodec from "./LoraCodec.js"
import { type Lsn, unsafeMake as unsafeLsn } from "./Lsn.js"
import type { MutationEvent } from "./MutationEvent.js"
import type { Io } from "./WalError.js"

/**
 * What opening the log does about a problem: `"truncate"` cuts a crash's
 * torn tail off the active segment, `"remove"` deletes the file an
 * interrupted rotation left, `"refuse"` fails the open (with `Malformed`,
 * `Corruption`, `BadSegmentHeader` or `Io`) because changing anything could
 * lose committed records.
 *
 * @since 0.1.0
 * @category models
 */
export type AtOpen = VerifyProblem.AtOpen

/**
 * Why a segment header is refused, in lora-wal's words and order of checks.
 *
 * @since 0.1.0
 * @category models
 */
export type HeaderFault = VerifyProblem.HeaderFault

/**
 * How record framing stopped making sense: a record longer than the bytes
 * left in the file (`"truncated"`), or a length below the 25-byte framing
 * (`"too-small"`). Nothing after it in that segment can be walked.
 *
 * @since 0.1.0
 * @category models
 */
export type FramingFault = VerifyProblem.FramingFault

/**
 * One problem of the directory. Every variant has `file` (the basename) and
 * `atOpen`; those about a place in a file have `offset`, and those about a
 * record the `lsn` as read (not trusted when the CRC does not hold).
 *
 * - `Unreadable`: a file that cannot be stat'ed, opened or read.
 * - `SegmentGap`: segment ids jump before `file` (a deleted segment).
 * - `InterruptedRotation`: the newest segment holds no valid header and nothing else.
 * - `HeaderIncomplete`: an older segment shorter than its 32-byte header.
 * - `BadHeader`: bad magic, header CRC, or format version.
 * - `FenceHole`: the oldest segment starts above the `fence` option + 1.
 * - `BaseLsnOrder`: a segment's base LSN is not above its predecessor's base and last record.
 * - `CrcMismatch`, `UnknownKind`: a damaged record; the walk goes on past it.
 * - `BrokenFraming`: a truncated record or impossible length; the rest of the segment cannot be walked.
 * - `BadPayload`: a record whose CRC holds but whose payload the codec refuses.
 * - `LsnBelowBase`, `LsnOrder`: LSNs must be at least the segment's base and strictly rising.
 * - `OrphanRecord`, `DuplicateTxBegin`: a record naming a transaction that is not open, a TxBegin reusing one.
 * - `BadCheckpoint`: a checkpoint pointing past itself or below an earlier one.
 *
 * @since 0.1.0
 * @category models
 */
export type Problem = VerifyProblem.Problem

/**
 * Constructors and matchers (`$is`, `$match`) for {@link Problem}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const Problem = VerifyProblem.Problem

/**
 * Bytes read so far out of the total size of the segments.
 *
 * @since 0.1.0
 * @category models
 */
export type Progress = ChunkReader.Progress

/**
 * What a verification found: the problems in file and offset order, and a
 * summary to print when there are none.
 *
 * @since 0.1.0
 * @category models
 */
export interface Report {
  readonly problems: ReadonlyArray<Problem>
  /** Problems past `maxProblems`, counted but not kept. */
  readonly omitted: number
  /** Segment files found (`<digits>.wal`), whatever their state. */
  readonly segments: number
  /** Their total size. */
  readonly bytes: number
  /** Records whose framing and CRC hold. */
  readonly records: number
  /** The LSN of the first such record (0 when there is none). */
  readonly firstLsn: Lsn
  /** The highest LSN of such a record (0 when there is none). */
  readonly maxLsn: Lsn
}

/**
 * How to verify a directory.
 *
 * @since 0.1.0
 * @category options
 */
export interface Options<A> {
  /**
   * The LSN of the snapshot the log is recovered onto. Given, the log must
   * reach back to it, and transactions are checked as replay above it checks
   * them. Not given, the history before the oldest segment is unknown and
   * not held against the log.
   */
  readonly fence?: Lsn | bigint | undefined
  /** The codec payloads must decode with; LoraDB's events by default. */
  readonly codec?: EventCodec<A> | undefined
  /** Bytes per read (default 1 MiB); a record larger than this is read whole. */
  readonly chunkBytes?: number | undefined
  /** Problems kept in the report (default {@link DEFAULT_MAX_PROBLEMS}); later ones are only counted. */
  readonly maxProblems?: number | undefined
  /** Called after each read, for progress reporting on large logs. */
  readonly onProgress?: ((progress: Progress) => Effect.Effect<void>) | undefined
}

/**
 * The problems a report keeps by default: enough for any operator, few
 * enough that a log read with the wrong codec (every record refused) does
 * not fill memory.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_MAX_PROBLEMS = 1000

/**
 * One line an operator understands: the file, the offset where there is
 * one, what is wrong, and what opening the log would do about it.
 *
 * @example
 * ```ts
 * import { Lsn, Verify } from "@lora-wal/core"
 *
 * // "0000000002.wal offset 579: record CRC mismatch (lsn 47: stored 0x859094ac,
 * // computed 0x6b3d4dc0); open refuses the log"
 * export const line = Verify.describe(Verify.Problem.CrcMismatch({
 *   file: "0000000002.wal",
 *   offset: 579,
 *   lsn: Lsn.unsafeMake(47n),
 *   expected: 0x859094ac,
 *   actual: 0x6b3d4dc0,
 *   atOpen: "refuse"
 * }))
 * ```
 *
 * @since 0.1.0
 * @category formatting
 */
export const describe: (problem: Problem) => string = VerifyProblem.describe

const count = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? "" : "s"}`

/**
 * One line summing a report up: segments, bytes, records and their LSNs,
 * and how many problems.
 *
 * @since 0.1.0
 * @category formatting
 */
export const summarize = (report: Report): string => {
  const lsns = report.records === 0 ? "" : ` (lsn ${report.firstLsn} to ${report.maxLsn})`
  const problems = report.problems.length + report.omitted
  return `${count(report.segments, "segment")}, ${count(report.bytes, "byte")}, ${count(report.records, "record")}${lsns}: ${
    problems === 0 ? "no problem" : count(problems, "problem")
  }`
}

/**
 * Verifies the log in `dir` without changing anything or taking the lock.
 * Every problem is in the report; the effect fails only when the directory
 * itself cannot be listed (`Io`, e.g. `NotFound`). The CRC is the `Crc32`
 * service's, as in replay.
 *
 * @example
 * ```ts
 * import { NodeContext, NodeRuntime } from "@effect/platform-node"
 * import { Verify } from "@lora-wal/core"
 * import { Console, Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const report = yield* Verify.verifyDir("/var/lib/app/wal")
 *   for (const problem of report.problems) yield* Console.log(Verify.describe(problem))
 *   yield* Console.log(Verify.summarize(report))
 * })
 *
 * program.pipe(Effect.provide(NodeContext.layer), NodeRuntime.runMain)
 * ```
 *
 * @since 0.1.0
 * @category verification
 */
export const verifyDir = <A = MutationEvent>(
  dir: string,
  options?: Options<A>
): Effect.Effect<Report, Io, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const walked = yield* walkDir(fs, path, dir, {
      fence: options?.fence === undefined ? undefined : BigInt(options.fence),
      codec: (options?.codec ?? LoraCodec.codec) as EventCodec<unknown>,
      crc32: yield* Crc32,
      chunkBytes: options?.chunkBytes ?? DEFAULT_CHUNK_BYTES,
      maxProblems: options?.maxProblems ?? DEFAULT_MAX_PROBLEMS,
      onProgress: options?.onProgress
    })
    return {
      problems: walked.problems,
      omitted: walked.omitted,
      segments: walked.segments,
      bytes: walked.bytes,
      records: walked.records,
      firstLsn: unsafeLsn(walked.lowestLsn),
      maxLsn: unsafeLsn(walked.highestLsn)
    }
  }).pipe(withSpan("lora-wal.verify", { attributes: { dir } }))
