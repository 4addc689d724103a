/**
 * Open files of the memory filesystem: handles over simulated-disk nodes,
 * and the errors they fail with (the platform's `SystemError`s with the
 * `reason`s the Node layer reports).
 */
import { SystemError, type SystemErrorReason } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { SimulatedDisk } from "../SimulatedDisk.js"
import { type FileNode, type Node, setLength, writeAt } from "./diskNode.js"

export const info = (node: Node): FileSystem.File.Info => ({
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
export const fail = (reason: SystemErrorReason, method: string, path: string, description: string) =>
  Effect.failSync(() => new SystemError({ reason, module: "FileSystem", method, pathOrDescriptor: path, description }))

/** A handle the filesystem closes when the scope that opened it ends. */
export interface Handle extends FileSystem.File {
  close(): void
}

/** A handle on a file; like a POSIX descriptor, it keeps working after its path is removed. */
export const makeFile = (disk: SimulatedDisk, path: string, node: FileNode, append: boolean): Handle => {
  let position = 0
  let closed = false
  const live = (method: string) =>
    Effect.zipRight(
      disk.alive(method, path),
      Effect.suspend(() => (closed ? fail("BadResource", method, path, "file handle is closed") : Effect.void))
    )
  const mutate = (method: string) => Effect.zipRight(live(method), disk.mutate(method, path))
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
      Effect.suspend(() =>
        disk.syncFile(path, node) ? Effect.void : fail("Unknown", "fsync", path, `EIO: i/o error, fsync '${path}'`)
      )
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
export const makeDirectoryHandle = (disk: SimulatedDisk, path: string): Handle => {
  const notAFile = (method: string) =>
    fail("BadResource", method, path, `illegal operation on a directory, ${method} '${path}'`)
  return {
    [FileSystem.FileTypeId]: FileSystem.FileTypeId,
    fd: FileSystem.FileDescriptor(3),
    stat: notAFile("stat"),
    seek: () => Effect.void,
    sync: Effect.zipRight(disk.mutate("sync", path), Effect.sync(() => disk.syncDirectory(path))),
    read: () => notAFile("read"),
    readAlloc: () => notAFile("read"),
    truncate: () => notAFile("truncate"),
    write: () => notAFile("write"),
    writeAll: () => notAFile("write"),
    close: () => {}
  }
}
