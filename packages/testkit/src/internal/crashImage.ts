/**
 * What one file's bytes become on the disk when power is lost, under each
 * crash model: only the write-back still pending (never fsynced) is at risk.
 */
import type { CrashModel } from "../SimulatedDisk.js"
import { applyOp, applyWrite, type FileNode, writtenBack } from "./diskNode.js"

const SECTOR = 512

const randomBytes = (n: number, random: () => number) => {
  const bytes = new Uint8Array(n)
  for (let i = 0; i < n; i++) bytes[i] = Math.floor(random() * 256)
  return bytes
}

/** An ordered disk: a random prefix of the pending bytes survives. */
const keepPrefix = (node: FileNode, random: () => number): Uint8Array => {
  let content = node.durable
  const total = node.pending.reduce((n, op) => n + (op._tag === "Write" ? op.bytes.length : 1), 0)
  let budget = Math.floor(random() * (total + 1))
  for (const op of node.pending) {
    if (budget <= 0) break
    if (op._tag === "Truncate") {
      content = applyOp(content, op)
      budget--
    } else {
      // Appends can be cut anywhere; an overwrite of durable bytes is sector-atomic.
      const whole = budget >= op.bytes.length || op.offset >= node.durable.length
      const kept = whole ? op.bytes.subarray(0, Math.min(budget, op.bytes.length)) : op.bytes.subarray(0, 0)
      content = applyWrite(content, op.offset, kept)
      budget -= op.bytes.length
    }
  }
  return content
}

/** SQLite's model: each sector of each pending write is kept, dropped, or garbage. */
const sectorChaos = (node: FileNode, random: () => number): Uint8Array => {
  let content = node.durable
  for (const op of node.pending) {
    if (op._tag === "Truncate") {
      if (random() < 0.5) content = applyOp(content, op)
      continue
    }
    // Split the write at sector boundaries of the file; each piece has its own fate.
    let at = op.offset
    while (at < op.offset + op.bytes.length) {
      const end = Math.min(op.offset + op.bytes.length, (Math.floor(at / SECTOR) + 1) * SECTOR)
      const piece = op.bytes.subarray(at - op.offset, end - op.offset)
      const fate = random()
      // Overwrites of durable bytes are sector-atomic: old or new, never garbage.
      const overwrite = at < node.durable.length
      if (fate < 1 / 3) content = applyWrite(content, at, piece)
      else if (fate < 2 / 3 && !overwrite) content = applyWrite(content, at, randomBytes(piece.length, random))
      at = end
    }
  }
  return content
}

/** The durable image of one file after a power loss under `model`. */
export const survivingContent = (node: FileNode, model: CrashModel["data"], random: () => number): Uint8Array => {
  switch (model) {
    case "KeepAll":
      return writtenBack(node)
    case "DropUnsynced":
      return node.durable
    case "KeepPrefix":
      return keepPrefix(node, random)
    case "SectorChaos":
      return sectorChaos(node, random)
  }
}
