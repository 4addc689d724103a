// The event every commit benchmark logs: one CreateNode with a 40-byte string
// property, prebuilt like the peers' payloads (a 1-event transaction is 189 B),
// and the bytes the log writes for a transaction of such events.
import { LoraCodec, Lsn, WalRecord } from "@lora-wal/core"

export const benchEvent = (i) => ({
  _tag: "CreateNode",
  id: BigInt(i),
  labels: ["Bench"],
  properties: new Map([["payload", { _tag: "String", value: "x".repeat(40) }]])
})

/** Encodes the three records of `commitTx(events)` at `lsn` into `writer`, as the log does. */
export const encodeTransaction = (writer, lsn, events) => {
  WalRecord.encode(LoraCodec.codec, writer, { _tag: "TxBegin", lsn: Lsn.unsafeMake(lsn) })
  WalRecord.encode(LoraCodec.codec, writer, { _tag: "MutationBatch", lsn: Lsn.unsafeMake(lsn + 1n), txBeginLsn: Lsn.unsafeMake(lsn), events })
  WalRecord.encode(LoraCodec.codec, writer, { _tag: "TxCommit", lsn: Lsn.unsafeMake(lsn + 2n), txBeginLsn: Lsn.unsafeMake(lsn) })
}
