import { describe, expect, it } from "@effect/vitest"
import * as Option from "effect/Option"
import { firstNewLsn, plan } from "../src/internal/wal/recoveryPlan.js"
import type { SegmentFile } from "../src/internal/segments.js"
import type { Lsn } from "../src/Lsn.js"
import type * as Replay from "../src/Replay.js"
import * as Segment from "../src/Segment.js"
import { CrcMismatch, Truncated } from "../src/WalError.js"

const id = (n: number) => BigInt(n) as Segment.SegmentId
const lsn = (n: number) => BigInt(n) as Lsn

const file = (n: number, size: number): SegmentFile => ({
  id: id(n),
  name: Segment.fileName(id(n)),
  path: `/log/${Segment.fileName(id(n))}`,
  size
})

/** A summary of `segments` (id, base, sealed) ending at `maxLsn`. */
const summaryOf = (
  segments: ReadonlyArray<readonly [number, number, boolean]>,
  maxLsn: number,
  tornTail: Option.Option<Replay.TornTail> = Option.none()
): Replay.Summary => ({
  maxLsn: lsn(maxLsn),
  tornTail,
  checkpointLsnObserved: Option.none(),
  segments: segments.map(([n, base, sealed]) => ({ ...file(n, 1000), file: Segment.fileName(id(n)), baseLsn: lsn(base), sealed })),
  interruptedSegment: Option.none()
})

const torn = (segment: number, offset: number, classification: "torn-tail" | "corruption"): Replay.TornTail => ({
  segmentId: id(segment),
  segmentFile: Segment.fileName(id(segment)),
  segmentPath: file(segment, 0).path,
  lastGoodOffset: offset,
  cause: classification === "corruption"
    ? new CrcMismatch({ lsn: 9n, expected: 1, actual: 2 })
    : new Truncated({ expected: 40, actual: 0 }),
  classification,
  followedBy: classification === "corruption"
    ? Option.some({ segmentPath: file(segment, 0).path, offset: offset + 80, lsn: Option.some(lsn(12)) })
    : Option.none()
})

describe("RecoveryPlan", () => {
  it("creates segment 1 in an empty directory, above the fence", () => {
    const decided = plan({ listing: { segments: [], interrupted: undefined }, summary: summaryOf([], 0), fence: 7n, repair: false })
    expect(decided).toMatchObject({ _tag: "CreateFirst", id: 1n, baseLsn: 8n })
    expect(decided._tag === "CreateFirst" && Option.isNone(decided.removeInterrupted)).toBe(true)
  })

  it("reuses the id of an interrupted creation and removes it", () => {
    const interrupted = file(3, 10)
    const decided = plan({ listing: { segments: [], interrupted }, summary: summaryOf([], 0), fence: 0n, repair: false })
    expect(decided).toMatchObject({ _tag: "CreateFirst", id: 3n, baseLsn: 1n, removeInterrupted: Option.some(interrupted.path) })
  })

  it("resumes an intact newest segment at its end", () => {
    const decided = plan({
      listing: { segments: [file(1, 500), file(2, 300)], interrupted: undefined },
      summary: summaryOf([[1, 1, true], [2, 10, false]], 14),
      fence: 0n,
      repair: false
    })
    expect(decided).toMatchObject({ _tag: "Resume", id: 2n, baseLsn: 10n, size: 300, tornTailTruncated: false })
  })

  it("cuts a torn tail in the newest segment back to the last good record", () => {
    const decided = plan({
      listing: { segments: [file(1, 500)], interrupted: undefined },
      summary: summaryOf([[1, 1, false]], 5, Option.some(torn(1, 420, "torn-tail"))),
      fence: 0n,
      repair: false
    })
    expect(decided).toMatchObject({ _tag: "Resume", size: 420, tornTailTruncated: true })
  })

  it("refuses damage followed by committed records, unless repair is asked for", () => {
    const options = {
      listing: { segments: [file(1, 500)], interrupted: undefined },
      summary: summaryOf([[1, 1, false]], 5, Option.some(torn(1, 200, "corruption"))),
      fence: 0n
    }
    const refused = plan({ ...options, repair: false })
    expect(refused._tag).toBe("Refuse")
    if (refused._tag === "Refuse") {
      expect(refused.error).toMatchObject({ _tag: "Corruption", offset: 200, followingOffset: 280, followingLsn: 12n, lastGoodLsn: 5n })
    }
    expect(plan({ ...options, repair: true })).toMatchObject({ _tag: "Resume", size: 200, tornTailTruncated: true })
  })

  it("refuses a torn tail anywhere but the newest, unsealed segment", () => {
    const older = plan({
      listing: { segments: [file(1, 500), file(2, 300)], interrupted: undefined },
      summary: summaryOf([[1, 1, true], [2, 10, false]], 9, Option.some(torn(1, 100, "torn-tail"))),
      fence: 0n,
      repair: true
    })
    expect(older).toMatchObject({ _tag: "Refuse", error: { _tag: "Malformed" } })
    const sealed = plan({
      listing: { segments: [file(1, 500)], interrupted: undefined },
      summary: summaryOf([[1, 1, true]], 9, Option.some(torn(1, 100, "torn-tail"))),
      fence: 0n,
      repair: true
    })
    expect(sealed).toMatchObject({ _tag: "Refuse", error: { _tag: "Malformed" } })
  })

  it("starts the next segment after a sealed newest one, above both the log and the fence", () => {
    const listing = { segments: [file(4, 500)], interrupted: file(5, 3) }
    const summary = summaryOf([[4, 30, true]], 41)
    expect(plan({ listing, summary, fence: 29n, repair: false })).toMatchObject({
      _tag: "StartNext",
      id: 5n,
      baseLsn: 42n,
      removeInterrupted: Option.some(file(5, 3).path)
    })
    expect(plan({ listing, summary, fence: 50n, repair: false })).toMatchObject({ _tag: "StartNext", baseLsn: 51n })
  })

  it("refuses a log that starts above the fence: the records between are missing", () => {
    const decided = plan({
      listing: { segments: [file(4, 500)], interrupted: undefined },
      summary: summaryOf([[4, 30, false]], 41),
      fence: 10n,
      repair: true
    })
    expect(decided).toMatchObject({ _tag: "Refuse", error: { _tag: "Malformed" } })
    expect(plan({
      listing: { segments: [file(4, 500)], interrupted: undefined },
      summary: summaryOf([[4, 30, false]], 41),
      fence: 29n,
      repair: false
    })._tag).toBe("Resume")
  })

  it("allocates new LSNs above the fence even when the log ends below it", () => {
    expect(firstNewLsn(5n, 0n)).toBe(6n)
    expect(firstNewLsn(5n, 100n)).toBe(101n)
  })
})
