/**
 * An in-memory implementation of the platform `FileSystem` service that
 * models durability, so tests can crash it.
 *
 * Every file has two states: what the OS has been given (what reads see)
 * and what is durable (what survived the last `sync` of that file). Every
 * directory likewise has its entries as the OS sees them and as they were
 * at its last `sync` (open the directory with flag `"r"` and sync the
 * handle, as on POSIX). {@link MemoryState.crash} computes what a machine
 * would find after losing power, under a choice of crash models; only bytes
 * and entries that were never made durable are ever damaged.
 * {@link MemoryState.processCrash} is a killed process instead: the OS keeps
 * everything it was given, durable or not, so a power loss can still follow.
 * {@link MemoryState.fsyncFault} fails chosen fsyncs the way Linux does after
 * a write-back error: the unsynced pages are dropped from the disk's future
 * but stay readable, and a later fsync succeeds without writing them.
 *
 * Errors are the platform's `SystemError`s with the `reason`s the Node layer
 * reports (`NotFound`, `AlreadyExists`, `BadResource`).
 *
 * @since 0.1.0
 */
import { SystemError, type SystemErrorReason } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"

type PendingOp =
  | { readonly _tag: "Write"; readonly offset: number; readonly bytes: Uint8Array }
  | { readonly _tag: "Truncate"; readonly length: number }

interface FileNode {
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

interface DirectoryNode {
  readonly _tag: "Directory"
  mode: number
}

type Node = FileNode | DirectoryNode

/**
 * What a crash does to data that was never fsynced.
 *
 * - `KeepAll`: a power loss after the OS wrote everything back: every
 *   write handed to it survives, except what a failed fsync dropped. (A
 *   killed process is {@link MemoryState.processCrash}: nothing becomes
 *   durable by it.)
 * - `DropUnsynced`: a power loss where it is all lost.
 * - `KeepPrefix`: an ordered disk: a random prefix of the unsynced bytes
 *   survives, in the order they were written (the last write may be cut).
 * - `SectorChaos`: SQLite's crash model: each 512-byte sector of each
 *   unsynced write is independently kept, dropped, or replaced by garbage.
 *   An overwrite of bytes that were already durable is sector-atomic (kept
 *   or dropped, never garbage), as disks guarantee: a torn in-place rewrite
 *   of a segment header would be indistinguishable from the damage lora-wal
 *   reports as `BadSegmentHeader`, which this format must refuse.
 *
 * With `loseDirectoryEntries` (LevelDB's fault-injection model), every
 * directory entry created, removed or renamed since that directory's last
 * fsync is also reverted.
 *
 * @since 0.1.0
 */
export interface CrashModel {
  readonly data: "KeepAll" | "DropUnsynced" | "KeepPrefix" | "SectorChaos"
  readonly loseDirectoryEntries: boolean
}

/** @since 0.1.0 */
export const crashModels: ReadonlyArray<CrashModel> = [
  { data: "KeepAll", loseDirectoryEntries: false },
  ...(["DropUnsynced", "KeepPrefix", "SectorChaos"] as const).flatMap((data) => [
    { data, loseDirectoryEntries: false },
    { data, loseDirectoryEntries: true }
  ])
]

const SECTOR = 512

const normalize = (path: string): string => {
  const parts: Array<string> = []
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue
    if (part === "..") parts.pop()
    else parts.push(part)
  }
  return `/${parts.join("/")}`
}

const parentOf = (path: string): string => {
  const i = path.lastIndexOf("/")
  return i <= 0 ? "/" : path.slice(0, i)
}

const childrenOf = (nodes: ReadonlyMap<string, Node>, dir: string): Array<string> => {
  const prefix = dir === "/" ? "/" : `${dir}/`
  const out: Array<string> = []
  for (const key of nodes.keys()) {
    if (key !== dir && key.startsWith(prefix) && !key.slice(prefix.length).includes("/")) out.push(key)
  }
  return out
}

const fileNode = (bytes: Uint8Array, mode: number, durable: boolean): FileNode => ({
  _tag: "File",
  data: bytes.slice(),
  size: bytes.length,
  mode,
  durable: durable ? bytes.slice() : new Uint8Array(0),
  pending: durable ? [] : [{ _tag: "Write", offset: 0, bytes: bytes.slice() }],
  diverged: false
})

/** A file as a killed process leaves it: the same contents, nothing more durable. */
const copyNode = (node: FileNode): FileNode => ({ ...node, data: node.data.slice(0, node.size), pending: node.pending.slice() })

const applyWrite = (content: Uint8Array, offset: number, bytes: Uint8Array): Uint8Array => {
  const out = new Uint8Array(Math.max(content.length, offset + bytes.length))
  out.set(content)
  out.set(bytes, offset)
  return out
}

const applyOp = (content: Uint8Array, op: PendingOp): Uint8Array =>
  op._tag === "Write"
    ? applyWrite(content, op.offset, op.bytes)
    : op.length <= content.length
    ? content.slice(0, op.length)
    : applyWrite(content, content.length, new Uint8Array(op.length - content.length))

const randomBytes = (n: number, random: () => number) => {
  const bytes = new Uint8Array(n)
  for (let i = 0; i < n; i++) bytes[i] = Math.floor(random() * 256)
  return bytes
}

/** What the disk holds once every pending write-back has completed. */
const writtenBack = (node: FileNode): Uint8Array =>
  node.diverged ? node.pending.reduce(applyOp, node.durable) : node.data.slice(0, node.size)

/** The durable image of one file after a crash. */
const survivingContent = (node: FileNode, model: CrashModel["data"], random: () => number): Uint8Array => {
  let content = node.durable
  switch (model) {
    case "KeepAll":
      return writtenBack(node)
    case "DropUnsynced":
      return content
    case "KeepPrefix": {
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
    case "SectorChaos": {
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
  }
}

const crashError = (method: string, path: string) =>
  new SystemError({
    reason: "Unknown",
    module: "FileSystem",
    method,
    pathOrDescriptor: path,
    description: "the simulated machine has crashed"
  })

/**
 * The state behind one memory filesystem. Exposed so tests can set files
 * up, look at them, damage them, and crash the machine.
 *
 * @since 0.1.0
 */
export class MemoryState {
  /** Paths as the OS sees them. */
  readonly nodes = new Map<string, Node>([["/", { _tag: "Directory", mode: 0o755 }]])
  /** Paths as they were at each directory's last fsync. */
  readonly durableNodes = new Map<string, Node>([["/", this.nodes.get("/")!]])
  /** Mutating operations performed so far (what `crashAt` counts). */
  operations = 0
  /** Set once the machine has crashed: every further operation fails. */
  crashed: MemoryState | undefined = undefined
  private crashPlan:
    | { readonly at: number; readonly model: CrashModel | "ProcessCrash"; readonly random: () => number }
    | undefined
  private nextTemp = 0

  /** The current contents of a file, or undefined. */
  read(path: string): Uint8Array | undefined {
    const node = this.nodes.get(normalize(path))
    return node?._tag === "File" ? node.data.slice(0, node.size) : undefined
  }

  /** Creates or replaces a file and its parents, durably (test set-up). */
  write(path: string, bytes: Uint8Array): void {
    const p = normalize(path)
    this.mkdirs(parentOf(p))
    const node = fileNode(bytes, 0o600, true)
    this.nodes.set(p, node)
    this.durableNodes.set(p, node)
  }

  /** Creates a directory and its parents, durably (test set-up). */
  mkdirs(path: string): void {
    const p = normalize(path)
    if (this.nodes.has(p)) return
    this.mkdirs(parentOf(p))
    const node: DirectoryNode = { _tag: "Directory", mode: 0o755 }
    this.nodes.set(p, node)
    this.durableNodes.set(p, node)
  }

  /** Names directly inside a directory. */
  children(path: string): Array<string> {
    const p = normalize(path)
    return childrenOf(this.nodes, p).map((key) => key.slice(p === "/" ? 1 : p.length + 1))
  }

  /**
   * The machine after a power loss under `model`: a new state whose files
   * and entries are what survived. The current state is left as it is.
   */
  crash(model: CrashModel, random: () => number = Math.random): MemoryState {
    const after = new MemoryState()
    after.nodes.clear()
    after.durableNodes.clear()
    const entries = model.loseDirectoryEntries ? this.durableNodes : this.nodes
    const images = new Map<Node, Node>()
    const paths = Array.from(entries.keys()).sort()
    for (const path of paths) {
      if (path !== "/" && !entries.has(parentOf(path))) continue
      const node = entries.get(path)!
      let image = images.get(node)
      if (image === undefined) {
        image = node._tag === "Directory"
          ? { _tag: "Directory", mode: node.mode }
          : fileNode(survivingContent(node, model.data, random), node.mode, true)
        images.set(node, image)
      }
      after.nodes.set(path, image)
      after.durableNodes.set(path, image)
    }
    return after
  }

  /**
   * The machine after the process using it was killed: a new state in which
   * every file and entry is as the OS had it, and exactly as durable as
   * before, so that a later {@link crash} can still lose what no fsync
   * covered. Only the process's open handles are gone. The current state
   * is left as it is.
   */
  processCrash(): MemoryState {
    const after = new MemoryState()
    after.nodes.clear()
    after.durableNodes.clear()
    const copies = new Map<Node, Node>()
    const copy = (node: Node): Node => {
      let image = copies.get(node)
      if (image === undefined) {
        image = node._tag === "Directory" ? { _tag: "Directory", mode: node.mode } : copyNode(node)
        copies.set(node, image)
      }
      return image
    }
    for (const [path, node] of this.nodes) after.nodes.set(path, copy(node))
    for (const [path, node] of this.durableNodes) after.durableNodes.set(path, copy(node))
    return after
  }

  /**
   * Decides, for every file fsync, whether it fails with EIO as Linux's
   * does after a write-back error: the file's unsynced writes are dropped
   * from the disk's future (the pages are marked clean) but reads still see
   * them, and the next fsync succeeds without writing them.
   */
  fsyncFault: ((path: string) => boolean) | undefined = undefined

    /**
   * Crashes the machine just before the `at`-th mutating operation from
   * now: that operation and every later one fail, and `crashed` holds the
   * state a reboot would find (after a power loss under `model`, or what a
   * killed process leaves with `"ProcessCrash"`).
   */
  crashAt(at: number, model: CrashModel | "ProcessCrash", random: () => number = Math.random): void {
    this.crashPlan = { at: this.operations + at, model, random }
  }

  /** Forgets a crash planned by {@link crashAt} that has not happened. */
  cancelCrash(): void {
    this.crashPlan = undefined
  }


  /**
   * Called before every mutating operation with its number: lets a harness
   * capture crash images at chosen instants without stopping the machine.
   */
  beforeOperation: ((operation: number) => void) | undefined = undefined

  /** Counts a mutating operation, crashing first if one is planned for it. */
  mutate(method: string, path: string): Effect.Effect<void, SystemError> {
    return Effect.suspend(() => {
      if (this.crashed !== undefined) return Effect.fail(crashError(method, path))
      this.operations++
      this.beforeOperation?.(this.operations)
      const plan = this.crashPlan
      if (plan !== undefined && this.operations >= plan.at) {
        this.crashed = plan.model === "ProcessCrash" ? this.processCrash() : this.crash(plan.model, plan.random)
        return Effect.fail(crashError(method, path))
      }
      return Effect.void
    })
  }

  /** Fails every operation once the machine has crashed. */
  alive(method: string, path: string): Effect.Effect<void, SystemError> {
    return Effect.suspend(() => (this.crashed === undefined ? Effect.void : Effect.fail(crashError(method, path))))
  }

  /** Makes a directory's current entries durable. */
  syncDirectory(path: string): void {
    const p = normalize(path)
    for (const key of childrenOf(this.durableNodes, p)) this.durableNodes.delete(key)
    for (const key of childrenOf(this.nodes, p)) this.durableNodes.set(key, this.nodes.get(key)!)
  }

  tempName(prefix: string): string {
    return `/tmp/${prefix}${(this.nextTemp++).toString(36)}`
  }
}

const writeAt = (node: FileNode, position: number, bytes: Uint8Array): void => {
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

const setLength = (node: FileNode, length: number): void => {
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

const syncFile = (node: FileNode): void => {
  node.durable = writtenBack(node)
  node.pending = []
}

/** A failed fsync: the pending write-back is dropped for good, the bytes stay readable. */
const dropPending = (node: FileNode): void => {
  node.pending = []
  node.diverged = true
}

const info = (node: Node): FileSystem.File.Info => ({
  type: node._tag === "File" ? "File" : "Directory",
  mtime: Option.some(new Date(0)),
  atime: Option.some(new Date(0)),
  birthtime: Option.some(new Date(0)),
  dev: 0,
  ino: Option.none(),
  mode: node.mode,
  nlink: Option.some(1),
  uid: Option.none(),
  gid: Option.none(),
  rdev: Option.none(),
  size: FileSystem.Size(node._tag === "File" ? node.size : 0),
  blksize: Option.some(FileSystem.Size(4096)),
  blocks: Option.none()
})

/** Builds the error only if the effect runs: an error captures a stack trace, which is costly. */
const fail = (reason: SystemErrorReason, method: string, path: string, description: string) =>
  Effect.failSync(() => new SystemError({ reason, module: "FileSystem", method, pathOrDescriptor: path, description }))

interface Handle extends FileSystem.File {
  close(): void
}

const makeFile = (state: MemoryState, path: string, node: FileNode, append: boolean): Handle => {
  let position = 0
  let closed = false
  // Like a POSIX descriptor, a handle keeps working after its path is removed.
  const live = (method: string) =>
    Effect.zipRight(
      state.alive(method, path),
      Effect.suspend(() => (closed ? fail("BadResource", method, path, "file handle is closed") : Effect.void))
    )
  const mutate = (method: string) => Effect.zipRight(live(method), state.mutate(method, path))
  const readInto = (buffer: Uint8Array) => {
    const n = Math.max(0, Math.min(buffer.length, node.size - position))
    buffer.set(node.data.subarray(position, position + n))
    position += n
    return n
  }
  const write = (buffer: Uint8Array) =>
    Effect.zipRight(
      mutate("write"),
      Effect.sync(() => {
        const at = append ? node.size : position
        writeAt(node, at, buffer)
        position = at + buffer.length
        return FileSystem.Size(buffer.length)
      })
    )
  return {
    [FileSystem.FileTypeId]: FileSystem.FileTypeId,
    fd: FileSystem.FileDescriptor(3),
    stat: Effect.zipRight(live("stat"), Effect.sync(() => info(node))),
    seek: (offset, from) =>
      Effect.sync(() => {
        position = from === "start" ? Number(offset) : position + Number(offset)
      }),
    sync: Effect.zipRight(
      mutate("sync"),
      Effect.suspend(() => {
        if (state.fsyncFault?.(path) !== true) return Effect.sync(() => syncFile(node))
        dropPending(node)
        return fail("Unknown", "fsync", path, `EIO: i/o error, fsync '${path}'`)
      })
    ),
    read: (buffer) => Effect.zipRight(live("read"), Effect.sync(() => FileSystem.Size(readInto(buffer)))),
    readAlloc: (size) =>
      Effect.zipRight(
        live("read"),
        Effect.sync(() => {
          const buffer = new Uint8Array(Math.max(0, Math.min(Number(size), node.size - position)))
          return buffer.length === 0 ? Option.none() : Option.some(buffer.subarray(0, readInto(buffer)))
        })
      ),
    truncate: (length) =>
      Effect.zipRight(
        mutate("truncate"),
        Effect.sync(() => {
          setLength(node, Number(length ?? 0))
          if (position > node.size) position = node.size
        })
      ),
    write,
    writeAll: (buffer) => Effect.asVoid(write(buffer)),
    close: () => {
      closed = true
    }
  }
}

/** A read-only directory handle exists to be fsynced, as on POSIX. */
const makeDirectoryHandle = (state: MemoryState, path: string): Handle => {
  const notAFile = (method: string) =>
    fail("BadResource", method, path, `illegal operation on a directory, ${method} '${path}'`)
  return {
    [FileSystem.FileTypeId]: FileSystem.FileTypeId,
    fd: FileSystem.FileDescriptor(3),
    stat: notAFile("stat"),
    seek: () => Effect.void,
    sync: Effect.zipRight(state.mutate("sync", path), Effect.sync(() => state.syncDirectory(path))),
    read: () => notAFile("read"),
    readAlloc: () => notAFile("read"),
    truncate: () => notAFile("truncate"),
    write: () => notAFile("write"),
    writeAll: () => notAFile("write"),
    close: () => {}
  }
}

/**
 * A memory filesystem over `state` (a fresh, empty one by default).
 *
 * @since 0.1.0
 */
export const make = (state: MemoryState = new MemoryState()): FileSystem.FileSystem => {
  const lookup = (method: string, path: string) =>
    Effect.zipRight(
      state.alive(method, path),
      Effect.suspend(() => {
        const node = state.nodes.get(normalize(path))
        return node === undefined
          ? fail("NotFound", method, path, `no such file or directory, ${method} '${path}'`)
          : Effect.succeed(node)
      })
    )
  const requireParent = (method: string, path: string) =>
    Effect.suspend(() =>
      state.nodes.get(parentOf(normalize(path)))?._tag === "Directory"
        ? Effect.void
        : fail("NotFound", method, path, `no such file or directory, ${method} '${path}'`)
    )
  const createFile = (method: string, path: string, mode: number) =>
    Effect.gen(function*() {
      yield* requireParent(method, path)
      yield* state.mutate(method, path)
      const node = fileNode(new Uint8Array(0), mode, false)
      state.nodes.set(normalize(path), node)
      return node
    })

  const open = (path: string, options?: FileSystem.OpenFileOptions) =>
    Effect.gen(function*() {
      yield* state.alive("open", path)
      const p = normalize(path)
      const flag = options?.flag ?? "r"
      const existing = state.nodes.get(p)
      if (existing?._tag === "Directory") {
        if (flag !== "r") {
          return yield* fail("BadResource", "open", path, `illegal operation on a directory, open '${path}'`)
        }
        return yield* Effect.acquireRelease(Effect.sync(() => makeDirectoryHandle(state, p)), () => Effect.void)
      }
      if (flag.includes("x") && existing !== undefined) {
        return yield* fail("AlreadyExists", "open", path, `file already exists, open '${path}'`)
      }
      let node: FileNode
      if (existing === undefined) {
        if (flag === "r" || flag === "r+") {
          return yield* fail("NotFound", "open", path, `no such file or directory, open '${path}'`)
        }
        node = yield* createFile("open", path, options?.mode ?? 0o666)
      } else {
        node = existing
        if (flag.startsWith("w")) {
          yield* state.mutate("open", path)
          setLength(node, 0)
        }
      }
      return yield* Effect.acquireRelease(
        Effect.sync((): FileSystem.File => makeFile(state, p, node, flag.startsWith("a"))),
        (file) => Effect.sync(() => (file as Handle).close())
      )
    })

  const remove = (path: string, options?: FileSystem.RemoveOptions) =>
    Effect.gen(function*() {
      yield* state.alive("remove", path)
      const p = normalize(path)
      const node = state.nodes.get(p)
      if (node === undefined) {
        if (options?.force) return
        return yield* fail("NotFound", "remove", path, `no such file or directory, rm '${path}'`)
      }
      if (node._tag === "Directory" && state.children(p).length > 0 && !options?.recursive) {
        return yield* fail("BadResource", "remove", path, `directory not empty, rm '${path}'`)
      }
      yield* state.mutate("remove", path)
      for (const key of Array.from(state.nodes.keys())) {
        if (key.startsWith(`${p}/`)) state.nodes.delete(key)
      }
      state.nodes.delete(p)
    })

  const makeDirectory = (path: string, options?: FileSystem.MakeDirectoryOptions): Effect.Effect<void, SystemError> =>
    Effect.gen(function*() {
      yield* state.alive("makeDirectory", path)
      const p = normalize(path)
      const existing = state.nodes.get(p)
      if (existing !== undefined) {
        if (options?.recursive && existing._tag === "Directory") return
        return yield* fail("AlreadyExists", "makeDirectory", path, `file already exists, mkdir '${path}'`)
      }
      if (options?.recursive && !state.nodes.has(parentOf(p))) yield* makeDirectory(parentOf(p), options)
      yield* requireParent("makeDirectory", path)
      yield* state.mutate("makeDirectory", path)
      state.nodes.set(p, { _tag: "Directory", mode: options?.mode ?? 0o755 })
    })

  const makeTemp = (prefix: string, directory: boolean) =>
    Effect.sync(() => {
      const path = state.tempName(prefix)
      if (directory) state.mkdirs(path)
      else state.write(path, new Uint8Array(0))
      return path
    })

  const unsupported = (method: string) => (path: string) =>
    fail("Unknown", method, path, `${method} is not supported by the memory filesystem`)

  const fileSystem = FileSystem.make({
    access: (path) => Effect.asVoid(lookup("access", path)),
    chmod: (path, mode) => Effect.map(lookup("chmod", path), (node) => void (node.mode = mode)),
    chown: (path) => Effect.asVoid(lookup("chown", path)),
    copy: (from) => unsupported("copy")(from),
    copyFile: (from, to) =>
      Effect.flatMap(lookup("copyFile", from), (node) =>
        node._tag === "File"
          ? Effect.flatMap(createFile("copyFile", to, node.mode), (copy) =>
            Effect.sync(() => writeAt(copy, 0, node.data.subarray(0, node.size))))
          : fail("BadResource", "copyFile", from, "not a file")),
    link: (from) => unsupported("link")(from),
    makeDirectory,
    makeTempDirectory: (options) => makeTemp(options?.prefix ?? "dir-", true),
    makeTempDirectoryScoped: (options) =>
      Effect.acquireRelease(
        makeTemp(options?.prefix ?? "dir-", true),
        (path) => Effect.orDie(remove(path, { recursive: true, force: true }))
      ),
    makeTempFile: (options) => makeTemp(options?.prefix ?? "file-", false),
    makeTempFileScoped: (options) =>
      Effect.acquireRelease(makeTemp(options?.prefix ?? "file-", false), (path) => Effect.orDie(remove(path, { force: true }))),
    open,
    readDirectory: (path) =>
      Effect.flatMap(lookup("readDirectory", path), (node) =>
        node._tag === "Directory"
          ? Effect.sync(() => state.children(path))
          : fail("BadResource", "readDirectory", path, `not a directory, scandir '${path}'`)),
    readFile: (path) =>
      Effect.flatMap(lookup("readFile", path), (node) =>
        node._tag === "File"
          ? Effect.sync(() => node.data.slice(0, node.size))
          : fail("BadResource", "readFile", path, `illegal operation on a directory, read '${path}'`)),
    readLink: (path) => unsupported("readLink")(path),
    realPath: (path) => Effect.as(lookup("realPath", path), normalize(path)),
    remove,
    rename: (from, to) =>
      Effect.gen(function*() {
        const node = yield* lookup("rename", from)
        yield* requireParent("rename", to)
        yield* state.mutate("rename", from)
        const src = normalize(from)
        const dst = normalize(to)
        state.nodes.delete(src)
        state.nodes.set(dst, node)
        for (const [key, child] of Array.from(state.nodes)) {
          if (key.startsWith(`${src}/`)) {
            state.nodes.delete(key)
            state.nodes.set(dst + key.slice(src.length), child)
          }
        }
      }),
    stat: (path) => Effect.map(lookup("stat", path), info),
    symlink: (from) => unsupported("symlink")(from),
    truncate: (path, length) =>
      Effect.flatMap(lookup("truncate", path), (node) =>
        node._tag === "File"
          ? Effect.zipRight(state.mutate("truncate", path), Effect.sync(() => setLength(node, Number(length ?? 0))))
          : fail("BadResource", "truncate", path, "not a file")),
    utimes: (path) => Effect.asVoid(lookup("utimes", path)),
    watch: (path) => Stream.fromEffect(unsupported("watch")(path)),
    writeFile: (path, data, options) =>
      Effect.gen(function*() {
        const existing = state.nodes.get(normalize(path))
        if (existing?._tag === "Directory") {
          return yield* fail("BadResource", "writeFile", path, `illegal operation on a directory, open '${path}'`)
        }
        const node = existing ?? (yield* createFile("writeFile", path, options?.mode ?? 0o666))
        yield* state.mutate("writeFile", path)
        setLength(node, 0)
        writeAt(node, 0, data)
      })
  })
  // A direct look-up: the derived `exists` builds and discards a NotFound error for every miss.
  return {
    ...fileSystem,
    exists: (path) => Effect.zipRight(state.alive("exists", path), Effect.sync(() => state.nodes.has(normalize(path))))
  }
}

/**
 * A layer with a fresh memory filesystem.
 *
 * @since 0.1.0
 */
export const layer: Layer.Layer<FileSystem.FileSystem> = Layer.sync(FileSystem.FileSystem, () => make())

/**
 * A layer over an existing state, so a test can set files up, look at them
 * afterwards, or crash the machine.
 *
 * @since 0.1.0
 */
export const layerWith = (state: MemoryState): Layer.Layer<FileSystem.FileSystem> =>
  Layer.succeed(FileSystem.FileSystem, make(state))
