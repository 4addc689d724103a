/**
 * The archive store's operations over an S3 client (see S3ArchiveStore.ts
 * for what they promise and what is atomic where).
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client
} from "@aws-sdk/client-s3"
import { ArchiveStoreError } from "@lora-wal/core/ArchiveError"
import { type ArchiveStore, checkKey, type ListedObject, type ObjectInfo, type TypeId } from "@lora-wal/core/ArchiveStore"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { codeOf, statusOf, toStoreError } from "./errors.js"
import { checksumMismatch } from "./keys.js"

/** The user metadata entry holding an object's SHA-256 (hex): `x-amz-meta-sha256`. @internal */
export const SHA256_METADATA = "sha256"

const SHA256_HEX = /^[0-9a-f]{64}$/

/** @internal */
export interface StoreOptions {
  readonly client: S3Client
  readonly bucket: string
  /** Normalized: "" or ending in "/". */
  readonly prefix: string
  readonly requestTimeout: Duration.Duration
  readonly sha256Hex: (bytes: Uint8Array) => Effect.Effect<string>
  /** Keys per listing page (the server's default, 1000, when undefined): small in tests, to cross pages. */
  readonly pageSize?: number | undefined
}

/** The body of a GetObject answer: what this module reads of it. */
interface Body {
  readonly transformToByteArray: () => Promise<Uint8Array>
  readonly destroy?: () => void
}

const hexToBase64 = (hex: string): string => Buffer.from(hex, "hex").toString("base64")

/** @internal */
export const make = (options: StoreOptions): Omit<ArchiveStore, TypeId> => {
  const { bucket, client, prefix: root, requestTimeout, sha256Hex } = options

  /**
   * One request (and whatever `f` reads of its answer), failing with the
   * store's error for `key`, `Unavailable` past the request timeout (the
   * request is aborted).
   */
  const request = <A>(key: string, f: (signal: AbortSignal) => Promise<A>): Effect.Effect<A, ArchiveStoreError> =>
    Effect.tryPromise({ try: f, catch: (error) => toStoreError(key, error) }).pipe(
      Effect.timeoutFail({
        duration: requestTimeout,
        onTimeout: () =>
          new ArchiveStoreError({
            reason: "Unavailable",
            key,
            description: `no answer within ${Duration.format(requestTimeout)}`
          })
      })
    )

  const withKey = <A>(key: string, f: (objectKey: string) => Effect.Effect<A, ArchiveStoreError>) =>
    Effect.suspend(() => {
      const fault = checkKey(key)
      return fault === undefined ? f(`${root}${key}`) : Effect.fail(fault)
    })

  /** HeadObject: the answer, or undefined for a 404 (a missing object, or a missing bucket: a HEAD answer has no body to tell them apart). */
  const headObject = (key: string, objectKey: string) =>
    request(key, (abortSignal) => client.send(new HeadObjectCommand({ Bucket: bucket, Key: objectKey }), { abortSignal })).pipe(
      Effect.map((answer): HeadObjectCommandOutput | undefined => answer),
      Effect.catchIf((e) => e.reason === "NotFound", () => Effect.succeed(undefined))
    )

  /** The SHA-256 an object was stored with, from its metadata: `ChecksumMismatch` when it has none. */
  const storedSha256 = (key: string, metadata: Record<string, string> | undefined) => {
    const sha256 = metadata?.[SHA256_METADATA]
    return sha256 !== undefined && SHA256_HEX.test(sha256)
      ? Effect.succeed(sha256)
      : Effect.fail(checksumMismatch(key, `a SHA-256 in the object's '${SHA256_METADATA}' metadata`, sha256 ?? "none"))
  }

  const putIfAbsent = (key: string, bytes: Uint8Array, sha256: string) =>
    withKey(key, (objectKey) =>
      Effect.gen(function*() {
        const actual = yield* sha256Hex(bytes)
        if (actual !== sha256) return yield* Effect.fail(checksumMismatch(key, sha256, actual))
        // Servers that ignore If-None-Match (s3rver) would replace the object: this keeps a sequential put-if-absent true there.
        if ((yield* headObject(key, objectKey)) !== undefined) return "exists" as const
        return yield* Effect.tryPromise({
          try: (abortSignal) =>
            client.send(
              new PutObjectCommand({
                Bucket: bucket,
                Key: objectKey,
                Body: bytes,
                ContentLength: bytes.length,
                ContentType: "application/octet-stream",
                IfNoneMatch: "*",
                ChecksumSHA256: hexToBase64(sha256),
                Metadata: { [SHA256_METADATA]: sha256 }
              }),
              { abortSignal }
            ),
          catch: (error) => error
        }).pipe(
          Effect.as("created" as const),
          // 412: an object appeared since the HEAD (If-None-Match did its work).
          Effect.catchAll((error) =>
            statusOf(error) === 412 || codeOf(error) === "PreconditionFailed"
              ? Effect.succeed("exists" as const)
              : Effect.fail(toStoreError(key, error))
          ),
          Effect.timeoutFail({
            duration: requestTimeout,
            onTimeout: () =>
              new ArchiveStoreError({ reason: "Unavailable", key, description: `no answer within ${Duration.format(requestTimeout)}` })
          })
        )
      }))

  const get = (key: string) =>
    Stream.unwrap(withKey(key, (objectKey) =>
      Effect.gen(function*() {
        const { bytes, metadata } = yield* request(key, async (abortSignal) => {
          const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey }), { abortSignal })
          const body = answer.Body as Body | undefined
          if (body === undefined) return { bytes: new Uint8Array(0), metadata: answer.Metadata }
          const abort = () => body.destroy?.()
          abortSignal.addEventListener("abort", abort, { once: true })
          try {
            return { bytes: await body.transformToByteArray(), metadata: answer.Metadata }
          } finally {
            abortSignal.removeEventListener("abort", abort)
          }
        })
        const expected = yield* storedSha256(key, metadata)
        const actual = yield* sha256Hex(bytes)
        if (actual !== expected) return yield* Effect.fail(checksumMismatch(key, expected, actual))
        return Stream.make(bytes)
      })))

  const head = (key: string) =>
    withKey(key, (objectKey) =>
      Effect.gen(function*() {
        const answer = yield* headObject(key, objectKey)
        if (answer === undefined) return undefined
        return { key, size: answer.ContentLength ?? 0, sha256: yield* storedSha256(key, answer.Metadata) } satisfies ObjectInfo
      }))

  const list = (prefix: string): Stream.Stream<ListedObject, ArchiveStoreError> =>
    Stream.paginateChunkEffect(undefined as string | undefined, (token) =>
      Effect.gen(function*() {
        const page = yield* request(prefix, (abortSignal) =>
          client.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: `${root}${prefix}`,
              ...(token === undefined ? {} : { ContinuationToken: token }),
              ...(options.pageSize === undefined ? {} : { MaxKeys: options.pageSize })
            }),
            { abortSignal }
          ))
        const objects = (page.Contents ?? []).flatMap((object): Array<ListedObject> =>
          object.Key !== undefined && object.Key.startsWith(root)
            ? [{ key: object.Key.slice(root.length), size: object.Size ?? 0 }]
            : []
        )
        const next = page.IsTruncated === true ? page.NextContinuationToken : undefined
        if (next !== undefined && next === token) {
          return yield* Effect.fail(
            new ArchiveStoreError({ reason: "Unavailable", key: prefix, description: "the listing did not advance: the server answered the same continuation token" })
          )
        }
        return [Chunk.fromIterable(objects), Option.fromNullable(next)] as const
      }))

  const remove = (key: string) =>
    withKey(key, (objectKey) =>
      request(key, (abortSignal) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: objectKey }), { abortSignal })).pipe(
        Effect.asVoid,
        // S3 answers 204 for a missing key; a server that answers 404 has nothing to delete either.
        Effect.catchIf((e) => e.reason === "NotFound", () => Effect.void)
      ))

  return { putIfAbsent, get, head, list, remove }
}
