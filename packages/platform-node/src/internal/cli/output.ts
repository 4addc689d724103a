import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/** The reader of standard output went away (`lora-wal dump … | head`). */
export class BrokenPipe extends Data.TaggedError("BrokenPipe")<{}> {}

/** Standard output could not be written for another reason (`> /dev/full`: no space left). */
export class OutputFailed extends Data.TaggedError("OutputFailed")<{ readonly message: string }> {}

/**
 * Where the tool's output goes. Subcommands write through it rather than
 * `Console`, so that output a log's size can make large (replay, dump) is
 * buffered and waits for a slow reader, and tests capture it in-process.
 */
export class Output extends Context.Tag("@lora-wal/platform-node/Cli/Output")<Output, {
  /** Buffered: written once the buffer is full or on `flush`. */
  readonly out: (text: string) => Effect.Effect<void, BrokenPipe | OutputFailed>
  /** UTF-8 bytes, which the caller may reuse once this completes (copied into the buffer, or written when large). */
  readonly outBytes: (bytes: Uint8Array) => Effect.Effect<void, BrokenPipe | OutputFailed>
  readonly flush: Effect.Effect<void, BrokenPipe | OutputFailed>
  readonly err: (text: string) => Effect.Effect<void>
  /** Whether stderr is a terminal (progress is shown only there). */
  readonly errIsTerminal: boolean
}>() {}

/** Output buffered up to this many bytes before it is written. */
const BUFFER_BYTES = 64 * 1024

/** Characters encoded at a time: a UTF-16 code unit takes at most 3 bytes in UTF-8. */
const PIECE_CHARS = Math.floor(BUFFER_BYTES / 3)

const outputError = (e: NodeJS.ErrnoException): BrokenPipe | OutputFailed =>
  e.code === "EPIPE" ? new BrokenPipe() : new OutputFailed({ message: e.message })

/** Whether `text[at]` is the second half of a surrogate pair, which must not be cut off its first. */
const splitsPair = (text: string, at: number) => {
  const unit = text.charCodeAt(at)
  return unit >= 0xdc00 && unit <= 0xdfff && at > 0
}

/**
 * The process's stdout and stderr. Text is encoded into a byte buffer as it
 * comes, so that a long output's strings die young. A full buffer is handed
 * to the stream and encoding goes on in a second one; the next write waits
 * until the stream has written the first (its callback), so memory stays
 * two buffers whatever the reader's pace (a fresh buffer per write would sit
 * outside the JS heap until a full collection: +85 MiB RSS over a 64 MiB
 * `replay --jsonl`), and a write that fails is reported, not thrown.
 */
export const layerProcess: Layer.Layer<Output> = Layer.sync(Output, () => {
  let buffer = Buffer.allocUnsafe(BUFFER_BYTES)
  let spare = Buffer.allocUnsafe(BUFFER_BYTES)
  let used = 0
  let failure: BrokenPipe | OutputFailed | undefined
  /** Set while the stream holds `spare`: who waits for it to be written. */
  let writing: Array<() => void> | undefined
  process.stdout.on("error", (e: NodeJS.ErrnoException) => void (failure ??= outputError(e)))
  const attempt = (resume: (effect: Effect.Effect<void, BrokenPipe | OutputFailed>) => void): void => {
    if (failure !== undefined) return resume(Effect.fail(failure))
    if (writing !== undefined) return void writing.push(() => attempt(resume))
    if (used === 0) return resume(Effect.void)
    const bytes = buffer.subarray(0, used)
    ;[buffer, spare] = [spare, buffer]
    used = 0
    const waiters: Array<() => void> = []
    writing = waiters
    process.stdout.write(bytes, (e) => {
      if (e !== null && e !== undefined) failure ??= outputError(e)
      writing = undefined
      resume(failure === undefined ? Effect.void : Effect.fail(failure))
      for (const waiter of waiters) waiter()
    })
  }
  const flush = Effect.async<void, BrokenPipe | OutputFailed>(attempt)
  /** Encodes `text` from `at` into the buffers, writing each one that fills. */
  const encode = (text: string, from: number): Effect.Effect<void, BrokenPipe | OutputFailed> => {
    let at = from
    while (at < text.length) {
      let end = Math.min(text.length, at + PIECE_CHARS)
      if (end < text.length && splitsPair(text, end)) end--
      if (used + (end - at) * 3 > BUFFER_BYTES) {
        const resumeAt = at
        return Effect.zipRight(flush, Effect.suspend(() => encode(text, resumeAt)))
      }
      used += buffer.write(at === 0 && end === text.length ? text : text.slice(at, end), used)
      at = end
    }
    return Effect.void
  }
  /** Copies `bytes` from `from` into the buffers, writing each one that fills. */
  const copy = (bytes: Uint8Array, from: number): Effect.Effect<void, BrokenPipe | OutputFailed> => {
    let at = from
    while (at < bytes.length) {
      if (used === BUFFER_BYTES) {
        const resumeAt = at
        return Effect.zipRight(flush, Effect.suspend(() => copy(bytes, resumeAt)))
      }
      const n = Math.min(bytes.length - at, BUFFER_BYTES - used)
      buffer.set(bytes.subarray(at, at + n), used)
      used += n
      at += n
    }
    return Effect.void
  }
  /** Bytes too large to be worth a copy: what is buffered goes first, then they are written as they are. */
  const writeDirect = (bytes: Uint8Array): Effect.Effect<void, BrokenPipe | OutputFailed> =>
    Effect.zipRight(
      flush,
      Effect.async<void, BrokenPipe | OutputFailed>((resume) => {
        if (failure !== undefined) return resume(Effect.fail(failure))
        process.stdout.write(bytes, (e) => {
          if (e !== null && e !== undefined) failure ??= outputError(e)
          resume(failure === undefined ? Effect.void : Effect.fail(failure))
        })
      })
    )
  return {
    out: (text) => encode(text, 0),
    outBytes: (bytes) => (bytes.length >= BUFFER_BYTES / 2 ? writeDirect(bytes) : copy(bytes, 0)),
    flush,
    err: (text) => Effect.sync(() => void process.stderr.write(text)),
    errIsTerminal: process.stderr.isTTY === true
  }
})
