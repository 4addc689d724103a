// The main job until the live log lands: write a small LoraDB log the way a
// crashed writer leaves it (committed, aborted and unfinished transactions,
// then a torn final write), and show what the lora-wal tool makes of it.
import { Bytes, LoraCodec, Lsn, PropertyValue as V, Record, Segment } from "@lora-wal/core"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lora-wal-demo-"))
const writer = new Bytes.Writer()
writer.raw(Segment.encodeHeader({ baseLsn: Lsn.unsafeMake(1n) }))
let next = 1n
const append = (record) => {
  const result = Record.encode(LoraCodec.codec, writer, { ...record, lsn: Lsn.unsafeMake(next++) })
  if (result._tag === "Left") throw result.left
}
const tx = (events, end = "TxCommit") => {
  const begin = Lsn.unsafeMake(next)
  append({ _tag: "TxBegin" })
  append({ _tag: "MutationBatch", txBeginLsn: begin, events })
  if (end) append({ _tag: end, txBeginLsn: begin })
}

tx([
  { _tag: "CreateNode", id: 1n, labels: ["Person"], properties: V.properties({ name: V.string("Ada"), born: V.int(1815) }) },
  { _tag: "CreateNode", id: 2n, labels: ["Person"], properties: V.properties({ name: V.string("Charles"), born: V.int(1791) }) }
])
tx([{ _tag: "CreateRelationship", id: 1n, src: 1n, dst: 2n, relType: "WORKED_WITH", properties: V.noProperties }])
tx([{ _tag: "DeleteNode", nodeId: 2n }], "TxAbort")
tx([{ _tag: "SetNodeProperty", nodeId: 1n, key: "title", value: V.string("Countess") }])
tx([{ _tag: "AddNodeLabel", nodeId: 1n, label: "Mathematician" }], null)
const whole = writer.written
// The crash: the last write reached the disk only partly.
fs.writeFileSync(path.join(dir, Segment.fileName(1n)), whole.subarray(0, whole.length - 9))

const tool = path.join(import.meta.dirname, "..", "packages", "platform-node", "bin", "lora-wal.js")
const show = (...args) => {
  console.log(`\n$ lora-wal ${args.join(" ")}`)
  console.log(execFileSync(process.execPath, [tool, ...args], { encoding: "utf8" }).trimEnd())
}
console.log(`Wrote a crashed log to ${dir}: 3 committed transactions, 1 aborted, 1 unfinished, a torn last write.`)
show("inspect", dir)
show("replay", dir)
show("replay", dir, "--fence", "3", "--json")
fs.rmSync(dir, { recursive: true, force: true })
console.log(`\nRemoved ${dir}.`)
