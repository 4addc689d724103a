/**
 * A simulated machine's disk, and the ways it can fail: what the memory
 * filesystem (`MemoryFileSystem`) reads and writes, kept apart from the
 * `FileSystem` API so the crash models can be read on their own.
 *
 * Every file has two states: what the OS has been given (what reads see)
 * and what is durable (what survived the last `sync` of that file). Every
 * directory likewise has its entries as the OS sees them and as they were
 * at its last `sync` (open the directory with flag `"r"` and sync the
 * handle, as on POSIX). {@link SimulatedDisk.crash} computes what a machine
 * would find after losing power, under a choice of crash models; only bytes
 * and entries that were never made durable are ever damaged.
 * {@link SimulatedDisk.processCrash} is a killed process instead: the OS
 * keeps everything it was given, durable or not, so a power loss can still
 * follow. {@link SimulatedDisk.fsyncFault} fails chosen fsyncs the way Linux
 * does after a write-back error: the unsynced pages are dropped from the
 * disk's future but stay readable, and a later fsync succeeds without
 * writing them.
 *
 * @since 0.1.0
 */
import { SystemError } from "@effect/platform/Error"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { survivingContent } from "./internal/crashImage.js"
import {
  childrenOf,
  copyNode,
  type DirectoryNode,
  type FileNode,
  fileNode,
  type Node,
  normalize,
  parentOf,
  writtenBack
} from "./internal/diskNode.js"

/**
 * What a crash does to data that was never fsynced.
 *
 * - `KeepAll`: a power loss after the OS wrote everything back: every
 *   write handed to it survives, except what a failed fsync dropped. (A
 *   killed process is {@link SimulatedDisk.processCrash}: nothing becomes
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
 * A schema, so that reports of failed crash checks can carry one.
 *
 * @since 0.1.0
 * @category crash models
 */
export const CrashModel = Schema.Struct({
  data: Schema.Literal("KeepAll", "DropUnsynced", "KeepPrefix", "SectorChaos"),
  loseDirectoryEntries: Schema.Boolean
})

/**
 * A crash model: see the schema of the same name.
 *
 * @since 0.1.0
 * @category crash models
 */
export interface CrashModel extends Schema.Schema.Type<typeof CrashModel> {}

/**
 * Every crash model, the gentlest first: what a crash property draws from.
 *
 * @since 0.1.0
 * @category crash models
 */
export const crashModels: ReadonlyArray<CrashModel> = [
  { data: "KeepAll", loseDirectoryEntries: false },
  ...(["DropUnsynced", "KeepPrefix", "SectorChaos"] as const).flatMap((data) => [
    { data, loseDirectoryEntries: false },
    { data, loseDirectoryEntries: true }
  ])
]

/**
 * A crash model as a short label for reports, e.g. `SectorChaos+loseDirectoryEntries`.
 *
 * @since 0.1.0
 * @category crash models
 */
export const describeCrashModel = (model: CrashModel): string =>
  `${model.data}${model.loseDirectoryEntries ? "+loseDirectoryEntries" : ""}`

const crashError = (method: string, path: string) =>
  new SystemError({
    reason: "Unknown",
    module: "FileSystem",
    method,
    pathOrDescriptor: path,
    description: "the simulated machine has crashed"
  })

/**
 * The state of one simulated machine's disk. Exposed so tests can set files
 * up, look at them, damage them, and crash the machine.
 *
 * @since 0.1.0
 * @category models
 */
export class SimulatedDisk {
  /** Paths as the OS sees them. */
  readonly nodes = new Map<string, Node>([["/", { _tag: "Directory", mode: 0o755 }]])
  /** Paths as they were at each directory's last fsync. */
  readonly durableNodes = new Map<string, Node>([["/", this.nodes.get("/")!]])
  /** Mutating operations performed so far (what `crashAt` counts). */
  operations = 0
  /** Set once the machine has crashed: every further operation fails. */
  crashed: SimulatedDisk | undefined = undefined
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
   * The machine after a power loss under `model`: a new disk whose files
   * and entries are what survived. The current disk is left as it is.
   */
  crash(model: CrashModel, random: () => number = Math.random): SimulatedDisk {
    const after = new SimulatedDisk()
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
   * The machine after the process using it was killed: a new disk on which
   * every file and entry is as the OS had it, and exactly as durable as
   * before, so that a later {@link crash} can still lose what no fsync
   * covered. Only the process's open handles are gone. The current disk
   * is left as it is.
   */
  processCrash(): SimulatedDisk {
    const after = new SimulatedDisk()
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
   * disk a reboot would find (after a power loss under `model`, or what a
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

  /**
   * Makes a file's writes so far durable, unless {@link fsyncFault} fails
   * this fsync: then they are dropped from the disk's future (still
   * readable) and the result is false.
   */
  syncFile(path: string, node: FileNode): boolean {
    if (this.fsyncFault?.(path) === true) {
      node.pending = []
      node.diverged = true
      return false
    }
    node.durable = writtenBack(node)
    node.pending = []
    return true
  }

  /** Makes a directory's current entries durable. */
  syncDirectory(path: string): void {
    const p = normalize(path)
    for (const key of childrenOf(this.durableNodes, p)) this.durableNodes.delete(key)
    for (const key of childrenOf(this.nodes, p)) this.durableNodes.set(key, this.nodes.get(key)!)
  }

  /** A fresh path under `/tmp` for temporary files and directories. */
  tempName(prefix: string): string {
    return `/tmp/${prefix}${(this.nextTemp++).toString(36)}`
  }
}
