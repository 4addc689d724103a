/**
 * The directory lock on Node: kernel `flock` on `.lora-wal.lock` through the
 * fs-ext native module, the same lock lora-wal takes. The kernel drops it the
 * moment the holder dies, even by SIGKILL, so a crash never blocks the next
 * open.
 *
 * Where fs-ext cannot load (no compiler at install time, an unusual
 * platform), a fallback takes over: an exclusively created `.lora-wal.pid`
 * holding the owner's pid, treated as stale when that process no longer
 * exists. It is weaker: a reused pid can keep a dead holder's lock until the
 * file is removed by hand, and it does not exclude lora-wal itself.
 *
 * @since 0.1.0
 */
import { DirLock, type DirLockShape, LOCK_FILE } from "@lora-wal/core/DirLock"
import { AlreadyOpen, Io } from "@lora-wal/core/WalError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"

interface FsExt {
  flock(fd: number, flags: "exnb" | "un", callback: (error: NodeJS.ErrnoException | null) => void): void
}

const loadFsExt = (): FsExt | undefined => {
  try {
    return createRequire(import.meta.url)("fs-ext") as FsExt
  } catch {
    return undefined
  }
}

/**
 * Whether the kernel lock is available here (false means the pid-file
 * fallback is in use).
 *
 * @since 0.1.0
 */
export const nativeLockAvailable: boolean = loadFsExt() !== undefined

const ioError = (e: unknown, what: string): Io => {
  const err = e as NodeJS.ErrnoException
  return new Io({
    reason: err.code === "ENOENT" ? "NotFound" : err.code === "EACCES" ? "PermissionDenied" : "Unknown",
    description: `${what}: ${err.message}`,
    cause: e
  })
}

/** Paths this process holds, so a same-process second open fails at once. */
const heldHere = new Set<string>()

const holdInProcess = (dir: string, key: string) =>
  Effect.acquireRelease(
    Effect.suspend(() => {
      if (heldHere.has(key)) return Effect.fail(new AlreadyOpen({ dir }))
      heldHere.add(key)
      return Effect.void
    }),
    () => Effect.sync(() => heldHere.delete(key))
  )

const openLockFile = (dir: string) =>
  Effect.try({
    try: () => {
      fs.mkdirSync(dir, { recursive: true })
      const file = path.join(dir, LOCK_FILE)
      return { file, fd: fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600) }
    },
    catch: (e) => ioError(e, `cannot open the lock file in ${dir}`)
  })

/**
 * The flock-based lock.
 *
 * @since 0.1.0
 */
export const makeFlock = (fsExt: FsExt): DirLockShape => ({
  acquire: (dir) =>
    Effect.gen(function*() {
      const { fd, file } = yield* openLockFile(dir)
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.closeSync(fd)))
      yield* holdInProcess(dir, fs.realpathSync(file))
      yield* Effect.acquireRelease(
        Effect.async<void, AlreadyOpen | Io>((resume) =>
          fsExt.flock(fd, "exnb", (error) => {
            if (error === null) resume(Effect.void)
            else if (error.code === "EAGAIN" || error.code === "EWOULDBLOCK") resume(Effect.fail(new AlreadyOpen({ dir })))
            else resume(Effect.fail(ioError(error, `cannot lock ${file}`)))
          })
        ),
        () => Effect.async<void>((resume) => fsExt.flock(fd, "un", () => resume(Effect.void)))
      )
    })
})

const PID_FILE = ".lora-wal.pid"

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

/**
 * The pid-file fallback, for when the native module is missing.
 *
 * @since 0.1.0
 */
export const makePidFile: DirLockShape = {
  acquire: (dir) =>
    Effect.gen(function*() {
      const { fd, file } = yield* openLockFile(dir)
      fs.closeSync(fd)
      yield* holdInProcess(dir, fs.realpathSync(file))
      const pidFile = path.join(dir, PID_FILE)
      const claim = (): "ok" | "held" => {
        try {
          fs.writeFileSync(pidFile, `${process.pid}\n`, { flag: "wx", mode: 0o600 })
          return "ok"
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e
          const owner = Number.parseInt(fs.readFileSync(pidFile, "utf8"), 10)
          if (Number.isInteger(owner) && owner !== process.pid && alive(owner)) return "held"
          fs.rmSync(pidFile, { force: true })
          fs.writeFileSync(pidFile, `${process.pid}\n`, { flag: "wx", mode: 0o600 })
          return "ok"
        }
      }
      yield* Effect.acquireRelease(
        Effect.try({ try: claim, catch: (e) => ioError(e, `cannot lock ${dir}`) }).pipe(
          Effect.flatMap((r) => (r === "held" ? Effect.fail(new AlreadyOpen({ dir })) : Effect.void))
        ),
        () => Effect.sync(() => fs.rmSync(pidFile, { force: true }))
      )
    })
}

/**
 * The kernel lock when fs-ext loads, else the pid-file fallback. Setting
 * `LORA_WAL_LOCK=pidfile` forces the fallback (for filesystems without
 * working `flock`, such as some network mounts).
 *
 * @since 0.1.0
 */
export const layer: Layer.Layer<DirLock> = Layer.sync(DirLock, () => {
  const fsExt = process.env["LORA_WAL_LOCK"] === "pidfile" ? undefined : loadFsExt()
  return fsExt === undefined ? makePidFile : makeFlock(fsExt)
})

/**
 * The pid-file fallback as a layer, to test or force it.
 *
 * @since 0.1.0
 */
export const layerPidFile: Layer.Layer<DirLock> = Layer.succeed(DirLock, makePidFile)
