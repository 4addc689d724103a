import * as Segment from "@lora-wal/core/Segment"
import * as TranscodeAhead from "@lora-wal/core/TranscodeAhead"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Worker } from "node:worker_threads"

/**
 * Below this much log, a thread's start (~30 ms) costs more than it saves.
 */
const MIN_LOG_BYTES = 8 * 1024 * 1024

/**
 * The built transcoding thread: next to the tool's bundle
 * (`dist/internal/main.bundle.js`), or one folder up from this module when
 * the tool runs unbundled. Without a build (tests run from the sources)
 * there is none, and replay transcodes everything itself.
 */
export const builtWorker = (): URL | undefined =>
  [new URL("./transcodeWorker.bundle.js", import.meta.url), new URL("../transcodeWorker.bundle.js", import.meta.url)]
    .find((url) => fs.existsSync(url))

/**
 * The segment files replay will read, oldest first (regular files, as
 * replay lists them: opening a FIFO would block the thread for good), and
 * their total size; undefined when the directory cannot be listed.
 */
const segmentFiles = (dir: string): { readonly files: Array<string>; readonly bytes: number } | undefined => {
  try {
    const found = fs.readdirSync(dir).flatMap((name) => {
      const id = Segment.parseFileName(name)
      if (id === undefined) return []
      const file = path.join(dir, name)
      const info = fs.statSync(file)
      return info.isFile() ? [{ id, file, size: info.size }] : []
    }).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    return { files: found.map(({ file }) => file), bytes: found.reduce((n, { size }) => n + size, 0) }
  } catch {
    return undefined
  }
}

/**
 * Whether the process runs under a finite address-space limit (`ulimit
 * -v`): V8 reserves a new isolate's address space up front and aborts the
 * whole process when it cannot, which a thread that only saves work must
 * never cause. Linux says so in /proc; elsewhere no limit is assumed.
 */
const addressSpaceLimited = (): boolean => {
  try {
    const line = fs.readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith("Max address space"))
    return line !== undefined && !/^Max address space\s+unlimited/.test(line)
  } catch {
    return false
  }
}

/**
 * Which build a bundle belongs to (`scripts/bundle-cli.mjs` writes the same
 * id into the tool's bundle and the thread's): a thread from another build
 * might transcode differently, so it does nothing.
 */
const BUILD = process.env["LORA_WAL_BUILD"]

/**
 * Threads get a young generation of 1 MiB and an old one of 8 (they hold
 * ~4 MiB): what the thread's heap adds to replay's peak RSS. Running out
 * only ends the thread, which replay does not need.
 */
const THREAD_HEAP = { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 8 }

/** A running thread, and the error that ended it if one did (it only ever costs speed: logged at debug level). */
interface Thread {
  readonly worker: Worker
  failure: unknown
}

/**
 * Starts a thread and waits until it runs: `undefined` when none can be
 * started (a process or thread limit) or it ends first. `onOnline` runs
 * once a thread was created, before replay goes on.
 */
const startThread = (file: URL, workerData: unknown, onOnline: (() => void) | undefined): Effect.Effect<Thread | undefined> =>
  Effect.async((resume) => {
    let worker: Worker
    try {
      worker = new Worker(file, { workerData, resourceLimits: THREAD_HEAP })
    } catch {
      return resume(Effect.succeed(undefined))
    }
    worker.unref()
    const thread: Thread = { worker, failure: undefined }
    // Without a listener, the thread's error would be the process's uncaught exception.
    worker.on("error", (e) => void (thread.failure ??= e))
    let settled = false
    const settle = (running: Thread | undefined) => {
      if (settled) return
      settled = true
      resume(Effect.sync(() => {
        onOnline?.()
        return running
      }))
    }
    worker.once("online", () => settle(thread))
    worker.once("exit", () => settle(undefined))
  })

/**
 * A second thread transcoding `dir`'s batches ahead of `replay --jsonl`,
 * for the scope: the consumer to pass as `prepared`, or `undefined` where a
 * thread would not pay or could do harm (one core, a small log, an
 * address-space limit, no thread of this build). The thread only ever
 * saves work: if it fails or falls behind, replay does the work itself and
 * prints the same bytes, so its errors are only logged at debug level.
 */
export const transcodeThread = (
  dir: string,
  options: {
    /** The thread's module: by default the build's, when the tool runs from its bundle (`BUILD`). */
    readonly file?: URL | undefined
    /** Runs once a thread was created: creating one puts V8's flags back to their start-up values (`heapFlags.ts`). */
    readonly onOnline?: (() => void) | undefined
  } = {}
): Effect.Effect<TranscodeAhead.Consumer | undefined, never, Scope.Scope> =>
  Effect.suspend(() => {
    const file = "file" in options ? options.file : BUILD === undefined ? undefined : builtWorker()
    const log = segmentFiles(dir)
    if (
      file === undefined || log === undefined || log.bytes < MIN_LOG_BYTES || os.availableParallelism() < 2 ||
      addressSpaceLimited()
    ) {
      return Effect.succeed(undefined)
    }
    const ring = TranscodeAhead.make()
    const consumer = TranscodeAhead.consumer(ring, (copy, bytes, start, end) =>
      Buffer.prototype.compare.call(bytes, copy, 0, copy.length, start, end) === 0)
    return Effect.acquireRelease(
      startThread(file, { ring, files: log.files, build: BUILD }, options.onOnline),
      (thread) =>
        thread === undefined ? Effect.void : Effect.sync(() => consumer.stop()).pipe(
          Effect.zipRight(Effect.promise(() => thread.worker.terminate())),
          Effect.zipRight(
            thread.failure === undefined ? Effect.void : Effect.logDebug("lora-wal: the transcoding thread ended", thread.failure)
          )
        )
    ).pipe(Effect.map((thread) => (thread === undefined ? undefined : consumer)))
  })
