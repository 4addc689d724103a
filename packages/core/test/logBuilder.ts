import * as Path from "@effect/platform/Path"
import { MemoryFileSystem } from "@lora-wal/testkit"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import { Writer } from "../src/Bytes.js"
import * as LoraCodec from "../src/LoraCodec.js"
import { unsafeMake as lsn } from "../src/Lsn.js"
import type { MutationEvent } from "../src/MutationEvent.js"
import * as WalRecord from "../src/WalRecord.js"
import * as Segment from "../src/Segment.js"

/**
 * Writes logs record by record, independently of any Wal implementation, and
 * keeps the model of what a correct replay must return.
 */
export class LogBuilder {
  readonly segments: Array<{ readonly name: string; readonly writer: Writer }> = []
  nextLsn = 1n
  /** Committed transactions in commit order: what replay must return above fence 0. */
  readonly committed: Array<{ readonly beginLsn: bigint; readonly commitLsn: bigint; readonly events: Array<MutationEvent> }> = []
  private readonly open = new Map<bigint, Array<MutationEvent>>()

  constructor() {
    this.rotate()
  }

  get openTransactions(): Array<bigint> {
    return Array.from(this.open.keys())
  }

  /** Whether the active segment holds a record (lora-wal never rotates an empty one). */
  get activeHasRecords(): boolean {
    return this.segments[this.segments.length - 1]!.writer.length > Segment.HEADER_LEN
  }

  rotate(): void {
    const id = BigInt(this.segments.length + 1) as Segment.SegmentId
    const writer = new Writer(256)
    writer.raw(Segment.encodeHeader({ baseLsn: lsn(this.nextLsn) }))
    this.segments.push({ name: Segment.fileName(id), writer })
  }

  private append(record: WalRecord.WalRecord<MutationEvent>): void {
    const result = WalRecord.encode(LoraCodec.codec, this.segments[this.segments.length - 1]!.writer, record)
    if (Either.isLeft(result)) throw result.left
    this.nextLsn++
  }

  begin(): bigint {
    const at = this.nextLsn
    this.append({ _tag: "TxBegin", lsn: lsn(at) })
    this.open.set(at, [])
    return at
  }

  mutation(tx: bigint, event: MutationEvent): void {
    this.append({ _tag: "Mutation", lsn: lsn(this.nextLsn), txBeginLsn: lsn(tx), event })
    this.open.get(tx)!.push(event)
  }

  batch(tx: bigint, events: Array<MutationEvent>): void {
    this.append({ _tag: "MutationBatch", lsn: lsn(this.nextLsn), txBeginLsn: lsn(tx), events })
    this.open.get(tx)!.push(...events)
  }

  commit(tx: bigint): void {
    const commitLsn = this.nextLsn
    this.append({ _tag: "TxCommit", lsn: lsn(commitLsn), txBeginLsn: lsn(tx) })
    this.committed.push({ beginLsn: tx, commitLsn, events: this.open.get(tx)! })
    this.open.delete(tx)
  }

  abort(tx: bigint): void {
    this.append({ _tag: "TxAbort", lsn: lsn(this.nextLsn), txBeginLsn: lsn(tx) })
    this.open.delete(tx)
  }

  checkpoint(snapshotLsn: bigint): void {
    this.append({ _tag: "Checkpoint", lsn: lsn(this.nextLsn), snapshotLsn: lsn(snapshotLsn) })
  }

  /** A commitTx as lora-wal writes it: TxBegin, one MutationBatch, TxCommit. */
  commitTx(events: Array<MutationEvent>): void {
    const tx = this.begin()
    this.batch(tx, events)
    this.commit(tx)
  }

  files(): Array<readonly [string, Uint8Array]> {
    return this.segments.map(({ name, writer }) => [name, writer.written.slice()] as const)
  }

  /** The files, with `tail` after the newest segment's records. */
  filesWithTail(tail: Uint8Array): Array<readonly [string, Uint8Array]> {
    const files = this.files()
    return files.map(([name, bytes], i) => {
      if (i < files.length - 1) return [name, bytes] as const
      const written = new Uint8Array(bytes.length + tail.length)
      written.set(bytes)
      written.set(tail, bytes.length)
      return [name, written] as const
    })
  }

  /** The log under `/log` on a memory disk (with `tail` after the newest segment's records), and Path. */
  layer(tail: Uint8Array = new Uint8Array(0)) {
    const state = new MemoryFileSystem.MemoryState()
    for (const [name, bytes] of this.filesWithTail(tail)) state.write(`/log/${name}`, bytes)
    return Layer.provideMerge(MemoryFileSystem.layerWith(state), Path.layer)
  }
}
