// The peer cases: what a Node.js user would hold a write-ahead log against.
// `node cases.mjs <id> <emptyDir> <scale>` runs one case in this (fresh)
// process and prints one JSON line: { id, value, p50_us?, p99_us?, extra?, cpu_us }
// or { id, skipped } when the library cannot be loaded.
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as fsp from "node:fs/promises"
import { createRequire } from "node:module"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import * as zlib from "node:zlib"

const MiB = 1024 * 1024
const RECORD = 100 // bytes per raw file append
const VALUE = 60 // bytes per peer value

const now = () => process.hrtime.bigint()
const us = (from, to) => Number(to - from) / 1e3

/** p50 and p99 (nearest rank) of per-operation latencies in µs. */
const percentiles = (latencies) => {
  const sorted = Float64Array.from(latencies).sort()
  const rank = (p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]
  return { p50_us: rank(0.5), p99_us: rank(0.99) }
}

/**
 * Runs `warmup` untimed then `count` timed operations, one at a time, and
 * reports `perOp` units per operation per second with per-op latencies.
 */
const timed = async (count, warmup, op, perOp = 1) => {
  for (let i = 0; i < warmup; i++) await op(i)
  const latencies = new Float64Array(count)
  const start = now()
  for (let i = 0; i < count; i++) {
    const t = now()
    await op(warmup + i)
    latencies[i] = us(t, now())
  }
  const seconds = us(start, now()) / 1e6
  return { value: (count * perOp) / seconds, ...percentiles(latencies) }
}

/** The same, synchronous, for the blocking cases (no await in the loop). */
const timedSync = (count, warmup, op) => {
  for (let i = 0; i < warmup; i++) op(i)
  const latencies = new Float64Array(count)
  const start = now()
  for (let i = 0; i < count; i++) {
    const t = now()
    op(warmup + i)
    latencies[i] = us(t, now())
  }
  return { value: count / (us(start, now()) / 1e6), ...percentiles(latencies) }
}

/** Throughput of a bulk loop of awaited operations, with no per-op timer inside it. */
const bulk = async (count, warmup, op) => {
  for (let i = 0; i < warmup; i++) await op(i)
  const start = now()
  for (let i = 0; i < count; i++) await op(warmup + i)
  return { value: count / (us(start, now()) / 1e6) }
}

/** The same for a synchronous operation (no microtask per operation). */
const bulkSync = (count, warmup, op) => {
  for (let i = 0; i < warmup; i++) op(i)
  const start = now()
  for (let i = 0; i < count; i++) op(warmup + i)
  return { value: count / (us(start, now()) / 1e6) }
}

const key = (i) => {
  const k = Buffer.allocUnsafe(8)
  k.writeBigUInt64BE(BigInt(i))
  return k
}

const require = createRequire(import.meta.url)
class Missing extends Error {}
const load = async (name) => {
  try {
    return name === "better-sqlite3" ? require(name) : await import(name)
  } catch (e) {
    throw new Missing(`${name}: ${String(e?.message ?? e).split("\n")[0]}`)
  }
}

// ---- node:fs ---------------------------------------------------------------

const appendSync = (sync) => (dir, n) => {
  const fd = fs.openSync(path.join(dir, "log"), "a")
  const record = randomBytes(RECORD)
  try {
    return timedSync(n(2000), 50, () => {
      fs.writeSync(fd, record)
      sync(fd)
    })
  } finally {
    fs.closeSync(fd)
  }
}

const appendAsync = async (dir, n) => {
  const handle = await fsp.open(path.join(dir, "log"), "a")
  const record = randomBytes(RECORD)
  try {
    return await timed(n(2000), 50, async () => {
      await handle.write(record)
      await handle.sync()
    })
  } finally {
    await handle.close()
  }
}

/** Overwrites inside a file that is already allocated and synced: no size change to journal. */
const preallocated = (dir, n) => {
  const count = n(2000)
  const warmup = 50
  const file = path.join(dir, "log")
  fs.writeFileSync(file, Buffer.alloc((count + warmup) * RECORD))
  const fd = fs.openSync(file, "r+")
  fs.fsyncSync(fd)
  const record = randomBytes(RECORD)
  try {
    return timedSync(count, warmup, (i) => {
      fs.writeSync(fd, record, 0, RECORD, i * RECORD)
      fs.fdatasyncSync(fd)
    })
  } finally {
    fs.closeSync(fd)
  }
}

/** Writes `chunks` MiB sequentially with one fsync at the end. */
const writeSequential = (file, chunks) => {
  const chunk = randomBytes(MiB)
  const fd = fs.openSync(file, "w")
  try {
    const start = now()
    for (let i = 0; i < chunks; i++) fs.writeSync(fd, chunk)
    const written = now()
    fs.fsyncSync(fd)
    return { write_ms: us(start, written) / 1e3, fsync_ms: us(written, now()) / 1e3 }
  } finally {
    fs.closeSync(fd)
  }
}

const seqWrite = (dir, n) => {
  const chunks = n(256)
  const { fsync_ms, write_ms } = writeSequential(path.join(dir, "seq"), chunks)
  return { value: chunks / ((write_ms + fsync_ms) / 1e3), extra: { write_ms, fsync_ms } }
}

/** Reads back a file written just before: the page cache is hot, so this measures read(2), not the disk. */
const seqRead = (dir, n) => {
  const chunks = n(256)
  const file = path.join(dir, "seq")
  writeSequential(file, chunks)
  const buffer = Buffer.allocUnsafe(MiB)
  const fd = fs.openSync(file, "r")
  try {
    const start = now()
    let total = 0
    for (let read; (read = fs.readSync(fd, buffer, 0, MiB, null)) > 0;) total += read
    return { value: total / MiB / (us(start, now()) / 1e6) }
  } finally {
    fs.closeSync(fd)
  }
}

// ---- CRC -------------------------------------------------------------------

/** MiB/s of one CRC function over a random buffer: a warm-up pass, then 3 timed passes. */
const crcCase = (compute, reference) => async (_dir, n) => {
  const crc = await compute()
  const data = randomBytes(Math.max(1, n(64)) * MiB)
  const expected = reference === undefined ? undefined : reference(data)
  const first = crc(data)
  if (expected !== undefined && first !== expected) {
    throw new Error(`CRC disagrees with zlib.crc32: ${first} vs ${expected}`)
  }
  const start = now()
  for (let pass = 0; pass < 3; pass++) crc(data)
  return { value: (3 * data.length) / MiB / (us(start, now()) / 1e6) }
}
const zlibCrc32 = (data) => zlib.crc32(data)
const nodeRs = () => load("@node-rs/crc32")

// ---- better-sqlite3 (WAL journal) ----------------------------------------------

const openSqlite = async (dir, synchronous) => {
  const Database = await load("better-sqlite3")
  const db = new Database(path.join(dir, "db.sqlite"))
  db.pragma("journal_mode = WAL")
  db.pragma(`synchronous = ${synchronous}`)
  db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB)")
  return db
}

const sqliteRows = (synchronous, count, warmup, timer) => async (dir, n) => {
  const db = await openSqlite(dir, synchronous)
  const insert = db.prepare("INSERT INTO t (id, payload) VALUES (?, ?)")
  const payload = randomBytes(VALUE)
  try {
    const result = await timer(n(count), warmup, (i) => insert.run(i, payload))
    return { ...result, extra: { sqlite: db.prepare("SELECT sqlite_version() AS v").get().v } }
  } finally {
    db.close()
  }
}

const sqliteBatches = async (dir, n) => {
  const db = await openSqlite(dir, "FULL")
  const insert = db.prepare("INSERT INTO t (id, payload) VALUES (?, ?)")
  const payload = randomBytes(VALUE)
  const batch = db.transaction((first) => {
    for (let j = 0; j < 100; j++) insert.run(first + j, payload)
  })
  try {
    const result = timedSync(n(20000), 20, (i) => batch(i * 100))
    return { value: result.value * 100, p50_us: result.p50_us, p99_us: result.p99_us, extra: { txs_per_s: result.value } }
  } finally {
    db.close()
  }
}

// ---- classic-level (LevelDB) ----------------------------------------------------

const withLevel = async (dir, body) => {
  const { ClassicLevel } = await load("classic-level")
  const db = new ClassicLevel(path.join(dir, "level"), { keyEncoding: "buffer", valueEncoding: "buffer" })
  await db.open()
  try {
    return await body(db, randomBytes(VALUE))
  } finally {
    await db.close()
  }
}

const levelPuts = (sync, count, warmup, timer) => (dir, n) =>
  withLevel(dir, (db, value) => timer(n(count), warmup, (i) => db.put(key(i), value, { sync })))

const levelBatches = (dir, n) =>
  withLevel(dir, async (db, value) => {
    const result = await timed(n(2000), 20, (i) => {
      const ops = []
      for (let j = 0; j < 100; j++) ops.push({ type: "put", key: key(i * 100 + j), value })
      return db.batch(ops, { sync: true })
    }, 100)
    return result
  })

// ---- lmdb ------------------------------------------------------------------------

const withLmdb = async (dir, body) => {
  const { open } = await load("lmdb")
  const db = open({ path: path.join(dir, "lmdb"), keyEncoding: "binary", encoding: "binary" })
  try {
    return await body(db, randomBytes(VALUE))
  } finally {
    await db.close()
  }
}

const lmdbPuts = (durable) => (dir, n) =>
  withLmdb(dir, (db, value) =>
    timed(n(2000), 50, async (i) => {
      await db.put(key(i), value)
      if (durable) await db.flushed
    }))

/** Puts issued without waiting for each; timed from the first to the last one flushed. */
const lmdbPipelined = (dir, n) =>
  withLmdb(dir, async (db, value) => {
    const warmup = 1000
    for (let i = 0; i < warmup - 1; i++) db.put(key(i), value)
    await db.put(key(warmup - 1), value)
    await db.flushed
    const count = n(200000)
    const start = now()
    let last
    for (let i = 0; i < count; i++) last = db.put(key(warmup + i), value)
    await last
    await db.flushed
    return { value: count / (us(start, now()) / 1e6) }
  })

const lmdbTransactions = (dir, n) =>
  withLmdb(dir, (db, value) =>
    timed(n(2000), 20, async (i) => {
      await db.transaction(() => {
        for (let j = 0; j < 100; j++) db.put(key(i * 100 + j), value)
      })
      await db.flushed
    }, 100))

// ---- the table ---------------------------------------------------------------------

/**
 * Every case: reference, group, what is timed, whether an operation is durable
 * when counted, the unit, and how to run it.
 */
export const cases = [
  ["1a", "fs.append.fsync", "node:fs", "2000 × (writeSync 100 B to an O_APPEND file; fsyncSync)", true, "ops/s", appendSync(fs.fsyncSync)],
  ["1b", "fs.append.fdatasync", "node:fs", "the same with fdatasyncSync", true, "ops/s", appendSync(fs.fdatasyncSync)],
  ["1c", "fs.append.async_sync", "node:fs", "2000 × (await fh.write(100 B); await fh.sync()) through fs/promises", true, "ops/s", appendAsync],
  ["1x", "fs.prealloc.fdatasync", "node:fs", "2000 × (overwrite 100 B inside a preallocated, synced file; fdatasyncSync): no size change to journal", true, "ops/s", preallocated],
  ["1d", "fs.seq.write", "node:fs", "256 × 1 MiB writeSync, one fsyncSync at the end (durable at the end)", true, "MiB/s", seqWrite],
  ["1e", "fs.seq.read", "node:fs", "that file read back in 1 MiB chunks, page cache hot (memory bandwidth through read(2), not the disk)", undefined, "MiB/s", seqRead],
  ["1f", "crc32.zlib", "crc", "zlib.crc32 over 64 MiB of random bytes, 3 passes", undefined, "MiB/s", crcCase(async () => zlibCrc32)],
  ["1f", "crc32.crc-32", "crc", "the crc-32 package (pure JavaScript), same buffer", undefined, "MiB/s",
    crcCase(async () => {
      const { buf } = (await load("crc-32")).default
      return (data) => buf(data) >>> 0
    }, zlibCrc32)],
  ["1f", "crc32.node-rs", "crc", "@node-rs/crc32 crc32 (native), same buffer", undefined, "MiB/s",
    crcCase(async () => (await nodeRs()).crc32, zlibCrc32)],
  ["1f*", "crc32c.node-rs", "crc", "@node-rs/crc32 crc32c (Castagnoli; a different checksum, for its speed)", undefined, "MiB/s",
    crcCase(async () => (await nodeRs()).crc32c)],
  ["2a", "sqlite.full.1row", "better-sqlite3", "WAL journal, synchronous=FULL: 2000 autocommit INSERTs of a 60 B blob", true, "ops/s", sqliteRows("FULL", 2000, 50, timedSync)],
  ["2b", "sqlite.normal.1row", "better-sqlite3", "the same with synchronous=NORMAL (commits not fsynced in WAL mode)", false, "ops/s", sqliteRows("NORMAL", 2000, 50, timedSync)],
  ["2c", "sqlite.off.1row", "better-sqlite3", "synchronous=OFF, 200,000 autocommit INSERTs", false, "ops/s",
    sqliteRows("OFF", 200000, 1000, bulkSync)],
  ["2d", "sqlite.full.batch100", "better-sqlite3", "synchronous=FULL, 20,000 transactions of 100 INSERTs", true, "rows/s", sqliteBatches],
  ["3a", "level.put.sync", "classic-level", "2000 × await put(8 B key, 60 B value, { sync: true })", true, "ops/s", levelPuts(true, 2000, 50, timed)],
  ["3b", "level.put.nosync", "classic-level", "200,000 × await put(…, { sync: false }), one at a time (survives a process crash, not an OS crash)", false, "ops/s",
    levelPuts(false, 200000, 1000, (count, warmup, op) => bulk(count, warmup, op))],
  ["3c", "level.batch100.sync", "classic-level", "2000 × await batch(100 puts, { sync: true })", true, "rows/s", levelBatches],
  ["4a", "lmdb.put.durable", "lmdb", "2000 × (await put; await db.flushed)", true, "ops/s", lmdbPuts(true)],
  ["4a*", "lmdb.put.commit", "lmdb", "2000 × await put only: committed and visible, not yet flushed", false, "ops/s", lmdbPuts(false)],
  ["4b", "lmdb.put.pipelined", "lmdb", "200,000 puts not awaited one by one (lmdb batches them), then the last one and db.flushed (durable at the end)", true, "ops/s", lmdbPipelined],
  ["4c", "lmdb.txn100.durable", "lmdb", "2000 × (await transaction(100 puts); await db.flushed)", true, "rows/s", lmdbTransactions]
].map(([ref, id, group, title, durable, unit, run]) => ({ ref, id, group, title, durable, unit, run }))

const main = async ([id, dir, scale = "1"]) => {
  const found = cases.find((c) => c.id === id)
  if (found === undefined) throw new Error(`unknown case ${id}`)
  const n = (base) => Math.max(1, Math.round(base * Number(scale)))
  try {
    const result = await found.run(dir, n)
    const { system, user } = process.cpuUsage()
    process.stdout.write(`${JSON.stringify({ id, ...result, cpu_us: user + system })}\n`)
  } catch (e) {
    const outcome = e instanceof Missing ? { skipped: e.message } : { error: String(e?.message ?? e).split("\n")[0] }
    process.stdout.write(`${JSON.stringify({ id, ...outcome })}\n`)
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv.slice(2))
