/**
 * An in-memory implementation of the platform `FileSystem` service, so code
 * built on `@lora-wal/core` can be tested without touching the disk, fast
 * enough for property tests that replay thousands of logs.
 *
 * Errors are the platform's `SystemError`s with the same `reason`s the Node
 * layer reports (`NotFound`, `AlreadyExists`, `BadResource`), so code that
 * branches on them behaves the same against both.
 *
 * @since 0.1.0
 */
import { SystemError, type SystemErrorReason } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"

interface FileNode {
  readonly _tag: "File"
  data: Uint8Array
  size: number
  mode: number
  mtime: Date
}

interface DirectoryNode {
  readonly _tag: "Directory"
  mode: number
  mtime: Date
}

type Node = FileNode | DirectoryNode

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

const fail = (reason: SystemErrorReason, method: string, path: string, description: string) =>
  Effect.fail(new SystemError({ reason, module: "FileSystem", method, pathOrDescriptor: path, description }))

/**
 * The state behind one memory filesystem: a flat map from normalized
 * absolute paths to nodes. Exposed so tests can inspect or damage files
 * directly.
 *
 * @since 0.1.0
 */
export class MemoryState {
  readonly nodes = new Map<string, Node>([["/", { _tag: "Directory", mode: 0o755, mtime: new Date(0) }]])
  private nextTemp = 0

  /** The current contents of a file, or undefined. */
  read(path: string): Uint8Array | undefined {
    const node = this.nodes.get(normalize(path))
    return node?._tag === "File" ? node.data.slice(0, node.size) : undefined
  }

  /** Creates or replaces a file (and its parent directories). */
  write(path: string, bytes: Uint8Array): void {
    const p = normalize(path)
    this.mkdirs(parentOf(p))
    this.nodes.set(p, { _tag: "File", data: bytes.slice(), size: bytes.length, mode: 0o600, mtime: new Date(0) })
  }

  /** Creates a directory and its parents. */
  mkdirs(path: string): void {
    const p = normalize(path)
    if (this.nodes.has(p)) return
    this.mkdirs(parentOf(p))
    this.nodes.set(p, { _tag: "Directory", mode: 0o755, mtime: new Date(0) })
  }

  /** Names directly inside a directory. */
  children(path: string): Array<string> {
    const p = normalize(path)
    const prefix = p === "/" ? "/" : `${p}/`
    const out: Array<string> = []
    for (const key of this.nodes.keys()) {
      if (key !== p && key.startsWith(prefix) && !key.slice(prefix.length).includes("/")) {
        out.push(key.slice(prefix.length))
      }
    }
    return out
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
}

const setLength = (node: FileNode, length: number): void => {
  if (length > node.size) writeAt(node, node.size, new Uint8Array(length - node.size))
  else node.size = length
}

const info = (node: Node): FileSystem.File.Info => ({
  type: node._tag === "File" ? "File" : "Directory",
  mtime: Option.some(node.mtime),
  atime: Option.some(node.mtime),
  birthtime: Option.some(node.mtime),
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

const makeFile = (path: string, node: FileNode, append: boolean): FileSystem.File => {
  let position = 0
  let closed = false
  // Like a POSIX descriptor, a handle keeps working after its path is removed.
  const live = (method: string) =>
    Effect.suspend(() => (closed ? fail("BadResource", method, path, "file handle is closed") : Effect.void))
  const file: FileSystem.File & { close(): void } = {
    [FileSystem.FileTypeId]: FileSystem.FileTypeId,
    fd: FileSystem.FileDescriptor(3),
    stat: Effect.sync(() => info(node)),
    seek: (offset, from) =>
      Effect.sync(() => {
        position = from === "start" ? Number(offset) : position + Number(offset)
      }),
    sync: Effect.suspend(() => (closed ? fail("BadResource", "sync", path, "file handle is closed") : Effect.void)),
    read: (buffer) =>
      Effect.zipRight(
        live("read"),
        Effect.sync(() => {
          const n = Math.max(0, Math.min(buffer.length, node.size - position))
          buffer.set(node.data.subarray(position, position + n))
          position += n
          return FileSystem.Size(n)
        })
      ),
    readAlloc: (size) =>
      Effect.zipRight(
        live("readAlloc"),
        Effect.sync(() => {
          const n = Math.max(0, Math.min(Number(size), node.size - position))
          if (n === 0) return Option.none()
          const out = node.data.slice(position, position + n)
          position += n
          return Option.some(out)
        })
      ),
    truncate: (length) =>
      Effect.zipRight(
        live("truncate"),
        Effect.sync(() => {
          setLength(node, Number(length ?? 0))
          if (position > node.size) position = node.size
        })
      ),
    write: (buffer) =>
      Effect.zipRight(
        live("write"),
        Effect.sync(() => {
          const at = append ? node.size : position
          writeAt(node, at, buffer)
          position = at + buffer.length
          return FileSystem.Size(buffer.length)
        })
      ),
    writeAll: (buffer) => Effect.asVoid(file.write(buffer)),
    close: () => {
      closed = true
    }
  }
  return file
}

const makeDirectoryHandle = (path: string): FileSystem.File => {
  const notAFile = (method: string) => fail("BadResource", method, path, `illegal operation on a directory, ${method} '${path}'`)
  return {
    [FileSystem.FileTypeId]: FileSystem.FileTypeId,
    fd: FileSystem.FileDescriptor(3),
    stat: notAFile("stat"),
    seek: () => Effect.void,
    sync: Effect.void,
    read: () => notAFile("read"),
    readAlloc: () => notAFile("read"),
    truncate: () => notAFile("truncate"),
    write: () => notAFile("write"),
    writeAll: () => notAFile("write")
  }
}

/**
 * A fresh, empty memory filesystem and its state.
 *
 * @since 0.1.0
 */
export const make = (state: MemoryState = new MemoryState()): FileSystem.FileSystem => {
  const lookup = (method: string, path: string) => {
    const node = state.nodes.get(normalize(path))
    return node === undefined
      ? fail("NotFound", method, path, `no such file or directory, ${method} '${path}'`)
      : Effect.succeed(node)
  }
  const requireParent = (method: string, path: string) => {
    const parent = state.nodes.get(parentOf(normalize(path)))
    return parent?._tag === "Directory"
      ? Effect.void
      : fail("NotFound", method, path, `no such file or directory, ${method} '${path}'`)
  }
  const open = (path: string, options?: FileSystem.OpenFileOptions) =>
    Effect.gen(function*() {
      const p = normalize(path)
      const flag = options?.flag ?? "r"
      const existing = state.nodes.get(p)
      if (existing?._tag === "Directory") {
        if (flag !== "r") return yield* fail("BadResource", "open", path, `illegal operation on a directory, open '${path}'`)
        // A read-only directory handle exists to be fsynced, as on POSIX.
        return yield* Effect.acquireRelease(Effect.sync(() => makeDirectoryHandle(path)), () => Effect.void)
      }
      if (flag.includes("x") && existing !== undefined) {
        return yield* fail("AlreadyExists", "open", path, `file already exists, open '${path}'`)
      }
      let node: FileNode
      if (existing === undefined) {
        if (flag === "r" || flag === "r+") {
          return yield* fail("NotFound", "open", path, `no such file or directory, open '${path}'`)
        }
        yield* requireParent("open", path)
        node = { _tag: "File", data: new Uint8Array(0), size: 0, mode: options?.mode ?? 0o666, mtime: new Date(0) }
        state.nodes.set(p, node)
      } else {
        node = existing
        if (flag.startsWith("w")) node.size = 0
      }
      return yield* Effect.acquireRelease(
        Effect.sync(() => makeFile(p, node, flag.startsWith("a"))),
        (file) => Effect.sync(() => (file as unknown as { close(): void }).close())
      )
    })

  const remove = (path: string, options?: FileSystem.RemoveOptions) =>
    Effect.gen(function*() {
      const p = normalize(path)
      const node = state.nodes.get(p)
      if (node === undefined) {
        if (options?.force) return
        return yield* fail("NotFound", "remove", path, `no such file or directory, rm '${path}'`)
      }
      if (node._tag === "Directory") {
        const children = state.children(p)
        if (children.length > 0 && !options?.recursive) {
          return yield* fail("BadResource", "remove", path, `directory not empty, rm '${path}'`)
        }
        for (const key of Array.from(state.nodes.keys())) {
          if (key.startsWith(`${p}/`)) state.nodes.delete(key)
        }
      }
      state.nodes.delete(p)
    })

  const unsupported = (method: string) => (path: string) =>
    fail("Unknown", method, path, `${method} is not supported by the memory filesystem`)

  return FileSystem.make({
    access: (path) => Effect.asVoid(lookup("access", path)),
    chmod: (path, mode) => Effect.map(lookup("chmod", path), (node) => void (node.mode = mode)),
    chown: (path) => Effect.asVoid(lookup("chown", path)),
    copy: (from) => unsupported("copy")(from),
    copyFile: (from, to) =>
      Effect.flatMap(lookup("copyFile", from), (node) =>
        node._tag === "File"
          ? Effect.zipRight(requireParent("copyFile", to), Effect.sync(() => state.write(to, node.data.subarray(0, node.size))))
          : fail("BadResource", "copyFile", from, "not a file")),
    link: (from) => unsupported("link")(from),
    makeDirectory: (path, options) =>
      Effect.suspend(() => {
        const p = normalize(path)
        if (options?.recursive) return Effect.sync(() => state.mkdirs(p))
        if (state.nodes.has(p)) return fail("AlreadyExists", "makeDirectory", path, `file already exists, mkdir '${path}'`)
        return Effect.zipRight(
          requireParent("makeDirectory", path),
          Effect.sync(() => state.nodes.set(p, { _tag: "Directory", mode: options?.mode ?? 0o755, mtime: new Date(0) }))
        )
      }),
    makeTempDirectory: (options) =>
      Effect.sync(() => {
        const path = state.tempName(options?.prefix ?? "dir-")
        state.mkdirs(path)
        return path
      }),
    makeTempDirectoryScoped: (options) =>
      Effect.acquireRelease(
        Effect.sync(() => {
          const path = state.tempName(options?.prefix ?? "dir-")
          state.mkdirs(path)
          return path
        }),
        (path) => Effect.orDie(remove(path, { recursive: true, force: true }))
      ),
    makeTempFile: (options) =>
      Effect.sync(() => {
        const path = state.tempName(options?.prefix ?? "file-")
        state.write(path, new Uint8Array(0))
        return path
      }),
    makeTempFileScoped: (options) =>
      Effect.acquireRelease(
        Effect.sync(() => {
          const path = state.tempName(options?.prefix ?? "file-")
          state.write(path, new Uint8Array(0))
          return path
        }),
        (path) => Effect.orDie(remove(path, { force: true }))
      ),
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
        const src = normalize(from)
        const dst = normalize(to)
        state.nodes.delete(src)
        state.nodes.set(dst, node)
        if (node._tag === "Directory") {
          for (const [key, child] of Array.from(state.nodes)) {
            if (key.startsWith(`${src}/`)) {
              state.nodes.delete(key)
              state.nodes.set(dst + key.slice(src.length), child)
            }
          }
        }
      }),
    stat: (path) => Effect.map(lookup("stat", path), info),
    symlink: (from) => unsupported("symlink")(from),
    truncate: (path, length) =>
      Effect.flatMap(lookup("truncate", path), (node) =>
        node._tag === "File"
          ? Effect.sync(() => setLength(node, Number(length ?? 0)))
          : fail("BadResource", "truncate", path, "not a file")),
    utimes: (path) => Effect.asVoid(lookup("utimes", path)),
    watch: (path) => Stream.fromEffect(unsupported("watch")(path)),
    writeFile: (path, data) =>
      Effect.flatMap(requireParent("writeFile", path), () => Effect.sync(() => state.write(path, data)))
  })
}

/**
 * A layer with a fresh memory filesystem.
 *
 * @since 0.1.0
 */
export const layer: Layer.Layer<FileSystem.FileSystem> = Layer.sync(FileSystem.FileSystem, () => make())

/**
 * A layer over an existing state, so a test can set files up or look at them
 * afterwards.
 *
 * @since 0.1.0
 */
export const layerWith = (state: MemoryState): Layer.Layer<FileSystem.FileSystem> =>
  Layer.succeed(FileSystem.FileSystem, make(state))
