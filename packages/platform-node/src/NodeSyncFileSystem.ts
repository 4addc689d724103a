/**
 * The Node filesystem with synchronous reads and writes on open files: each
 * is a single system call on the calling thread instead of a round trip
 * through libuv's thread pool (~50 µs), which is most of what a None or
 * Group commit costs. A write only copies into the page cache, so it takes
 * microseconds (it can wait longer when the kernel throttles a process with
 * too much dirty memory, as any buffered write can).
 *
 * Two layers, by where fsync runs:
 * - `layerSyncWrites`: fsync stays on the thread pool, so the event loop
 *   never waits on the disk. What `NodeWal.layer` uses by default.
 * - `layer`: fsync is synchronous too. 10–40% more single-committer
 *   PerCommit throughput on our VM, at the price of blocking the event
 *   loop for each fsync (hundreds of microseconds to milliseconds), as
 *   better-sqlite3 does. Use it where the process's job is the store.
 *
 * Everything but open files (listing, stat, rename, remove, ...) is the
 * regular Node layer.
 *
 * @since 0.1.0
 */
import { SystemError, type SystemErrorReason } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as fs from "node:fs"

const reasons: Record<string, SystemErrorReason> = {
  ENOENT: "NotFound",
  EACCES: "PermissionDenied",
  EEXIST: "AlreadyExists",
  EISDIR: "BadResource",
  ENOTDIR: "BadResource",
  EBADF: "BadResource",
  EBUSY: "Busy"
}

const systemError = (method: string, path: string, e: unknown): SystemError => {
  const err = e as NodeJS.ErrnoException
  return new SystemError({
    reason: reasons[err.code ?? ""] ?? "Unknown",
    module: "FileSystem",
    method,
    pathOrDescriptor: path,
    ...(err.syscall === undefined ? {} : { syscall: err.syscall }),
    description: err.message,
    cause: err
  })
}

/** Runs a system call, reporting a failure as the Node layer does. */
const call = <A>(method: string, path: string, f: () => A): Effect.Effect<A, SystemError> =>
  Effect.try({ try: f, catch: (e) => systemError(method, path, e) })

type Fsync = "blocking" | "threadPool"

const syncFile = (file: FileSystem.File, path: string, append: boolean, fsync: Fsync): FileSystem.File => {
  const fd = file.fd
  const isDirectory = fs.fstatSync(fd).isDirectory()
  let position = 0
  /** One write(2) of `buffer[offset..]` at the file position, which it advances. */
  const writeFrom = (buffer: Uint8Array, offset: number): number => {
    const n = fs.writeSync(fd, buffer, offset, buffer.length - offset, append ? null : position)
    position += n
    return n
  }
  return {
    [FileSystem.FileTypeId]: FileSystem.FileTypeId,
    fd,
    get stat() {
      return file.stat
    },
    seek: (offset, from) =>
      Effect.sync(() => {
        position = from === "start" ? Number(offset) : position + Number(offset)
      }),
    read: (buffer) =>
      call("read", path, () => {
        const n = fs.readSync(fd, buffer, 0, buffer.length, position)
        position += n
        return FileSystem.Size(n)
      }),
    // At this wrapper's position, which it advances: the file's own position is never moved.
    readAlloc: (size) =>
      call("readAlloc", path, () => {
        const buffer = new Uint8Array(Number(size))
        const n = fs.readSync(fd, buffer, 0, buffer.length, position)
        position += n
        return n === 0 ? Option.none() : Option.some(n === buffer.length ? buffer : buffer.slice(0, n))
      }),
    truncate: (length) =>
      call("truncate", path, () => {
        fs.ftruncateSync(fd, Number(length ?? 0))
        if (position > Number(length ?? 0)) position = Number(length ?? 0)
      }),
    write: (buffer) => call("write", path, () => FileSystem.Size(writeFrom(buffer, 0))),
    // One Effect for the whole loop: a commit's write is a single system call.
    writeAll: (buffer) =>
      call("writeAll", path, () => {
        for (let offset = 0; offset < buffer.length;) {
          const n = writeFrom(buffer, offset)
          if (n === 0) throw new Error("write returned 0 bytes written")
          offset += n
        }
      }),
    // fdatasync covers a file's data and size; a directory needs fsync for its entries.
    sync: fsync === "blocking"
      ? call("fsync", path, () => (isDirectory ? fs.fsyncSync(fd) : fs.fdatasyncSync(fd)))
      : Effect.async<void, SystemError>((resume) => {
        const done = (e: NodeJS.ErrnoException | null) =>
          resume(e === null ? Effect.void : Effect.fail(systemError("fsync", path, e)))
        if (isDirectory) fs.fsync(fd, done)
        else fs.fdatasync(fd, done)
      })
  }
}

const make = (fsync: Fsync): Layer.Layer<FileSystem.FileSystem> =>
  Layer.effect(
    FileSystem.FileSystem,
    Effect.map(FileSystem.FileSystem, (base): FileSystem.FileSystem => ({
      ...base,
      open: (path, options) =>
        Effect.map(
          base.open(path, options),
          (file) => syncFile(file, path, options?.flag?.startsWith("a") ?? false, fsync)
        )
    }))
  ).pipe(Layer.provide(NodeFileSystem.layer))

/**
 * Synchronous reads, writes and fsyncs on open files: the fastest commits,
 * but the event loop waits for every fsync.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<FileSystem.FileSystem> = make("blocking")

/**
 * Synchronous reads and writes, fsyncs on the thread pool: fast None and
 * Group commits without ever blocking the event loop on the disk.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerSyncWrites: Layer.Layer<FileSystem.FileSystem> = make("threadPool")
