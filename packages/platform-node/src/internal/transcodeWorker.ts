/**
 * The thread that transcodes a log's batches ahead of `lora-wal replay
 * --jsonl` (see `cli/transcodeThread.ts`). Bundled on its own at build time
 * (`transcodeWorker.bundle.js`, ~60 KB), since every module a thread loads
 * is RSS the replay's memory bound pays for.
 */
import * as TranscodeAhead from "@lora-wal/core/TranscodeAhead"
import * as fs from "node:fs"
import { workerData } from "node:worker_threads"

const { files, ring } = workerData as { readonly ring: TranscodeAhead.Ring; readonly files: ReadonlyArray<string> }

TranscodeAhead.transcode(ring, files, (file) => {
  let fd: number
  try {
    fd = fs.openSync(file, "r")
  } catch {
    return undefined
  }
  return {
    read: (into, offset, length, position) => fs.readSync(fd, into, offset, length, position),
    close: () => fs.closeSync(fd)
  }
})
