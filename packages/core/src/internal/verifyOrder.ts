/**
 * The log-structure rules replay enforces (the `TransactionAssembler`'s, so
 * that `Verify` reports what opening refuses and nothing it accepts), checked
 * on record framing alone and continued past each violation:
 *
 * - segment bases rise above the previous base and the last record;
 * - record LSNs are at least their segment's base and strictly rising
 *   (gaps are allowed: new records jump above a fence the log ended below);
 * - above the fence, every Mutation, MutationBatch, TxCommit and TxAbort
 *   names an open transaction, a TxBegin does not reuse an open one, and
 *   checkpoints neither point ahead of themselves nor go back.
 *
 * Each violation is reported once: the walk then takes the offending record
 * as the new reference, so one out-of-place record is one problem, not one
 * per record after it, and a transaction that is not open is reported at its
 * first record only. Records that could not be read (damage, a missing
 * segment, history before the oldest segment when no fence is given) may
 * have held a TxBegin, so a transaction begun below the first record read
 * after such a loss is not reported as missing. Memory: the LSNs of open
 * transactions, not their events.
 */
import { type Lsn, unsafeMake as unsafeLsn } from "../Lsn.js"
import type * as WalRecord from "../WalRecord.js"
import { Problem } from "./verifyProblem.js"

/** Where a record is, for the problems it causes. */
interface Place {
  readonly file: string
  readonly offset: number
}

/** Bounds the memory of orphan transactions remembered (past it, each further record is reported). */
const MAX_ORPHANS = 10_000

const lsn = (n: bigint): Lsn => unsafeLsn(n)

export class OrderChecker {
  /**
   * The most recently begun open transaction, and any others (interleaved
   * ones). A field first, as in replay: a Set taking and dropping a bigint
   * per transaction kept entries alive across young collections, and the
   * process grew by a hundred megabytes of promoted garbage.
   */
  private current: bigint | undefined = undefined
  private readonly others = new Set<bigint>()
  /** Transactions already reported as not open: one problem per transaction, not one per record of it. */
  private readonly orphans = new Set<bigint>()
  private lastLsn = 0n
  private lastBase: bigint | undefined = undefined
  /** The current segment's base, when its header is trusted. */
  private base: bigint | undefined = undefined
  private checkpoint: bigint | undefined = undefined
  private lossPending = false
  /** Transactions begun below this LSN may have been lost with unreadable records. */
  private uncertainBelow = 0n
  highest = 0n
  lowest = 0n
  records = 0

  constructor(private readonly fence: bigint, private readonly emit: (problem: Problem) => void) {}

  /** The last record LSN seen (0 when none). */
  get previousLsn(): bigint {
    return this.lastLsn
  }

  /** Records may be missing from here on: damage, an unreadable or missing segment. */
  lost(): void {
    this.lossPending = true
  }

  /** A segment starts; `base` is undefined when its header cannot be trusted. */
  enterSegment(file: string, base: bigint | undefined): void {
    this.base = base
    if (base === undefined) return
    if (this.lastBase !== undefined && base <= this.lastBase) this.badBase(file, base, this.lastBase, "segment base")
    else if (this.lastLsn !== 0n && base <= this.lastLsn) this.badBase(file, base, this.lastLsn, "record")
    this.lastBase = base
  }

  private badBase(file: string, base: bigint, previousLsn: bigint, previous: "segment base" | "record"): void {
    this.emit(Problem.BaseLsnOrder({ file, baseLsn: lsn(base), previousLsn: lsn(previousLsn), previous, atOpen: "refuse" }))
  }

  /** A record whose framing and CRC hold (its payload may still be bad: the slot is trusted). */
  record(file: string, offset: number, kind: WalRecord.KindName, at: bigint, slot: bigint): void {
    const place = { file, offset }
    this.order(place, at)
    if (this.lossPending) {
      this.uncertainBelow = at
      this.lossPending = false
    }
    if (at <= this.fence) {
      // Already in the caller's snapshot: it only closes what it ends, as in replay.
      if (kind === "TxCommit" || kind === "TxAbort") this.close(slot)
      return
    }
    this.structure(place, kind, at, slot)
  }

  private order(place: Place, at: bigint): void {
    if (this.base !== undefined && at < this.base) {
      this.emit(Problem.LsnBelowBase({ ...place, lsn: lsn(at), baseLsn: lsn(this.base), atOpen: "refuse" }))
    } else if (this.lastLsn !== 0n && at <= this.lastLsn) {
      this.emit(Problem.LsnOrder({ ...place, lsn: lsn(at), previousLsn: lsn(this.lastLsn), atOpen: "refuse" }))
    }
    this.lastLsn = at
    if (at > this.highest) this.highest = at
    if (this.records === 0) this.lowest = at
    this.records++
  }

  private structure(place: Place, kind: WalRecord.KindName, at: bigint, slot: bigint): void {
    switch (kind) {
      case "TxBegin":
        if (this.isOpen(at)) this.emit(Problem.DuplicateTxBegin({ ...place, lsn: lsn(at), atOpen: "refuse" }))
        else if (this.current !== undefined) this.others.add(this.current)
        this.current = at
        return
      case "Mutation":
      case "MutationBatch":
        if (!this.isOpen(slot)) this.orphan(place, kind, at, slot)
        return
      case "TxCommit":
      case "TxAbort":
        if (!this.close(slot)) this.orphan(place, kind, at, slot)
        return
      case "Checkpoint":
        return this.checkpointAt(place, at, slot)
    }
  }

  private isOpen(begin: bigint): boolean {
    return this.current === begin || this.others.has(begin)
  }

  /** Ends an open transaction; false when it was not open. */
  private close(begin: bigint): boolean {
    if (this.current !== begin) return this.others.delete(begin)
    this.current = undefined
    return true
  }

  private orphan(place: Place, kind: WalRecord.KindName, at: bigint, slot: bigint): void {
    if (slot < this.uncertainBelow || this.orphans.has(slot)) return
    if (this.orphans.size < MAX_ORPHANS) this.orphans.add(slot)
    this.emit(Problem.OrphanRecord({ ...place, lsn: lsn(at), kind, txBeginLsn: lsn(slot), atOpen: "refuse" }))
  }

  private checkpointAt(place: Place, at: bigint, snapshot: bigint): void {
    const previous = this.checkpoint
    if (snapshot <= at && (previous === undefined || snapshot >= previous)) {
      this.checkpoint = snapshot
      return
    }
    this.emit(Problem.BadCheckpoint({
      ...place,
      lsn: lsn(at),
      snapshotLsn: lsn(snapshot),
      // Pointing ahead of itself is checked first, as replay does.
      previousSnapshotLsn: snapshot > at || previous === undefined ? undefined : lsn(previous),
      atOpen: "refuse"
    }))
  }
}
