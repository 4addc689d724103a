import { PutObjectCommand } from "@aws-sdk/client-s3"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Archive from "@lora-wal/core/Archive"
import * as ArchiveStore from "@lora-wal/core/ArchiveStore"
import type { MutationEvent } from "@lora-wal/core/MutationEvent"
import * as Replay from "@lora-wal/core/Replay"
import * as Wal from "@lora-wal/core/Wal"
import * as Contracts from "@lora-wal/testkit/Contracts"
import * as Chunk from "effect/Chunk"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { createHash, randomUUID } from "node:crypto"
import * as fs from "node:fs"
import * as http from "node:http"
import { createRequire } from "node:module"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import * as S3Store from "../src/internal/s3/store.js"
import * as S3ArchiveStore from "../src/S3ArchiveStore.js"
import { bin } from "./child.js"
import { nodePlatform } from "./layers.js"

// A real S3-protocol server, s3rver, in a child process on a loopback port the system chose,
// storing into a temporary directory, with one bucket. A child process because s3rver's
// ListObjectsV2 continuation tokens use DES, which Node's OpenSSL 3 offers only with
// --openssl-legacy-provider (in-process, every truncated listing is a 500).
const BUCKET = "lora-wal-test"
const SERVER_SCRIPT = `
const [s3rverPath, directory, bucket] = process.argv.slice(1)
const S3rver = require(s3rverPath)
const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] })
server.run().then(
  (address) => process.stdout.write(JSON.stringify({ port: address.port }) + "\\n"),
  (error) => { process.stderr.write(String((error && error.stack) || error)); process.exit(1) }
)
// Goes away with the test process, whose end closes this stdin.
process.stdin.on("end", () => process.exit(0))
process.stdin.resume()
process.on("SIGTERM", () => process.exit(0))
`

let server: { readonly child: ChildProcess; readonly dir: string; readonly endpoint: string } | undefined

beforeAll(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lora-wal-s3rver-"))
  const s3rver = createRequire(import.meta.url).resolve("s3rver")
  const child = spawn(process.execPath, ["--openssl-legacy-provider", "-e", SERVER_SCRIPT, s3rver, dir, BUCKET], {
    stdio: ["pipe", "pipe", "pipe"]
  })
  const port = await new Promise<number>((resolve, reject) => {
    let out = ""
    let err = ""
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString()
      const newline = out.indexOf("\n")
      if (newline !== -1) resolve((JSON.parse(out.slice(0, newline)) as { port: number }).port)
    })
    child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()))
    child.on("exit", (code) => reject(new Error(`s3rver exited (${code}) before listening: ${err}`)))
    child.on("error", reject)
  })
  server = { child, dir, endpoint: `http://127.0.0.1:${port}` }
})

afterAll(async () => {
  if (server === undefined) return
  const { child, dir } = server
  if (child.exitCode === null) {
    await new Promise<void>((resolve) => {
      child.on("exit", () => resolve())
      child.kill("SIGTERM")
    })
  }
  fs.rmSync(dir, { recursive: true, force: true })
})

/** The options that reach the s3rver child: its address, path-style, its (only) access key. */
const s3rver = (options?: Partial<S3ArchiveStore.Options>): S3ArchiveStore.Options => ({
  bucket: BUCKET,
  endpoint: server!.endpoint,
  region: "us-east-1",
  forcePathStyle: true,
  credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  ...options
})

/** A store of its own: a fresh random prefix in the bucket, so it starts empty. */
const freshStore = (options?: Partial<S3ArchiveStore.Options>) =>
  Layer.unwrapEffect(Effect.sync(() => S3ArchiveStore.layer(s3rver({ prefix: `t-${randomUUID()}/`, ...options }))))

const bytesOf = (text: string) => new TextEncoder().encode(text)
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")

const put = (store: ArchiveStore.ArchiveStore, key: string, text: string) =>
  store.putIfAbsent(key, bytesOf(text), sha256(bytesOf(text)))

const read = (store: ArchiveStore.ArchiveStore, key: string) =>
  Effect.map(Stream.runCollect(store.get(key)), (chunks) => new TextDecoder().decode(Buffer.concat(Chunk.toReadonlyArray(chunks))))

const keys = (store: ArchiveStore.ArchiveStore, prefix: string) =>
  Effect.map(Stream.runCollect(store.list(prefix)), (infos) => Chunk.toReadonlyArray(infos).map((i) => i.key))

/** The reason a store operation failed with, or "succeeded". */
const reasonOf = <A>(effect: Effect.Effect<A, { readonly reason: string }>) =>
  Effect.match(effect, { onFailure: (e) => e.reason, onSuccess: () => "succeeded" })

Contracts.archiveStore("s3 (s3rver)", freshStore())

describe("S3ArchiveStore.parseUrl", () => {
  it("takes a bucket and a prefix, normalized to end in '/'", () => {
    const cases: ReadonlyArray<readonly [string, S3ArchiveStore.Location]> = [
      ["s3://backups", { bucket: "backups", prefix: "" }],
      ["s3://backups/", { bucket: "backups", prefix: "" }],
      ["s3://backups/prod", { bucket: "backups", prefix: "prod/" }],
      ["s3://backups/prod/app", { bucket: "backups", prefix: "prod/app/" }],
      ["s3://backups/prod/app/", { bucket: "backups", prefix: "prod/app/" }],
      ["S3://my.bucket-1/a_b/c.d-e/", { bucket: "my.bucket-1", prefix: "a_b/c.d-e/" }]
    ]
    for (const [url, location] of cases) expect([url, S3ArchiveStore.parseUrl(url)]).toEqual([url, Either.right(location)])
  })

  it("refuses anything else with InvalidUrl", () => {
    const bad = [
      "",
      "backups/prod",
      "https://backups/prod",
      "s3:/backups",
      "s3://",
      "s3:///prod",
      "s3://ab",
      "s3://Backups/prod",
      "s3://-backups/prod",
      "s3://back_ups",
      "s3://backups//prod",
      "s3://backups/prod//",
      "s3://backups/a/../b",
      "s3://backups/./b",
      "s3://backups/prod?versionId=1",
      "s3://backups/pr od",
      "s3://user@backups/prod"
    ]
    for (const url of bad) {
      const parsed = S3ArchiveStore.parseUrl(url)
      expect([url, Either.isLeft(parsed) ? parsed.left._tag : parsed.right]).toEqual([url, "InvalidUrl"])
    }
    const error = Either.getLeft(S3ArchiveStore.parseUrl("s3://backups//prod"))
    expect(error._tag === "Some" && error.value.message).toContain("s3://backups//prod")
  })
})

describe("S3ArchiveStore.config", () => {
  const readConfig = (entries: ReadonlyArray<readonly [string, string]>, options?: Parameters<typeof S3ArchiveStore.config>[0]) =>
    Effect.withConfigProvider(S3ArchiveStore.config(options), ConfigProvider.fromMap(new Map(entries)))

  it.effect("reads the bucket, the prefix and the standard AWS variables", () =>
    Effect.gen(function*() {
      expect(
        yield* readConfig([
          ["LORA_WAL_S3_BUCKET", "backups"],
          ["LORA_WAL_S3_PREFIX", "prod/app"],
          ["AWS_ENDPOINT_URL", "http://generic:1"],
          ["AWS_ENDPOINT_URL_S3", "http://s3-only:2"],
          ["AWS_REGION", "eu-west-1"],
          ["AWS_DEFAULT_REGION", "us-west-2"],
          ["AWS_ACCESS_KEY_ID", "id"],
          ["AWS_SECRET_ACCESS_KEY", "secret"],
          ["AWS_SESSION_TOKEN", "token"],
          ["LORA_WAL_S3_FORCE_PATH_STYLE", "true"]
        ])
      ).toEqual({
        bucket: "backups",
        prefix: "prod/app",
        endpoint: "http://s3-only:2",
        region: "eu-west-1",
        forcePathStyle: true,
        credentials: { accessKeyId: "id", secretAccessKey: "secret", sessionToken: "token" },
        requestTimeout: undefined
      })
    }))

  it.effect("falls back to AWS_ENDPOINT_URL and AWS_DEFAULT_REGION; unset is the SDK's defaults; the caller's bucket and prefix win", () =>
    Effect.gen(function*() {
      expect(
        yield* readConfig(
          [["LORA_WAL_S3_BUCKET", "ignored"], ["LORA_WAL_S3_PREFIX", "ignored"], ["AWS_ENDPOINT_URL", "http://generic:1"], [
            "AWS_DEFAULT_REGION",
            "us-west-2"
          ]],
          { bucket: "mine", prefix: "", requestTimeout: "5 seconds" }
        )
      ).toEqual({
        bucket: "mine",
        prefix: "",
        endpoint: "http://generic:1",
        region: "us-west-2",
        forcePathStyle: false,
        credentials: undefined,
        requestTimeout: "5 seconds"
      })
      expect(yield* readConfig([["LORA_WAL_S3_BUCKET", "b"], ["AWS_REGION", ""], ["AWS_DEFAULT_REGION", "ap-south-1"]])).toMatchObject({
        region: "ap-south-1",
        endpoint: undefined,
        prefix: undefined,
        credentials: undefined
      })
    }))

  it.effect("a missing bucket, half a pair of credentials or a path style that is not a boolean is a ConfigError naming the variable", () =>
    Effect.gen(function*() {
      const failure = (entries: ReadonlyArray<readonly [string, string]>) => Effect.map(Effect.flip(readConfig(entries)), String)
      expect(yield* failure([])).toContain("LORA_WAL_S3_BUCKET")
      expect(yield* failure([["LORA_WAL_S3_BUCKET", "b"], ["AWS_ACCESS_KEY_ID", "id"]])).toContain("AWS_SECRET_ACCESS_KEY")
      expect(yield* failure([["LORA_WAL_S3_BUCKET", "b"], ["AWS_SECRET_ACCESS_KEY", "s"]])).toContain("AWS_ACCESS_KEY_ID")
      expect(yield* failure([["LORA_WAL_S3_BUCKET", "b"], ["LORA_WAL_S3_FORCE_PATH_STYLE", "maybe"]])).toContain(
        "LORA_WAL_S3_FORCE_PATH_STYLE"
      )
    }))

  it.effect("layerConfig builds a store from the variables: objects go to the configured endpoint, bucket and prefix", () =>
    Effect.gen(function*() {
      const prefix = `cfg-${randomUUID()}`
      const provider = ConfigProvider.fromMap(
        new Map([
          ["LORA_WAL_S3_BUCKET", BUCKET],
          ["LORA_WAL_S3_PREFIX", prefix],
          ["AWS_ENDPOINT_URL_S3", server!.endpoint],
          ["AWS_REGION", "us-east-1"],
          ["AWS_ACCESS_KEY_ID", "S3RVER"],
          ["AWS_SECRET_ACCESS_KEY", "S3RVER"],
          ["LORA_WAL_S3_FORCE_PATH_STYLE", "true"]
        ])
      )
      const configured = Effect.gen(function*() {
        const store = yield* ArchiveStore.ArchiveStore
        expect(yield* put(store, "segments/1.wal", "configured")).toBe("created")
        expect(yield* read(store, "segments/1.wal")).toBe("configured")
      }).pipe(Effect.provide(S3ArchiveStore.layerConfig()), Effect.withConfigProvider(provider))
      yield* configured
      // Seen from the bucket's root: under the prefix read from LORA_WAL_S3_PREFIX.
      const root = yield* Effect.provide(ArchiveStore.ArchiveStore, S3ArchiveStore.layer(s3rver()))
      expect(yield* keys(root, `${prefix}/`)).toEqual([`${prefix}/segments/1.wal`])
    }))
})

describe("S3ArchiveStore against s3rver", () => {
  it.effect("an object changed behind the store's back, keeping its metadata, is a ChecksumMismatch to get", () =>
    Effect.gen(function*() {
      const prefix = `tamper-${randomUUID()}/`
      const store = yield* S3ArchiveStore.make(s3rver({ prefix }))
      const client = yield* S3ArchiveStore.makeClient(s3rver())
      expect(yield* put(store, "segments/1.wal", "original")).toBe("created")
      expect(yield* read(store, "segments/1.wal")).toBe("original")
      yield* Effect.promise(() =>
        client.send(
          new PutObjectCommand({
            Bucket: BUCKET,
            Key: `${prefix}segments/1.wal`,
            Body: bytesOf("tampered"),
            Metadata: { sha256: sha256(bytesOf("original")) }
          })
        )
      )
      const error = yield* Effect.flip(Stream.runDrain(store.get("segments/1.wal")))
      expect(error).toMatchObject({ reason: "ChecksumMismatch", key: "segments/1.wal" })
      expect(error.description).toContain(sha256(bytesOf("tampered")))
      // head reports what the object claims: the old SHA-256, the new size.
      expect(yield* store.head("segments/1.wal")).toEqual({
        key: "segments/1.wal",
        size: 8,
        sha256: sha256(bytesOf("original"))
      })
    }).pipe(Effect.scoped))

  it.effect("an object without the sha256 metadata (another tool wrote it) is a ChecksumMismatch to get and head", () =>
    Effect.gen(function*() {
      const prefix = `foreign-${randomUUID()}/`
      const store = yield* S3ArchiveStore.make(s3rver({ prefix }))
      const client = yield* S3ArchiveStore.makeClient(s3rver())
      yield* Effect.promise(() => client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}foreign`, Body: bytesOf("bytes") })))
      expect(yield* reasonOf(Stream.runDrain(store.get("foreign")))).toBe("ChecksumMismatch")
      expect(yield* reasonOf(store.head("foreign"))).toBe("ChecksumMismatch")
      // It still exists: put-if-absent leaves it alone.
      expect(yield* put(store, "foreign", "mine")).toBe("exists")
    }).pipe(Effect.scoped))

  it.effect("list pages through ListObjectsV2 with continuation tokens, in key order, the store's prefix left out", () =>
    Effect.gen(function*() {
      const prefix = `pages-${randomUUID()}/`
      const client = yield* S3ArchiveStore.makeClient(s3rver())
      // Two keys a page, through the same operations as the public store.
      const store = ArchiveStore.make(
        S3Store.make({
          client,
          bucket: BUCKET,
          prefix,
          requestTimeout: S3ArchiveStore.DEFAULT_REQUEST_TIMEOUT,
          sha256Hex: ArchiveStore.sha256Hex,
          pageSize: 2
        })
      )
      const all = ["segments/01.wal", "segments/02.wal", "segments/02.wal.partial-9", "segments/03.wal", "segments/10.wal", "z"]
      for (const key of [...all].reverse()) expect(yield* put(store, key, key)).toBe("created")
      expect(yield* keys(store, "")).toEqual(all)
      expect(yield* keys(store, "segments/0")).toEqual(all.slice(0, 4))
      expect(yield* keys(store, "segments/02")).toEqual(["segments/02.wal", "segments/02.wal.partial-9"])
      const listed = Chunk.toReadonlyArray(yield* Stream.runCollect(store.list("segments/1")))
      expect(listed).toEqual([{ key: "segments/10.wal", size: "segments/10.wal".length }])
    }).pipe(Effect.scoped))

  it.effect("a bucket that does not exist: put, get, list and remove are Refused (NoSuchBucket); head cannot tell", () =>
    Effect.gen(function*() {
      // s3rver answers NoSuchBucket (404) to PUT, GET, DELETE and ListObjectsV2, as S3 does. Refused, not NotFound:
      // the configuration is wrong, and neither a retry nor a restore that skips the "missing object" can help.
      const store = yield* S3ArchiveStore.make(s3rver({ bucket: "no-such-bucket" }))
      const error = yield* Effect.flip(put(store, "a", "bytes"))
      expect(error).toMatchObject({ reason: "Refused", key: "a" })
      expect(error.description).toContain("NoSuchBucket (HTTP 404)")
      expect(yield* reasonOf(Stream.runDrain(store.get("a")))).toBe("Refused")
      expect(yield* reasonOf(Stream.runDrain(store.list("")))).toBe("Refused")
      expect(yield* reasonOf(store.remove("a"))).toBe("Refused")
      // A HEAD answer has no body: a 404 for a missing bucket reads as a missing object.
      expect(yield* store.head("a")).toBeUndefined()
    }).pipe(Effect.scoped))

  it.effect("an access key the server does not know is Refused (403 InvalidAccessKeyId)", () =>
    Effect.gen(function*() {
      const store = yield* S3ArchiveStore.make(s3rver({ credentials: { accessKeyId: "NOBODY", secretAccessKey: "x" } }))
      const error = yield* Effect.flip(Stream.runDrain(store.get("a")))
      expect(error).toMatchObject({ reason: "Refused" })
      expect(error.description).toContain("InvalidAccessKeyId (HTTP 403)")
      expect(yield* reasonOf(put(store, "a", "bytes"))).toBe("Refused")
      expect(yield* reasonOf(Stream.runDrain(store.list("")))).toBe("Refused")
    }).pipe(Effect.scoped))

  it.effect("a put whose checksum does not match sends nothing", () =>
    Effect.gen(function*() {
      // The closed port would make any request Unavailable: ChecksumMismatch means none was sent.
      const store = yield* S3ArchiveStore.make(s3rver({ endpoint: `http://127.0.0.1:${yield* closedPort}` }))
      expect(yield* reasonOf(store.putIfAbsent("a", bytesOf("one"), sha256(bytesOf("two"))))).toBe("ChecksumMismatch")
      expect(yield* reasonOf(store.putIfAbsent("a", bytesOf("one"), sha256(bytesOf("one"))))).toBe("Unavailable")
    }).pipe(Effect.scoped))

  it.live("end to end: a log written on disk, archived into S3 and restored elsewhere replays the same committed events", () =>
    Effect.gen(function*() {
      const dir = nodePlatform.freshDir()
      const restored = nodePlatform.freshDir()
      const events: Array<MutationEvent> = []
      yield* Effect.scoped(Effect.gen(function*() {
        const wal = yield* Wal.make({ dir, segmentTargetBytes: 256 })
        for (let i = 0; i < 40; i++) {
          const tx: Array<MutationEvent> = [
            { _tag: "CreateNode", id: BigInt(i), labels: ["Node"], properties: new Map([["n", { _tag: "Int", value: BigInt(i) }]]) },
            { _tag: "DeleteNode", nodeId: BigInt(i) }
          ]
          yield* wal.commitTx(tx)
          events.push(...tx)
        }
      }))
      const original = (yield* Replay.replayDir(dir)).committedEvents
      expect(original).toEqual(events)
      const pass = yield* Archive.archiveOnce({ dir, prefix: "app/wal/" })
      expect(pass.uploaded.length).toBeGreaterThan(2)
      const store = yield* ArchiveStore.ArchiveStore
      expect(yield* keys(store, "app/wal/")).toEqual([...pass.uploaded].sort())
      const result = yield* Archive.restore({ dir: restored, prefix: "app/wal/" })
      expect(result.gap).toBeUndefined()
      expect(result.files.length).toBe(pass.uploaded.length)
      expect((yield* Replay.replayDir(restored)).committedEvents).toEqual(original)
      // A second pass finds everything archived.
      expect((yield* Archive.archiveOnce({ dir, prefix: "app/wal/" })).uploaded).toEqual([])
    }).pipe(Effect.provide(Layer.merge(nodePlatform.layer(), freshStore()))))
})

/** A loopback port nothing listens on: one the system gave out, then closed. */
const closedPort = Effect.async<number>((resume) => {
  const listener = net.createServer()
  listener.listen(0, "127.0.0.1", () => {
    const { port } = listener.address() as net.AddressInfo
    listener.close(() => resume(Effect.succeed(port)))
  })
})

interface Seen {
  readonly method: string
  readonly url: string
  readonly headers: http.IncomingHttpHeaders
  readonly body: Buffer
}

interface Answer {
  readonly status: number
  readonly code?: string
  readonly message?: string
}

/**
 * An HTTP server on loopback that answers each request as `answer` says,
 * with an S3 error document: the answers s3rver never gives (throttling,
 * 5xx, a 412 to If-None-Match, checksum errors), through the SDK's real
 * HTTP, signing and error parsing.
 */
const scripted = (answer: (request: Seen) => Answer) =>
  Effect.acquireRelease(
    Effect.async<{ readonly endpoint: string; readonly seen: Array<Seen>; readonly server: http.Server }>((resume) => {
      const seen: Array<Seen> = []
      const server = http.createServer((req, res) => {
        const chunks: Array<Buffer> = []
        req.on("data", (chunk: Buffer) => chunks.push(chunk))
        req.on("end", () => {
          const request = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks) }
          seen.push(request)
          const { code, message, status } = answer(request)
          const body = code === undefined || req.method === "HEAD"
            ? ""
            : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message ?? code}</Message><RequestId>1</RequestId></Error>`
          res.writeHead(status, { "content-type": "application/xml", "content-length": Buffer.byteLength(body) })
          res.end(body)
        })
      })
      // Connections stay open until the client closes them (see the destroy test).
      server.keepAliveTimeout = 0
      server.listen(0, "127.0.0.1", () =>
        resume(Effect.succeed({ endpoint: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, seen, server })))
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

const storeAt = (endpoint: string, options?: Partial<S3ArchiveStore.Options>) =>
  S3ArchiveStore.make(s3rver({ endpoint, prefix: "p/", ...options }))

describe("S3ArchiveStore, the answers s3rver does not give", () => {
  it.effect("5xx, 429 and throttling are Unavailable; 403 and other 4xx Refused; the description is the server's code and message", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [Answer, string]> = [
        [{ status: 500, code: "InternalError" }, "Unavailable"],
        [{ status: 503, code: "SlowDown", message: "Please reduce your request rate." }, "Unavailable"],
        [{ status: 502, code: "BadGateway" }, "Unavailable"],
        [{ status: 429, code: "TooManyRequests" }, "Unavailable"],
        [{ status: 400, code: "RequestTimeout" }, "Unavailable"],
        [{ status: 403, code: "AccessDenied", message: "Access Denied" }, "Refused"],
        [{ status: 400, code: "InvalidArgument" }, "Refused"],
        [{ status: 301, code: "PermanentRedirect" }, "Refused"],
        [{ status: 404, code: "NoSuchKey" }, "NotFound"],
        [{ status: 404, code: "NoSuchBucket" }, "Refused"]
      ]
      for (const [answer, reason] of cases) {
        const { endpoint, seen } = yield* scripted(() => answer)
        const store = yield* storeAt(endpoint)
        const error = yield* Effect.flip(Stream.runDrain(store.get("a")))
        expect([answer.code, error.reason]).toEqual([answer.code, reason])
        // One attempt: the SDK does not retry (the archiver does, on its schedule).
        expect([answer.code, seen.length]).toEqual([answer.code, 1])
        expect(error.description).toBe(`${answer.code} (HTTP ${answer.status}): ${answer.message ?? answer.code}`)
        expect([answer.code, yield* reasonOf(Stream.runDrain(store.list("")))]).toEqual([answer.code, reason])
      }
    }).pipe(Effect.scoped))

  it.effect("the client computes and validates checksums only where an operation requires them", () =>
    Effect.gen(function*() {
      // Otherwise a streamed body goes out aws-chunked with a CRC32 trailer, which s3rver stores verbatim as the object.
      const client = yield* S3ArchiveStore.makeClient(s3rver())
      expect(yield* Effect.promise(() => client.config.requestChecksumCalculation())).toBe("WHEN_REQUIRED")
      expect(yield* Effect.promise(() => client.config.responseChecksumValidation())).toBe("WHEN_REQUIRED")
      expect(yield* Effect.promise(() => client.config.maxAttempts())).toBe(1)
    }).pipe(Effect.scoped))

  it.effect("a put sends If-None-Match: *, its SHA-256 as x-amz-checksum-sha256 and as metadata, and no CRC32 trailer; a 412 is exists", () =>
    Effect.gen(function*() {
      const { endpoint, seen } = yield* scripted((request) =>
        request.method === "HEAD" ? { status: 404 } : { status: 412, code: "PreconditionFailed", message: "At least one of the pre-conditions you specified did not hold" })
      const store = yield* storeAt(endpoint)
      const bytes = bytesOf("segment bytes")
      expect(yield* store.putIfAbsent("segments/1.wal", bytes, sha256(bytes))).toBe("exists")
      expect(seen.map((r) => `${r.method} ${r.url.split("?")[0]}`)).toEqual(["HEAD /lora-wal-test/p/segments/1.wal", "PUT /lora-wal-test/p/segments/1.wal"])
      const putRequest = seen[1]!
      expect(putRequest.headers["if-none-match"]).toBe("*")
      expect(putRequest.headers["x-amz-checksum-sha256"]).toBe(createHash("sha256").update(bytes).digest("base64"))
      expect(putRequest.headers["x-amz-meta-sha256"]).toBe(sha256(bytes))
      // Signed with the payload's SHA-256, which S3 checks too.
      expect(putRequest.headers["x-amz-content-sha256"]).toBe(sha256(bytes))
      expect(putRequest.headers["x-amz-trailer"]).toBeUndefined()
      expect(putRequest.headers["content-encoding"]).toBeUndefined()
      expect(new Uint8Array(putRequest.body)).toEqual(bytes)
    }).pipe(Effect.scoped))

  it.effect("a put answered BadDigest, InvalidDigest or XAmzContentSHA256Mismatch is a ChecksumMismatch; a conflicting conditional write Unavailable", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [Answer, string]> = [
        [{ status: 400, code: "BadDigest", message: "The SHA256 you specified did not match the calculated checksum." }, "ChecksumMismatch"],
        [{ status: 400, code: "InvalidDigest" }, "ChecksumMismatch"],
        [{ status: 400, code: "XAmzContentSHA256Mismatch" }, "ChecksumMismatch"],
        [{ status: 409, code: "ConditionalRequestConflict" }, "Unavailable"],
        [{ status: 503, code: "SlowDown" }, "Unavailable"],
        [{ status: 403, code: "AccessDenied" }, "Refused"]
      ]
      for (const [answer, reason] of cases) {
        const { endpoint } = yield* scripted((request) => request.method === "HEAD" ? { status: 404 } : answer)
        const store = yield* storeAt(endpoint)
        const error = yield* Effect.flip(put(store, "a", "bytes"))
        expect([answer.code, error.reason, error.key]).toEqual([answer.code, reason, "a"])
        expect(error.description).toContain(`${answer.code} (HTTP ${answer.status})`)
      }
    }).pipe(Effect.scoped))

  it.effect("a server that is down (a closed port) is Unavailable", () =>
    Effect.gen(function*() {
      const store = yield* storeAt(`http://127.0.0.1:${yield* closedPort}`)
      const error = yield* Effect.flip(Stream.runDrain(store.get("a")))
      expect(error).toMatchObject({ reason: "Unavailable", key: "a" })
      expect(error.description).toContain("ECONNREFUSED")
      expect(yield* reasonOf(put(store, "a", "bytes"))).toBe("Unavailable")
      expect(yield* reasonOf(store.head("a"))).toBe("Unavailable")
      expect(yield* reasonOf(Stream.runDrain(store.list("")))).toBe("Unavailable")
      expect(yield* reasonOf(store.remove("a"))).toBe("Unavailable")
    }).pipe(Effect.scoped))

  it.live("a server that accepts the connection and never answers is Unavailable after requestTimeout", () =>
    Effect.gen(function*() {
      const sockets = new Set<net.Socket>()
      const silent = yield* Effect.acquireRelease(
        Effect.async<net.Server>((resume) => {
          const listener = net.createServer((socket) => {
            sockets.add(socket)
          })
          listener.listen(0, "127.0.0.1", () => resume(Effect.succeed(listener)))
        }),
        (listener) =>
          Effect.async<void>((resume) => {
            for (const socket of sockets) socket.destroy()
            listener.close(() => resume(Effect.void))
          })
      )
      const store = yield* storeAt(`http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`, { requestTimeout: "300 millis" })
      const error = yield* Effect.flip(Stream.runDrain(store.get("a")))
      expect(error).toMatchObject({ reason: "Unavailable", key: "a", description: "no answer within 300ms" })
      expect(sockets.size).toBe(1)
      expect(yield* reasonOf(put(store, "a", "bytes"))).toBe("Unavailable")
    }).pipe(Effect.scoped))

  it.live("the client is destroyed with its scope: its kept-alive connection is closed", () =>
    Effect.gen(function*() {
      const { endpoint, server } = yield* scripted(() => ({ status: 404 }))
      const closed = new Promise<void>((resolve) => server.once("connection", (socket: net.Socket) => socket.once("close", () => resolve())))
      let open = 0
      yield* Effect.scoped(Effect.gen(function*() {
        const store = yield* storeAt(endpoint)
        expect(yield* store.head("a")).toBeUndefined()
        open = yield* Effect.async<number>((resume) => {
          server.getConnections((_, count) => resume(Effect.succeed(count)))
        })
      }))
      expect(open).toBe(1)
      yield* Effect.promise(() => closed).pipe(
        Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => new Error("the connection was still open 10 s after the scope closed") })
      )
    }).pipe(Effect.scoped))
})

describe("lora-wal archive, archive-ls and restore with an s3:// URL", () => {
  it("archive a closed log to s3rver, list it, and restore it, through the executable and the AWS_* variables", async () => {
    const root = nodePlatform.freshDir()
    const dir = path.join(root, "wal")
    const lines = Array.from({ length: 20 }, (_, i) => JSON.stringify([{ type: "DeleteNode", node_id: String(i) }])).join("\n")
    const env = {
      ...process.env,
      AWS_ENDPOINT_URL: server!.endpoint,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "S3RVER",
      AWS_SECRET_ACCESS_KEY: "S3RVER",
      LORA_WAL_S3_FORCE_PATH_STYLE: "true"
    }
    const cli = (args: ReadonlyArray<string>, input?: string) =>
      spawnSync(process.execPath, [bin, ...args], { env, encoding: "utf8", ...(input === undefined ? {} : { input }) })
    // One read: one batch, in one segment.
    expect(cli(["append", dir], `${lines}\n`).status).toBe(0)
    const segmentBytes = fs.statSync(path.join(dir, "0000000001.wal")).size
    const url = `s3://${BUCKET}/cli-${randomUUID()}/`
    const archived = cli(["archive", dir, "--to", url, "--once"])
    expect([archived.status, archived.stdout]).toEqual([0, "uploaded 1 object; the archive holds the log up to lsn 60\n"])
    const listed = cli(["archive-ls", url, "--json"])
    // The log is closed: its only segment, whole, as a partial copy of the active segment.
    expect(listed.stdout.trim().split("\n").map((l) => JSON.parse(l))).toEqual([
      { key: `segments/0000000001.wal.partial-${String(segmentBytes).padStart(12, "0")}`, size: segmentBytes }
    ])
    const restored = cli(["restore", url, path.join(root, "restored"), "--to-lsn", "30"])
    expect([restored.status, restored.stdout]).toEqual([0, "restored 1 segment: the log up to lsn 30\n"])
    const replayed = await Effect.runPromise(Effect.provide(Replay.replayDir(path.join(root, "restored")), NodeContext.layer))
    expect(replayed.committedEvents).toEqual(Array.from({ length: 10 }, (_, i) => ({ _tag: "DeleteNode", nodeId: BigInt(i) })))
  })
})
