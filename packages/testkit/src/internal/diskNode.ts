/**
 * What the simulated disk keeps per path: files with their OS-visible bytes,
 * their durable bytes and the write-back still pending between the two, and
 * directories; plus the path arithmetic both sides of the disk share.
 */

/** One change to a file since its last fsync, in the order the OS received it. */
export type PendingOp =
  | { readonly _tag: "Write"; readonly offset: number; readonly bytes: Uint8Array }
  | { readonly _tag: "Truncate"; readonly length: number }

export interface FileNode {
  readonly _tag: "File"
  data: Uint8Array
  size: number
  mode: number
  /** Contents as of the last fsync. */
  durable: Uint8Array
  /** What happened since, in order: what write-back may still carry to the disk. */
  pending: Array<PendingOp>
  /**
   * Some bytes that reads see will never reach the disk: a failed fsync
   * dropped their write-back. The durable image then follows `pending`
   * alone, no longer `data`.
   */
  diverged: boolean
}

export interface DirectoryNode {
  readonly _tag: "Directory"
  mode: number
}

export type Node = FileNode | DirectoryNode

/** An absolute path with `.`, `..` and repeated slashes resolved. */
export const normalize = (path: string): string => {
  const parts: Array<string> = []
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue
    if (part === "..") parts.pop()
    else parts.push(part)
  }
  return `/${parts.join("/")}`
}

export const parentOf = (path: string): string => {
  const i = path.lastIndexOf("/")
  return i <= 0 ? "/" : path.slice(0, i)
}

/** The paths directly inside `dir`. */
export const childrenOf = (nodes: ReadonlyMap<string, Node>, dir: string): Array<string> => {
  const prefix = dir === "/" ? "/" : `${dir}/`
  const out: Array<string> = []
  for (const key of nodes.keys()) {
    if (key !== dir && key.startsWith(prefix) && !key.slice(prefix.length).includes("/")) out.push(key)
  }
  return out
}

export const fileNode = (bytes: Uint8Array, mode: number, durable: boolean): FileNode => ({
  _tag: "File",
  data: bytes.slice(),
  size: bytes.length,
  mode,
  durable: durable ? bytes.slice() : new Uint8Array(0),
  pending: durable ? [] : [{ _tag: "Write", offset: 0, bytes: bytes.slice() }],
  diverged: false
})

/** A file as a killed process leaves it: the same contents, nothing more durable. */
export const copyNode = (node: FileNode): FileNode => ({
  ...node,
  data: node.data.slice(0, node.size),
  pending: node.pending.slice()
})

export const applyWrite = (content: Uint8Array, offset: number, bytes: Uint8Array): Uint8Array => {
  const out = new Uint8Array(Math.max(content.length, offset + bytes.length))
  out.set(content)
  out.set(bytes, offset)
  return out
}

export const applyOp = (content: Uint8Array, op: PendingOp): Uint8Array =>
  op._tag === "Write"
    ? applyWrite(content, op.offset, op.bytes)
    : op.length <= content.length
    ? content.slice(0, op.length)
    : applyWrite(content, content.length, new Uint8Array(op.length - content.length))

/** What the disk holds once every pending write-back has completed. */
export const writtenBack = (node: FileNode): Uint8Array =>
  node.diverged ? node.pending.reduce(applyOp, node.durable) : node.data.slice(0, node.size)

/** A write through the OS: visible at once, durable only after an fsync. */
export const writeAt = (node: FileNode, position: number, bytes: Uint8Array): void => {
  const end = position + bytes.length
  if (end > node.data.length) {
    const grown = new Uint8Array(Math.max(end, node.data.length * 2))
    grown.set(node.data.subarray(0, node.size))
    node.data = grown
  }
  if (position > node.size) node.data.fill(0, node.size, position)
  node.data.set(bytes, position)
  node.size = Math.max(node.size, end)
  node.pending.push({ _tag: "Write", offset: position, bytes: bytes.slice() })
}

/** A truncation or extension through the OS, pending like a write. */
export const setLength = (node: FileNode, length: number): void => {
  if (length > node.size) {
    if (length > node.data.length) {
      const grown = new Uint8Array(length)
      grown.set(node.data.subarray(0, node.size))
      node.data = grown
    }
    node.data.fill(0, node.size, length)
  }
  node.size = length
  node.pending.push({ _tag: "Truncate", length })
}
