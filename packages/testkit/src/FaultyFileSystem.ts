/**
 * Wraps any `FileSystem` to count operations and inject failures: fail the
 * n-th write, fsync, open, rename, remove or truncate with EIO or ENOSPC,
 * once or from then on, optionally after a short write. Failures are the
 * platform's `SystemError`, with an errno-style error (`code`, `errno`,
 * `syscall`) as the cause, as the Node layer reports them.
 *
 * A failed fsync here leaves the wrapped filesystem's data as it was: it
 * cannot reach inside it. To have a failed fsync drop the unsynced data, as
 * Linux does, use `SimulatedDisk.fsyncFault` under the memory filesystem.
 *
 * @since 0.1.0
 */
import { type PlatformError, SystemError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/**
 * The filesystem calls a {@link Fault} can fail (and {@link Faults} counts).
 *
 * @since 0.1.0
 * @category models
 */
export type Operation = "write" | "sync" | "open" | "rename" | "remove" | "truncate"

/**
 * The errors a {@link Fault} fails with: an I/O error, or a full disk.
 *
 * @since 0.1.0
 * @category models
 */
export type ErrorCode = "EIO" | "ENOSPC"

/**
 * One planned failure.
 *
 * @since 0.1.0
 * @category models
 */
export interface Fault {
  readonly operation: Operation
  /** Fail the n-th matching call from now (1 = the next one). */
  readonly nth: number
  readonly code: ErrorCode
  /** Keep failing every matching call after the first failure. */
  readonly persistent?: boolean
  /** For writes: bytes that reach the file before the failure. */
  readonly shortWriteBytes?: number
  /** Only calls on paths containing this text count. */
  readonly pathIncludes?: string
}

const ERRNO: Record<ErrorCode, { readonly errno: number; readonly message: string }> = {
  EIO: { errno: -5, message: "i/o error" },
  ENOSPC: { errno: -28, message: "no space left on device" }
}

/**
 * The counters and planned faults of a wrapped filesystem. `synced` records,
 * for every completed fsync of a file, its path and size when the fsync
 * started: the bytes that fsync made durable.
 *
 * @since 0.1.0
 * @category models
 */
export class Faults {
  readonly calls: Record<Operation, number> = { write: 0, sync: 0, open: 0, rename: 0, remove: 0, truncate: 0 }
  readonly synced: Array<{ readonly path: string; readonly size: number }> = []
  private readonly planned: Array<{ fault: Fault; remaining: number; fired: boolean }> = []

  /** Plans a failure. */
  inject(fault: Fault): this {
    this.planned.push({ fault, remaining: fault.nth, fired: false })
    return this
  }

  /** Forgets every planned failure. */
  clear(): void {
    this.planned.length = 0
  }

  /** Whether this call fails (advancing the counters). */
  check(operation: Operation, path: string): Fault | undefined {
    this.calls[operation]++
    for (const plan of this.planned) {
      const { fault } = plan
      if (fault.operation !== operation) continue
      if (fault.pathIncludes !== undefined && !path.includes(fault.pathIncludes)) continue
      if (plan.fired) {
        if (fault.persistent) return fault
        continue
      }
      if (--plan.remaining === 0) {
        plan.fired = true
        return fault
      }
    }
    return undefined
  }
}

const failure = (fault: Fault, method: string, path: string) => {
  const { errno, message } = ERRNO[fault.code]
  const cause = Object.assign(new Error(`${fault.code}: ${message}, ${method} '${path}'`), {
    code: fault.code,
    errno,
    syscall: method,
    path
  })
  return new SystemError({
    reason: "Unknown",
    module: "FileSystem",
    method,
    pathOrDescriptor: path,
    syscall: method,
    description: cause.message,
    cause
  })
}

const wrapFile = (file: FileSystem.File, path: string, faults: Faults): FileSystem.File => {
  const write = (buffer: Uint8Array) =>
    Effect.suspend((): Effect.Effect<FileSystem.Size, PlatformError> => {
      const fault = faults.check("write", path)
      if (fault === undefined) return file.write(buffer)
      const keep = Math.min(buffer.length, fault.shortWriteBytes ?? 0)
      return Effect.zipRight(
        keep > 0 ? Effect.asVoid(file.write(buffer.subarray(0, keep))) : Effect.void,
        Effect.fail(failure(fault, "write", path))
      )
    })
  // Delegate explicitly: platform files are class instances whose methods live on the prototype.
  return {
    [FileSystem.FileTypeId]: FileSystem.FileTypeId,
    fd: file.fd,
    get stat() {
      return file.stat
    },
    seek: (offset, from) => file.seek(offset, from),
    read: (buffer) => file.read(buffer),
    readAlloc: (size) => file.readAlloc(size),
    write,
    writeAll: (buffer) =>
      Effect.gen(function*() {
        let offset = 0
        while (offset < buffer.length) offset += Number(yield* write(buffer.subarray(offset)))
      }),
    sync: Effect.suspend(() => {
      const fault = faults.check("sync", path)
      if (fault !== undefined) return Effect.fail(failure(fault, "fsync", path))
      return Effect.flatMap(Effect.orElseSucceed(file.stat, () => undefined), (info) =>
        Effect.tap(file.sync, () =>
          Effect.sync(() => faults.synced.push({ path, size: info?.type === "File" ? Number(info.size) : 0 }))))
    }),
    truncate: (length) =>
      Effect.suspend(() => {
        const fault = faults.check("truncate", path)
        return fault === undefined ? file.truncate(length) : Effect.fail(failure(fault, "ftruncate", path))
      })
  }
}

/**
 * Wraps a filesystem with counters and planned faults.
 *
 * @since 0.1.0
 * @category constructors
 */
export const wrap = (fs: FileSystem.FileSystem, faults: Faults): FileSystem.FileSystem => {
  const guard = (operation: Operation, method: string, path: string) =>
    Effect.suspend(() => {
      const fault = faults.check(operation, path)
      return fault === undefined ? Effect.void : Effect.fail(failure(fault, method, path))
    })
  return {
    ...fs,
    open: (path, options) =>
      Effect.zipRight(guard("open", "open", path), Effect.map(fs.open(path, options), (file) => wrapFile(file, path, faults))),
    rename: (from, to) => Effect.zipRight(guard("rename", "rename", from), fs.rename(from, to)),
    remove: (path, options) => Effect.zipRight(guard("remove", "rm", path), fs.remove(path, options)),
    truncate: (path, length) => Effect.zipRight(guard("truncate", "truncate", path), fs.truncate(path, length)),
    writeFile: (path, data, options) =>
      Effect.zipRight(guard("write", "write", path), fs.writeFile(path, data, options))
  }
}

/**
 * Replaces the `FileSystem` in context with a wrapped one.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (faults: Faults): Layer.Layer<FileSystem.FileSystem, never, FileSystem.FileSystem> =>
  Layer.effect(FileSystem.FileSystem, Effect.map(FileSystem.FileSystem, (fs) => wrap(fs, faults)))
