import type { Lsn } from "../Lsn.js"
import type * as WalRecord from "../WalRecord.js"
import { Malformed } from "../WalError.js"

/** One committed transaction, as replay releases it. */
export interface Transaction<E> {
  readonly beginLsn: Lsn
  readonly commitLsn: Lsn
  readonly events: ReadonlyArray<E>
}

const missingBegin = (what: string, lsn: bigint, begin: bigint): Malformed =>
  new Malformed({ reason: `${what} at lsn ${lsn} references missing tx begin ${begin}` })

/**
 * Turns the log's records, in log order, into committed transactions, and
 * checks the order rules that make a log malformed: LSNs strictly rising
 * across records and segment bases, every record naming an open
 * transaction, checkpoints never pointing ahead or going back. Records at
 * or below the fence are already in the caller's snapshot: they only close
 * what they commit or abort. It knows nothing of files, so it can be driven
 * (and tested) with records alone.
 */
export class TransactionAssembler<E> {
  /** The most recently begun open transaction: the only one, unless transactions interleave. */
  private open: { readonly begin: bigint; readonly events: Array<E> } | undefined = undefined
  /** Other open transactions (interleaved ones), by TxBegin LSN. */
  private readonly pending = new Map<bigint, Array<E>>()
  private lastLsn = 0n
  private lastBase: bigint | undefined = undefined
  private base = 0n
  private path = ""
  private highest = 0n
  private checkpoint: bigint | undefined = undefined

  constructor(private readonly fence: bigint) {}

  /** The highest LSN applied so far (fenced records included). */
  get maxLsn(): bigint {
    return this.highest
  }

  /** The snapshot LSN of the last checkpoint record, if any. */
  get checkpointLsn(): bigint | undefined {
    return this.checkpoint
  }

  /**
   * The events of the transactions still open, as the arrays they are kept
   * in: for a caller whose events point into storage it relocates.
   */
  *openEvents(): IterableIterator<Array<E>> {
    if (this.open !== undefined) yield this.open.events
    yield* this.pending.values()
  }

  /** Starts a segment whose header states `base`; `path` only names it in errors. */
  enterSegment(base: bigint, path: string): Malformed | undefined {
    if (this.lastBase !== undefined && base <= this.lastBase) {
      return new Malformed({
        reason: `segment base_lsn ${base} is not greater than previous base_lsn ${this.lastBase} (${path})`
      })
    }
    if (this.lastLsn !== 0n && base <= this.lastLsn) {
      return new Malformed({
        reason: `segment base_lsn ${base} is not greater than previous record lsn ${this.lastLsn} (${path})`
      })
    }
    this.lastBase = base
    this.base = base
    this.path = path
    return undefined
  }

  /** Applies the next record, pushing the transaction it commits (if any) onto `out`. */
  apply(record: WalRecord.WalRecord<E>, out: Array<Transaction<E>>): Malformed | undefined {
    const lsn = record.lsn
    if (lsn < this.base) {
      return new Malformed({ reason: `record lsn ${lsn} is below segment base_lsn ${this.base} (${this.path})` })
    }
    if (this.lastLsn !== 0n && lsn <= this.lastLsn) {
      return new Malformed({
        reason: `record lsn ${lsn} is not greater than previous lsn ${this.lastLsn} (${this.path})`
      })
    }
    this.lastLsn = lsn
    if (lsn > this.highest) this.highest = lsn
    if (lsn <= this.fence) {
      if (record._tag === "TxCommit" || record._tag === "TxAbort") this.close(record.txBeginLsn)
      return undefined
    }
    switch (record._tag) {
      case "TxBegin":
        return this.begin(lsn)
      case "Mutation": {
        const events = this.bucket(record.txBeginLsn)
        if (events === undefined) return missingBegin("mutation", lsn, record.txBeginLsn)
        events.push(record.event)
        return undefined
      }
      case "MutationBatch": {
        const events = this.bucket(record.txBeginLsn)
        if (events === undefined) return missingBegin("mutation batch", lsn, record.txBeginLsn)
        for (const event of record.events) events.push(event)
        return undefined
      }
      case "TxCommit": {
        const events = this.close(record.txBeginLsn)
        if (events === undefined) return missingBegin("commit", lsn, record.txBeginLsn)
        out.push({ beginLsn: record.txBeginLsn, commitLsn: lsn, events })
        return undefined
      }
      case "TxAbort":
        return this.close(record.txBeginLsn) === undefined ? missingBegin("abort", lsn, record.txBeginLsn) : undefined
      case "Checkpoint":
        return this.checkpointAt(lsn, record.snapshotLsn)
    }
  }

  private begin(lsn: bigint): Malformed | undefined {
    if (this.bucket(lsn) !== undefined) return new Malformed({ reason: `duplicate tx begin at lsn ${lsn}` })
    if (this.open !== undefined) this.pending.set(this.open.begin, this.open.events)
    this.open = { begin: lsn, events: [] }
    return undefined
  }

  private checkpointAt(lsn: bigint, snapshot: bigint): Malformed | undefined {
    if (snapshot > lsn) {
      return new Malformed({ reason: `checkpoint at lsn ${lsn} points to future snapshot lsn ${snapshot}` })
    }
    if (this.checkpoint !== undefined && snapshot < this.checkpoint) {
      return new Malformed({
        reason: `checkpoint snapshot lsn ${snapshot} regressed below previous checkpoint ${this.checkpoint}`
      })
    }
    this.checkpoint = snapshot
    return undefined
  }

  private bucket(begin: bigint): Array<E> | undefined {
    return this.open?.begin === begin ? this.open.events : this.pending.get(begin)
  }

  /** Ends an open transaction, returning its events (undefined if it was not open). */
  private close(begin: bigint): Array<E> | undefined {
    if (this.open?.begin === begin) {
      const events = this.open.events
      this.open = undefined
      return events
    }
    const events = this.pending.get(begin)
    this.pending.delete(begin)
    return events
  }
}
