import { describe, expect, it } from "@effect/vitest"
import * as fc from "effect/FastCheck"
import { type Transaction, TransactionAssembler } from "../src/internal/transactionAssembler.js"
import { unsafeMake as lsn } from "../src/Lsn.js"
import type { WalRecord } from "../src/WalRecord.js"
import type { Malformed } from "../src/WalError.js"

// Events are plain strings: the assembler is generic and never looks inside them.
const begin = (at: bigint): WalRecord<string> => ({ _tag: "TxBegin", lsn: lsn(at) })
const mutation = (at: bigint, tx: bigint, event: string): WalRecord<string> => ({
  _tag: "Mutation",
  lsn: lsn(at),
  txBeginLsn: lsn(tx),
  event
})
const batch = (at: bigint, tx: bigint, events: Array<string>): WalRecord<string> => ({
  _tag: "MutationBatch",
  lsn: lsn(at),
  txBeginLsn: lsn(tx),
  events
})
const commit = (at: bigint, tx: bigint): WalRecord<string> => ({ _tag: "TxCommit", lsn: lsn(at), txBeginLsn: lsn(tx) })
const abort = (at: bigint, tx: bigint): WalRecord<string> => ({ _tag: "TxAbort", lsn: lsn(at), txBeginLsn: lsn(tx) })
const checkpoint = (at: bigint, snapshot: bigint): WalRecord<string> => ({
  _tag: "Checkpoint",
  lsn: lsn(at),
  snapshotLsn: lsn(snapshot)
})

/** Feeds one segment (base 1 unless given) of records; stops at the first Malformed. */
const assemble = (records: ReadonlyArray<WalRecord<string>>, options?: { fence?: bigint; base?: bigint }) => {
  const assembler = new TransactionAssembler<string>(options?.fence ?? 0n)
  const out: Array<Transaction<string>> = []
  let malformed: Malformed | undefined = assembler.enterSegment(options?.base ?? 1n, "/log/0000000001.wal")
  for (const record of records) {
    if (malformed !== undefined) break
    malformed = assembler.apply(record, out)
  }
  return { assembler, out, malformed }
}

const tx = (beginLsn: bigint, commitLsn: bigint, events: Array<string>) => ({ beginLsn, commitLsn, events })

describe("TransactionAssembler", () => {
  it("releases committed transactions in commit order, interleaved ones included", () => {
    const { assembler, malformed, out } = assemble([
      begin(1n),
      mutation(2n, 1n, "a1"),
      begin(3n),
      batch(4n, 3n, ["b1", "b2"]),
      mutation(5n, 1n, "a2"),
      commit(6n, 3n),
      commit(7n, 1n)
    ])
    expect(malformed).toBeUndefined()
    expect(out).toEqual([tx(3n, 6n, ["b1", "b2"]), tx(1n, 7n, ["a1", "a2"])])
    expect(assembler.maxLsn).toBe(7n)
  })

  it("drops aborted and unfinished transactions", () => {
    const { malformed, out } = assemble([
      begin(1n),
      mutation(2n, 1n, "aborted"),
      abort(3n, 1n),
      begin(4n),
      mutation(5n, 4n, "kept"),
      commit(6n, 4n),
      begin(7n),
      mutation(8n, 7n, "open at the end")
    ])
    expect(malformed).toBeUndefined()
    expect(out).toEqual([tx(4n, 6n, ["kept"])])
  })

  it("skips records at or below the fence but still counts their LSNs", () => {
    const { assembler, malformed, out } = assemble(
      [begin(1n), mutation(2n, 1n, "in the snapshot"), commit(3n, 1n), begin(4n), mutation(5n, 4n, "after"), commit(6n, 4n)],
      { fence: 3n }
    )
    expect(malformed).toBeUndefined()
    expect(out).toEqual([tx(4n, 6n, ["after"])])
    expect(assembler.maxLsn).toBe(6n)
  })

  it("records the last checkpoint's snapshot LSN", () => {
    const { assembler, malformed } = assemble([checkpoint(1n, 0n), begin(2n), commit(3n, 2n), checkpoint(4n, 3n)])
    expect(malformed).toBeUndefined()
    expect(assembler.checkpointLsn).toBe(3n)
  })

  describe("rejects a malformed log", () => {
    const cases: ReadonlyArray<readonly [string, ReadonlyArray<WalRecord<string>>, string]> = [
      ["a repeated LSN", [begin(1n), begin(1n)], "record lsn 1 is not greater than previous lsn 1 (/log/0000000001.wal)"],
      ["a falling LSN", [begin(5n), begin(2n)], "record lsn 2 is not greater than previous lsn 5 (/log/0000000001.wal)"],
      ["a mutation of no open transaction", [mutation(1n, 9n, "x")], "mutation at lsn 1 references missing tx begin 9"],
      ["a batch of no open transaction", [batch(1n, 9n, ["x"])], "mutation batch at lsn 1 references missing tx begin 9"],
      ["a commit of no open transaction", [begin(1n), commit(2n, 1n), commit(3n, 1n)], "commit at lsn 3 references missing tx begin 1"],
      ["an abort of no open transaction", [abort(1n, 9n)], "abort at lsn 1 references missing tx begin 9"],
      ["a checkpoint ahead of itself", [checkpoint(2n, 3n)], "checkpoint at lsn 2 points to future snapshot lsn 3"],
      [
        "a checkpoint going back",
        [checkpoint(5n, 4n), checkpoint(6n, 3n)],
        "checkpoint snapshot lsn 3 regressed below previous checkpoint 4"
      ]
    ]
    for (const [name, records, reason] of cases) {
      it(name, () => {
        const { malformed } = assemble(records)
        expect(malformed?._tag).toBe("Malformed")
        expect(malformed?.reason).toBe(reason)
      })
    }

    it("a record below its segment's base LSN", () => {
      const { malformed } = assemble([begin(4n)], { base: 5n })
      expect(malformed?.reason).toBe("record lsn 4 is below segment base_lsn 5 (/log/0000000001.wal)")
    })

    it("a segment base not above the previous base or the previous record", () => {
      const assembler = new TransactionAssembler<string>(0n)
      expect(assembler.enterSegment(10n, "/log/1.wal")).toBeUndefined()
      expect(assembler.enterSegment(10n, "/log/2.wal")?.reason).toBe(
        "segment base_lsn 10 is not greater than previous base_lsn 10 (/log/2.wal)"
      )
      expect(assembler.apply(begin(12n), [])).toBeUndefined()
      expect(assembler.enterSegment(12n, "/log/2.wal")?.reason).toBe(
        "segment base_lsn 12 is not greater than previous record lsn 12 (/log/2.wal)"
      )
      expect(assembler.enterSegment(13n, "/log/2.wal")).toBeUndefined()
    })
  })

  // Any valid interleaving: each transaction is begun, gets its events one
  // by one, then is committed, aborted or left open; `order` picks which
  // transaction takes its next step, and the rest finish in turn.
  const plan = fc.array(
    fc.record({ events: fc.array(fc.string(), { maxLength: 3 }), ending: fc.constantFrom("commit", "abort", "open") }),
    { minLength: 1, maxLength: 6 }
  ).chain((txs) => fc.array(fc.nat({ max: txs.length - 1 }), { maxLength: 40 }).map((order) => ({ txs, order })))

  it.prop("matches a model of committed transactions for any interleaving", [plan], ([{ order, txs }]) => {
    const records: Array<WalRecord<string>> = []
    const progress = txs.map(() => 0)
    const begins = txs.map(() => 0n)
    const expected: Array<ReturnType<typeof tx>> = []
    let next = 1n
    for (const i of [...order, ...txs.flatMap((_, i) => Array(txs[i]!.events.length + 2).fill(i) as Array<number>)]) {
      const t = txs[i]!
      const step = progress[i]!
      if (step === 0) {
        begins[i] = next
        records.push(begin(next++))
      } else if (step <= t.events.length) {
        records.push(mutation(next++, begins[i]!, t.events[step - 1]!))
      } else if (step === t.events.length + 1 && t.ending !== "open") {
        if (t.ending === "commit") expected.push(tx(begins[i]!, next, t.events))
        records.push((t.ending === "commit" ? commit : abort)(next++, begins[i]!))
      } else continue
      progress[i] = step + 1
    }
    const { malformed, out } = assemble(records)
    expect(malformed).toBeUndefined()
    expect(out).toEqual(expected)
  })
})
