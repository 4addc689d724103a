/**
 * The directory lock on Node: kernel `flock` on `.lora-wal.lock` through the
 * fs-ext native module, the same lock lora-wal takes. The kernel drops it the
 * moment the holder dies, even by SIGKILL, so a crash never blocks the next
 * open.
 *
 * Where fs-ext cannot load (no compiler at install time, an unusual
 * platform), a fallback takes over: claim files in `.lora-wal.owner/`, each
 * named after its owner's pid and host, treated as stale when that process
 * no longer exists. It is weaker: a reused pid can keep a dead holder's lock
 * until its claim is removed by hand, a claim from another host is never
 * judged stale, and it does not exclude lora-wal itself.
 *
 * @since 0.1.0
 */
import { DirLock, type DirLockShape, LOCK_FILE } from "@lora-wal/core/DirLock"
import { AlreadyOpen, Io } from "@lora-wal/core/WalError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
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

/** The fallback's claims: one file per claimant, named `<pid>@<host>~<pid namespace>.<random>`. */
const OWNER_DIR = ".lora-wal.owner"
const CLAIM = /^(\d+)@(.+)\.([0-9a-f]{16})$/
/** How long a file in the owner directory that is not a claim of ours is respected. */
const FOREIGN_GRACE_MS = 10_000
const ATTEMPTS = 8

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

/**
 * Where a pid means something: the host, and the pid namespace (containers
 * on one host can share a filesystem but not their pids).
 */
const pidScope = ((): string => {
  try {
    return `${os.hostname()}~${fs.readlinkSync("/proc/self/ns/pid").replace(/\D/g, "")}`
  } catch {
    return os.hostname()
  }
})()

/**
 * Whether the owner of a claim (or a claim's leftover temporary file) may
 * still hold the lock. A claim from another host or pid namespace is always
 * respected: its pid cannot be checked from here. So is one of this very
 * process (another thread, or another copy of this module).
 */
const respected = (ownerDir: string, name: string): boolean => {
  const claim = CLAIM.exec(name.endsWith(".tmp") ? name.slice(0, -4) : name)
  if (claim === null) {
    try {
      return Date.now() - fs.statSync(path.join(ownerDir, name)).mtimeMs < FOREIGN_GRACE_MS
    } catch {
      return false
    }
  }
  const pid = Number(claim[1])
  return claim[2] !== pidScope || pid === process.pid || alive(pid)
}

/**
 * One attempt to take the lock. A claim appears whole (a complete temporary
 * file hard-linked into place) and holds only if it is then alone in the
 * owner directory: of two claims that meet, the later check sees both, so
 * two live owners never both succeed. Stale claims are removed by their
 * exact names, which no live process can be using.
 */
const attemptClaim = (ownerDir: string, mine: string): "ok" | "held" | "contended" => {
  fs.mkdirSync(ownerDir, { recursive: true, mode: 0o700 })
  const others = () => fs.readdirSync(ownerDir).filter((name) => name !== mine && name !== `${mine}.tmp`)
  const found = others()
  const live = found.filter((name) => respected(ownerDir, name))
  if (live.some((name) => !name.endsWith(".tmp"))) return "held"
  for (const name of found) if (!live.includes(name)) fs.rmSync(path.join(ownerDir, name), { force: true })
  const temporary = path.join(ownerDir, `${mine}.tmp`)
  fs.writeFileSync(temporary, `${process.pid}\n${pidScope}\n`, { mode: 0o600 })
  try {
    fs.linkSync(temporary, path.join(ownerDir, mine))
  } finally {
    fs.rmSync(temporary, { force: true })
  }
  if (others().every((name) => name.endsWith(".tmp"))) return "ok"
  fs.rmSync(path.join(ownerDir, mine), { force: true })
  return "contended"
}

/** Claims the lock, retrying after a short random pause while claimants collide. */
const claim = (dir: string, ownerDir: string, mine: string): Effect.Effect<void, AlreadyOpen | Io> =>
  Effect.gen(function*() {
    for (let attempt = 1; ; attempt++) {
      const outcome = yield* Effect.try({ try: () => attemptClaim(ownerDir, mine), catch: (e) => ioError(e, `cannot lock ${dir}`) })
      if (outcome === "ok") return
      // A claimant that lost a collision withdraws within moments; a holder stays.
      if (attempt >= (outcome === "held" ? 2 : ATTEMPTS)) return yield* new AlreadyOpen({ dir })
      yield* Effect.sleep(Duration.millis(1 + Math.random() * 10 * attempt))
    }
  })

/**
 * The fallback lock, for when the native module is missing: claim files in
 * `.lora-wal.owner/`, judged stale when their process is gone.
 *
 * @since 0.1.0
 */
export const makePidFile: DirLockShape = {
  acquire: (dir) =>
    Effect.gen(function*() {
      const { fd, file } = yield* openLockFile(dir)
      fs.closeSync(fd)
      yield* holdInProcess(dir, fs.realpathSync(file))
      const ownerDir = path.join(dir, OWNER_DIR)
      const mine = `${process.pid}@${pidScope}.${randomBytes(8).toString("hex")}`
      yield* Effect.acquireRelease(
        claim(dir, ownerDir, mine),
        () => Effect.sync(() => fs.rmSync(path.join(ownerDir, mine), { force: true }))
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
