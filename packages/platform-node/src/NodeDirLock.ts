/**
 * The directory lock on Node: kernel `flock` on `.lora-wal.lock` through the
 * fs-ext native module, the same lock lora-wal takes. The kernel drops it the
 * moment the holder dies, even by SIGKILL, so a crash never blocks the next
 * open.
 *
 * A pid-file fallback exists because fs-ext is a native module: where it
 * cannot load (no compiler at install time, an unusual platform), or on a
 * filesystem whose `flock` does not work (some network mounts), a log must
 * still refuse a second live writer. It keeps claim files in
 * `.lora-wal.owner/`, each named after its owner's pid and host, and treats a
 * claim as stale once that process no longer exists. `layer` picks between
 * the two from `LORA_WAL_LOCK` (see {@link Kind}); `layerWith` takes the
 * choice as an argument.
 *
 * @since 0.1.0
 */
import * as DirLock from "@lora-wal/core/DirLock"
import { AlreadyOpen, Io } from "@lora-wal/core/WalError"
import * as Config from "effect/Config"
import type { ConfigError } from "effect/ConfigError"
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

/** fs-ext, loaded once, or why it could not load. */
const nativeModule = ((): { readonly loaded: FsExt } | { readonly error: unknown } => {
  try {
    return { loaded: createRequire(import.meta.url)("fs-ext") as FsExt }
  } catch (error) {
    return { error }
  }
})()

/**
 * Whether the kernel lock is available here (false means `"auto"` takes the
 * pid-file fallback).
 *
 * @since 0.1.0
 * @category utils
 */
export const nativeLockAvailable: boolean = "loaded" in nativeModule

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
      const file = path.join(dir, DirLock.LOCK_FILE)
      return { file, fd: fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600) }
    },
    catch: (e) => ioError(e, `cannot open the lock file in ${dir}`)
  })

/**
 * The kernel lock, given fs-ext: `flock(LOCK_EX | LOCK_NB)` on
 * `.lora-wal.lock`, held for the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeFlock = (fsExt: FsExt): DirLock.DirLock =>
  DirLock.make((dir) =>
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
  )

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
 * The fallback lock, for when the native module is missing or `flock` does
 * not work: claim files in `.lora-wal.owner/`, judged stale when their
 * process is gone (see {@link Kind} for what it does not protect against).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makePidFile: DirLock.DirLock = DirLock.make((dir) =>
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
)

/**
 * Which lock to take:
 * - `"auto"` (the default): the kernel lock when fs-ext loads, else the
 *   pid-file fallback.
 * - `"flock"`: the kernel lock or nothing; building the layer fails with
 *   `Io` where fs-ext cannot load. For deployments that must exclude
 *   lora-wal itself, or must not silently run on the weaker lock.
 * - `"pidfile"`: the fallback, for filesystems where `flock` is not
 *   enforced, or only among the processes of one client (some network
 *   mounts): claims are plain files, seen by every host that mounts the
 *   directory.
 *
 * What the fallback does not protect against: a dead holder whose pid was
 * reused keeps its claim alive for as long as the new process lives (or until
 * the claim is removed by hand); a claim from another host or pid namespace
 * is never judged stale (its pid cannot be checked from here), so a crash
 * there leaves a claim to remove by hand; and lora-wal takes only `flock`, so
 * the fallback does not exclude it, nor any other tool that ignores
 * `.lora-wal.owner/`.
 *
 * @since 0.1.0
 * @category models
 */
export type Kind = "auto" | "flock" | "pidfile"

/**
 * The lock kind from `LORA_WAL_LOCK` (`auto`, `flock` or `pidfile`; unset
 * means `auto`), through whatever `ConfigProvider` is in place.
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<Kind> = Config.literal("auto", "flock", "pidfile")("LORA_WAL_LOCK").pipe(
  Config.withDefault("auto")
)

const choose = (kind: Kind): Effect.Effect<DirLock.DirLock, Io> => {
  if (kind === "pidfile") return Effect.succeed(makePidFile)
  if ("loaded" in nativeModule) return Effect.succeed(makeFlock(nativeModule.loaded))
  if (kind === "auto") return Effect.succeed(makePidFile)
  return Effect.fail(
    new Io({
      reason: "Unknown",
      description: `the kernel lock was asked for, but the fs-ext native module cannot load: ${String(nativeModule.error)}`,
      cause: nativeModule.error
    })
  )
}

/**
 * The lock of the given kind, chosen in code rather than from the
 * environment (tests, or an application with its own configuration).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWith = (options: { readonly kind: Kind }): Layer.Layer<DirLock.DirLock, Io> =>
  Layer.effect(DirLock.DirLock, choose(options.kind))

/**
 * The lock kind read from `LORA_WAL_LOCK` when the layer is built (default
 * `auto`: the kernel lock when fs-ext loads, else the pid-file fallback). An
 * unknown value fails with a `ConfigError` naming the variable. The lock
 * `NodeWal.layer` uses; provide it yourself when wiring `Wal.layer` by hand.
 *
 * @example
 * ```ts
 * import { NodeFileSystem, NodePath } from "@effect/platform-node"
 * import { Wal } from "@lora-wal/core"
 * import { NodeDirLock } from "@lora-wal/platform-node"
 * import { Layer } from "effect"
 *
 * const WalLive = Wal.layer({ dir: "/var/lib/app/wal" }).pipe(
 *   Layer.provide(Layer.mergeAll(NodeDirLock.layer, NodeFileSystem.layer, NodePath.layer))
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<DirLock.DirLock, ConfigError | Io> = Layer.unwrapEffect(
  Effect.map(config, (kind) => layerWith({ kind }))
)

/**
 * The pid-file fallback as a layer, to test or force it.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerPidFile: Layer.Layer<DirLock.DirLock> = Layer.succeed(DirLock.DirLock, makePidFile)
