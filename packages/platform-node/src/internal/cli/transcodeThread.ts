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

/**
 * A second thread transcoding `dir`'s batches ahead of `replay --jsonl`,
 * for the scope: the consumer to pass as `prepared`, or `undefined` where a
 * thread would not pay (one core, a small log, no built thread). The thread
 * only ever saves work: if it fails or falls behind, replay does the work
 * itself and prints the same bytes, so its errors are not reported.
 */
export const transcodeThread = (
  dir: string,
  options: {
    /** The thread's module (`builtWorker()` by default). */
    readonly file?: URL | undefined
    /** Called once the thread runs: starting a thread puts V8's flags back to their start-up values (`heapFlags.ts`). */
    readonly onOnline?: () => void
  } = {}
): Effect.Effect<TranscodeAhead.Consumer | undefined, never, Scope.Scope> =>
  Effect.suspend(() => {
    const file = "file" in options ? options.file : builtWorker()
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
      Effect.async<Worker | undefined>((resume) => {
        let worker: Worker
        try {
          worker = new Worker(file, { workerData: { ring, files: log.files, build: BUILD }, resourceLimits: THREAD_HEAP })
        } catch {
          // No thread to be had (a process or thread limit): replay does the work itself.
          return resume(Effect.succeed(undefined))
        }
        worker.unref()
        worker.on("error", () => {})
        // Replay starts once the thread runs and `onOnline` has set the heap flags again: the young
        // generation replay would grow meanwhile stays grown (4 MiB instead of 2 under the tool's).
        let started = false
        const start = () => {
          if (started) return
          started = true
          resume(Effect.succeed(worker))
        }
        worker.once("online", () => {
          options.onOnline?.()
          start()
        })
        worker.once("exit", start)
      }),
      (worker) =>
        Effect.promise(async () => {
          consumer.stop()
          await worker?.terminate()
        })
    ).pipe(Effect.map((worker) => (worker === undefined ? undefined : consumer)))
  })
