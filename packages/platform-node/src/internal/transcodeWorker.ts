/**
 * The thread that transcodes a log's batches ahead of `lora-wal replay
 * --jsonl` (see `cli/transcodeThread.ts`). Bundled on its own at build time
 * (`transcodeWorker.bundle.js`, ~57 KB), since every module a thread loads
 * is RSS the replay's memory bound pays for. `process.env.LORA_WAL_BUILD`
 * is the build's id, written into this bundle and the tool's at build time.
 */
import * as TranscodeAhead from "@lora-wal/core/TranscodeAhead"
import * as fs from "node:fs"
import { workerData } from "node:worker_threads"

const { build, files, ring } = workerData as {
  readonly ring: TranscodeAhead.Ring
  readonly files: ReadonlyArray<string>
  readonly build: string | undefined
}

/** A regular file, opened without blocking (a FIFO put in a segment's place must not hold the thread). */
const open = (file: string): TranscodeAhead.BlockingFile | undefined => {
  let fd: number
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
  } catch {
    return undefined
  }
  if (!fs.fstatSync(fd).isFile()) {
    fs.closeSync(fd)
    return undefined
  }
  return {
    read: (into, offset, length, position) => fs.readSync(fd, into, offset, length, position),
    close: () => fs.closeSync(fd)
  }
}

// A replay from another build might transcode differently: then the thread does nothing. A
// replay without an id (run from the modules, as tests do) vouches for the thread it starts.
if (build === undefined || build === process.env["LORA_WAL_BUILD"]) TranscodeAhead.transcode(ring, files, open)
