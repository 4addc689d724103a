/**
 * An in-memory implementation of the platform `FileSystem` service over a
 * {@link SimulatedDisk}, so tests can look at the disk and crash it. The
 * disk (durable versus OS-visible state, crash models, fsync faults) lives
 * in `SimulatedDisk`; this module is the `FileSystem` API on top of it.
 *
 * Errors are the platform's `SystemError`s with the `reason`s the Node layer
 * reports (`NotFound`, `AlreadyExists`, `BadResource`).
 *
 * @since 0.1.0
 */
import type { SystemError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { type FileNode, fileNode, normalize, parentOf, setLength, writeAt } from "./internal/diskNode.js"
import { fail, type Handle, info, makeDirectoryHandle, makeFile } from "./internal/memoryHandle.js"
import { SimulatedDisk } from "./SimulatedDisk.js"

/**
 * The disk a memory filesystem runs on, under the name it had before the
 * disk became its own module: `new MemoryState()` is a fresh
 * {@link SimulatedDisk}. Its crash models are re-exported with it, so a test
 * that builds and crashes a memory filesystem needs this module alone.
 *
 * @since 0.1.0
 * @category models
 */
export { type CrashModel, crashModels, SimulatedDisk as MemoryState } from "./SimulatedDisk.js"

const lookup = (disk: SimulatedDisk, method: string, path: string) =>
  Effect.zipRight(
    disk.alive(method, path),
    Effect.suspend(() => {
      const node = disk.nodes.get(normalize(path))
      return node === undefined
        ? fail("NotFound", method, path, `no such file or directory, ${method} '${path}'`)
        : Effect.succeed(node)
    })
  )

const requireParent = (disk: SimulatedDisk, method: string, path: string) =>
  Effect.suspend(() =>
    disk.nodes.get(parentOf(normalize(path)))?._tag === "Directory"
      ? Effect.void
      : fail("NotFound", method, path, `no such file or directory, ${method} '${path}'`)
  )

const createFile = (disk: SimulatedDisk, method: string, path: string, mode: number) =>
  Effect.gen(function*() {
    yield* requireParent(disk, method, path)
    yield* disk.mutate(method, path)
    const node = fileNode(new Uint8Array(0), mode, false)
    disk.nodes.set(normalize(path), node)
    return node
  })

const open = (disk: SimulatedDisk) => (path: string, options?: FileSystem.OpenFileOptions) =>
  Effect.gen(function*() {
    yield* disk.alive("open", path)
    const p = normalize(path)
    const flag = options?.flag ?? "r"
    const existing = disk.nodes.get(p)
    if (existing?._tag === "Directory") {
      if (flag !== "r") {
        return yield* fail("BadResource", "open", path, `illegal operation on a directory, open '${path}'`)
      }
      return yield* Effect.acquireRelease(Effect.sync(() => makeDirectoryHandle(disk, p)), () => Effect.void)
    }
    if (flag.includes("x") && existing !== undefined) {
      return yield* fail("AlreadyExists", "open", path, `file already exists, open '${path}'`)
    }
    let node: FileNode
    if (existing === undefined) {
      if (flag === "r" || flag === "r+") {
        return yield* fail("NotFound", "open", path, `no such file or directory, open '${path}'`)
      }
      node = yield* createFile(disk, "open", path, options?.mode ?? 0o666)
    } else {
      node = existing
      if (flag.startsWith("w")) {
        yield* disk.mutate("open", path)
        setLength(node, 0)
      }
    }
    return yield* Effect.acquireRelease(
      Effect.sync((): FileSystem.File => makeFile(disk, p, node, flag.startsWith("a"))),
      (file) => Effect.sync(() => (file as Handle).close())
    )
  })

const remove = (disk: SimulatedDisk) => (path: string, options?: FileSystem.RemoveOptions) =>
  Effect.gen(function*() {
    yield* disk.alive("remove", path)
    const p = normalize(path)
    const node = disk.nodes.get(p)
    if (node === undefined) {
      if (options?.force) return
      return yield* fail("NotFound", "remove", path, `no such file or directory, rm '${path}'`)
    }
    if (node._tag === "Directory" && disk.children(p).length > 0 && !options?.recursive) {
      return yield* fail("BadResource", "remove", path, `directory not empty, rm '${path}'`)
    }
    yield* disk.mutate("remove", path)
    for (const key of Array.from(disk.nodes.keys())) {
      if (key.startsWith(`${p}/`)) disk.nodes.delete(key)
    }
    disk.nodes.delete(p)
  })

const makeDirectory = (disk: SimulatedDisk) => {
  const self = (path: string, options?: FileSystem.MakeDirectoryOptions): Effect.Effect<void, SystemError> =>
    Effect.gen(function*() {
      yield* disk.alive("makeDirectory", path)
      const p = normalize(path)
      const existing = disk.nodes.get(p)
      if (existing !== undefined) {
        if (options?.recursive && existing._tag === "Directory") return
        return yield* fail("AlreadyExists", "makeDirectory", path, `file already exists, mkdir '${path}'`)
      }
      if (options?.recursive && !disk.nodes.has(parentOf(p))) yield* self(parentOf(p), options)
      yield* requireParent(disk, "makeDirectory", path)
      yield* disk.mutate("makeDirectory", path)
      disk.nodes.set(p, { _tag: "Directory", mode: options?.mode ?? 0o755 })
    })
  return self
}

const rename = (disk: SimulatedDisk) => (from: string, to: string) =>
  Effect.gen(function*() {
    const node = yield* lookup(disk, "rename", from)
    yield* requireParent(disk, "rename", to)
    yield* disk.mutate("rename", from)
    const src = normalize(from)
    const dst = normalize(to)
    disk.nodes.delete(src)
    disk.nodes.set(dst, node)
    for (const [key, child] of Array.from(disk.nodes)) {
      if (key.startsWith(`${src}/`)) {
        disk.nodes.delete(key)
        disk.nodes.set(dst + key.slice(src.length), child)
      }
    }
  })

/** A hard link: a second entry for the same file, so both names see (and survive with) the same bytes. */
const link = (disk: SimulatedDisk) => (from: string, to: string) =>
  Effect.gen(function*() {
    const node = yield* lookup(disk, "link", from)
    if (node._tag === "Directory") {
      return yield* fail("BadResource", "link", from, `operation not permitted, link '${from}' -> '${to}'`)
    }
    if (disk.nodes.has(normalize(to))) {
      return yield* fail("AlreadyExists", "link", to, `file already exists, link '${from}' -> '${to}'`)
    }
    yield* requireParent(disk, "link", to)
    yield* disk.mutate("link", to)
    disk.nodes.set(normalize(to), node)
  })

const writeFile = (disk: SimulatedDisk) => (path: string, data: Uint8Array, options?: FileSystem.WriteFileOptions) =>
  Effect.gen(function*() {
    const existing = disk.nodes.get(normalize(path))
    if (existing?._tag === "Directory") {
      return yield* fail("BadResource", "writeFile", path, `illegal operation on a directory, open '${path}'`)
    }
    const node = existing ?? (yield* createFile(disk, "writeFile", path, options?.mode ?? 0o666))
    yield* disk.mutate("writeFile", path)
    setLength(node, 0)
    writeAt(node, 0, data)
  })

const copyFile = (disk: SimulatedDisk) => (from: string, to: string) =>
  Effect.flatMap(lookup(disk, "copyFile", from), (node) =>
    node._tag === "File"
      ? Effect.flatMap(createFile(disk, "copyFile", to, node.mode), (copy) =>
        Effect.sync(() => writeAt(copy, 0, node.data.subarray(0, node.size))))
      : fail("BadResource", "copyFile", from, "not a file"))

/** Temporary files and directories are set up durably, as a test's fixtures are. */
const makeTemp = (disk: SimulatedDisk, prefix: string, directory: boolean) =>
  Effect.sync(() => {
    const path = disk.tempName(prefix)
    if (directory) disk.mkdirs(path)
    else disk.write(path, new Uint8Array(0))
    return path
  })

const unsupported = (method: string) => (path: string) =>
  fail("Unknown", method, path, `${method} is not supported by the memory filesystem`)

/**
 * A memory filesystem over `disk` (a fresh, empty one by default).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (disk: SimulatedDisk = new SimulatedDisk()): FileSystem.FileSystem => {
  const removeOn = remove(disk)
  const fileSystem = FileSystem.make({
    access: (path) => Effect.asVoid(lookup(disk, "access", path)),
    chmod: (path, mode) => Effect.map(lookup(disk, "chmod", path), (node) => void (node.mode = mode)),
    chown: (path) => Effect.asVoid(lookup(disk, "chown", path)),
    copy: (from) => unsupported("copy")(from),
    copyFile: copyFile(disk),
    link: link(disk),
    makeDirectory: makeDirectory(disk),
    makeTempDirectory: (options) => makeTemp(disk, options?.prefix ?? "dir-", true),
    makeTempDirectoryScoped: (options) =>
      Effect.acquireRelease(
        makeTemp(disk, options?.prefix ?? "dir-", true),
        (path) => Effect.orDie(removeOn(path, { recursive: true, force: true }))
      ),
    makeTempFile: (options) => makeTemp(disk, options?.prefix ?? "file-", false),
    makeTempFileScoped: (options) =>
      Effect.acquireRelease(
        makeTemp(disk, options?.prefix ?? "file-", false),
        (path) => Effect.orDie(removeOn(path, { force: true }))
      ),
    open: open(disk),
    readDirectory: (path) =>
      Effect.flatMap(lookup(disk, "readDirectory", path), (node) =>
        node._tag === "Directory"
          ? Effect.sync(() => disk.children(path))
          : fail("BadResource", "readDirectory", path, `not a directory, scandir '${path}'`)),
    readFile: (path) =>
      Effect.flatMap(lookup(disk, "readFile", path), (node) =>
        node._tag === "File"
          ? Effect.sync(() => node.data.slice(0, node.size))
          : fail("BadResource", "readFile", path, `illegal operation on a directory, read '${path}'`)),
    readLink: (path) => unsupported("readLink")(path),
    realPath: (path) => Effect.as(lookup(disk, "realPath", path), normalize(path)),
    remove: removeOn,
    rename: rename(disk),
    stat: (path) => Effect.map(lookup(disk, "stat", path), info),
    symlink: (from) => unsupported("symlink")(from),
    truncate: (path, length) =>
      Effect.flatMap(lookup(disk, "truncate", path), (node) =>
        node._tag === "File"
          ? Effect.zipRight(disk.mutate("truncate", path), Effect.sync(() => setLength(node, Number(length ?? 0))))
          : fail("BadResource", "truncate", path, "not a file")),
    utimes: (path) => Effect.asVoid(lookup(disk, "utimes", path)),
    watch: (path) => Stream.fromEffect(unsupported("watch")(path)),
    writeFile: writeFile(disk)
  })
  // A direct look-up: the derived `exists` builds and discards a NotFound error for every miss.
  return {
    ...fileSystem,
    exists: (path) => Effect.zipRight(disk.alive("exists", path), Effect.sync(() => disk.nodes.has(normalize(path))))
  }
}

/**
 * A layer with a fresh memory filesystem: with `DirLock.layerMemory` and a
 * `Path`, the same log runs in memory, as fast as the CPU allows and with
 * nothing to clean up. Use {@link layerWith} to look at the files or crash
 * the machine.
 *
 * @example
 * ```ts
 * import { Path } from "@effect/platform"
 * import { DirLock, Wal } from "@lora-wal/core"
 * import { MemoryFileSystem } from "@lora-wal/testkit"
 * import { Effect, Layer } from "effect"
 *
 * const InMemory = DirLock.layerMemory.pipe(
 *   Layer.provideMerge(Layer.merge(MemoryFileSystem.layer, Path.layer))
 * )
 *
 * const test = Effect.scoped(Effect.gen(function*() {
 *   const wal = yield* Wal.make({ dir: "/wal" })
 *   yield* wal.commitTx([{ _tag: "CreateNode", id: 1n, labels: [], properties: new Map() }])
 *   return yield* wal.durableLsn
 * })).pipe(Effect.provide(InMemory))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<FileSystem.FileSystem> = Layer.sync(FileSystem.FileSystem, () => make())

/**
 * A layer over an existing disk, so a test can set files up, look at them
 * afterwards, or crash the machine.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWith = (disk: SimulatedDisk): Layer.Layer<FileSystem.FileSystem> =>
  Layer.succeed(FileSystem.FileSystem, make(disk))
