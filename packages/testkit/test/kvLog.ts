/**
 * A tiny key-value log written by hand on the FileSystem, to crash-test
 * `CrashHarness.check` with: each put appends `key=value#checksum\n`;
 * recovery keeps every whole record up to the first damaged one.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import { DirLock } from "@lora-wal/core/DirLock"
import * as Effect from "effect/Effect"
import type { CrashHarness } from "../src/index.js"

export const DIR = "/kv"
const LOG = `${DIR}/log`

export const keys = (n: number) => Array.from({ length: n }, (_, i) => `k${i}`)
export const valueOf = (key: string) => `value of ${key}`

/** FNV-1a over the record's text: what tells a whole record from a torn or garbled one. */
const checksum = (text: string): string => {
  let hash = 0x811c9dc5
  for (const byte of new TextEncoder().encode(text)) hash = Math.imul(hash ^ byte, 0x01000193)
  return (hash >>> 0).toString(16).padStart(8, "0")
}

const encode = (key: string) => new TextEncoder().encode(`${key}=${valueOf(key)}#${checksum(`${key}=${valueOf(key)}`)}\n`)

const syncDirectory = (fs: FileSystem.FileSystem, path: string) =>
  Effect.scoped(Effect.flatMap(fs.open(path, { flag: "r" }), (handle) => handle.sync))

/** How a put makes its record durable before (or not before) acknowledging it. */
export type Put = (log: FileSystem.File, bytes: Uint8Array, acknowledge: Effect.Effect<void>) => Effect.Effect<void, unknown>

/** Write, fsync, then acknowledge. */
export const durablePut: Put = (log, bytes, acknowledge) =>
  Effect.andThen(log.writeAll(bytes), Effect.andThen(log.sync, acknowledge))

/** The bug the harness must catch: acknowledge, then fsync. */
export const ackBeforeFsync: Put = (log, bytes, acknowledge) =>
  Effect.andThen(log.writeAll(bytes), Effect.andThen(acknowledge, log.sync))

/** PostgreSQL's old fsync bug: retry a failed fsync, whose data Linux has already dropped. */
export const retryFailedFsync: Put = (log, bytes, acknowledge) =>
  Effect.andThen(log.writeAll(bytes), Effect.andThen(Effect.orElse(log.sync, () => log.sync), acknowledge))

/** Creates the log durably (directory entries included), then puts every key. */
export const write = (put: Put, entries: ReadonlyArray<string>) => (ledger: CrashHarness.Ledger<string>) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    yield* fs.makeDirectory(DIR, { recursive: true })
    yield* syncDirectory(fs, "/")
    yield* (yield* DirLock).acquire(DIR)
    const log = yield* fs.open(LOG, { flag: "a" })
    yield* syncDirectory(fs, DIR)
    for (const key of entries) {
      yield* ledger.attempt(key)
      yield* put(log, encode(key), ledger.acknowledge(key))
    }
  })

/** Every whole record, up to the first torn or garbled one. */
export const recover = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const state = new Map<string, string>()
  if (!(yield* fs.exists(LOG))) return state
  yield* (yield* DirLock).acquire(DIR)
  const lines = new TextDecoder().decode(yield* fs.readFile(LOG)).split("\n")
  // The text after the last newline is a record still being written.
  for (const line of lines.slice(0, -1)) {
    const record = /^([^=#]*)=([^#]*)#([0-9a-f]{8})$/.exec(line)
    if (record === null || checksum(`${record[1]}=${record[2]}`) !== record[3]) break
    state.set(record[1]!, record[2]!)
  }
  return state
})

/** Every acknowledged put is back with its value, and nothing that was never attempted is. */
export const invariant = (
  recovered: ReadonlyMap<string, string>,
  acknowledged: ReadonlyArray<string>,
  attempted: ReadonlyArray<string>
) =>
  acknowledged.every((key) => recovered.get(key) === valueOf(key)) &&
  [...recovered].every(([key, value]) => attempted.includes(key) && value === valueOf(key))
