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

/** The segment files replay will read, oldest first, and their total size; undefined when the directory cannot be listed. */
const segmentFiles = (dir: string): { readonly files: Array<string>; readonly bytes: number } | undefined => {
  try {
    const found = fs.readdirSync(dir).flatMap((name) => {
      const id = Segment.parseFileName(name)
      return id === undefined ? [] : [{ id, file: path.join(dir, name) }]
    }).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    let bytes = 0
    for (const { file } of found) bytes += fs.statSync(file).size
    return { files: found.map(({ file }) => file), bytes }
  } catch {
    return undefined
  }
}

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
    if (file === undefined || log === undefined || log.bytes < MIN_LOG_BYTES || os.availableParallelism() < 2) {
      return Effect.succeed(undefined)
    }
    const ring = TranscodeAhead.make()
    const consumer = TranscodeAhead.consumer(ring, (copy, bytes, start, end) =>
      Buffer.prototype.compare.call(bytes, copy, 0, copy.length, start, end) === 0)
    return Effect.acquireRelease(
      Effect.async<Worker>((resume) => {
        const worker = new Worker(file, { workerData: { ring, files: log.files }, resourceLimits: THREAD_HEAP })
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
        Effect.promise(() => {
          consumer.stop()
          return worker.terminate()
        })
    ).pipe(Effect.as(consumer))
  })
