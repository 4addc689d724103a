/**
 * An {@link ArchiveStore.ArchiveStore} in an S3 bucket, through the AWS SDK
 * v3 (`@aws-sdk/client-s3`): AWS S3 itself, or any S3-protocol server
 * (MinIO, Ceph, s3rver) at another endpoint. `@aws-sdk/client-s3` is an
 * optional peer dependency of this package, installed by those who archive
 * to S3; so this module is not in the package's index: import it as
 * `@lora-wal/platform-node/S3ArchiveStore`.
 *
 * Each object of the store is the S3 object `<prefix><key>`. It is written
 * with a PutObject carrying `If-None-Match: *` (the server refuses to
 * replace an object), `x-amz-checksum-sha256` (the server checks the bytes
 * it received against it) and the SHA-256 in hex as the user metadata
 * `sha256` (`x-amz-meta-sha256`), which `head` reports and `get` checks the
 * bytes it read against. An object without that metadata (written by
 * another tool) is a `ChecksumMismatch` to `get` and `head`.
 *
 * What is atomic where:
 * - `putIfAbsent` first asks HeadObject, and answers `"exists"` without a
 *   write when the key is taken. Then its PutObject with `If-None-Match: *`
 *   is the atomic put-if-absent on servers that honour it (AWS S3 since
 *   August 2024, MinIO, recent Ceph): of two writers racing on one key,
 *   one gets `"created"` and the other's 412 answer is `"exists"`; the
 *   object is never replaced.
 * - On a server that ignores `If-None-Match` (s3rver does), only the HEAD
 *   protects the object: sequential puts keep the contract (a second put of
 *   a key answers `"exists"` and changes nothing), but two writers racing
 *   on one key can both find it absent, both write and both answer
 *   `"created"`, the last write winning. The archiver writes each key from
 *   one process, so this matters only when two logs share a prefix, which
 *   is what put-if-absent would otherwise catch.
 * - A server that ignores `x-amz-checksum-sha256` (s3rver does) stores what
 *   it received unchecked; the request is still signed with the payload's
 *   SHA-256 (`x-amz-content-sha256`), which AWS checks, and `get` checks
 *   every object it reads against its metadata.
 * - Listing pages through ListObjectsV2 and gives keys in the server's
 *   order: byte order on S3, MinIO and Ceph. s3rver lists its directory
 *   tree, which puts `a/b/c` before `a/b-` and `x-1` before `x`: wrong for
 *   such keys, right for the keys the archiver writes
 *   (`segments/<id>.wal`, `segments/<id>.wal.partial-<bytes>`).
 *
 * A HeadObject answer has no body, so `head` (and `putIfAbsent`'s HEAD)
 * cannot tell a missing bucket from a missing object: both are a 404, and
 * `head` answers undefined; `get`, `list`, `remove` and the PUT name the
 * bucket (`NoSuchBucket`, `Refused`).
 *
 * Every failure is an `ArchiveStoreError`: `Unavailable` for what is worth
 * retrying (no connection, no answer within `requestTimeout`, a 5xx, 429,
 * `SlowDown`, a conflicting conditional write), `Refused` for what is not
 * (403, `NoSuchBucket`, other 4xx answers, no credentials or region),
 * `NotFound` for a missing object (404, `NoSuchKey`), `ChecksumMismatch` as
 * above and for `BadDigest`, `InvalidDigest` and
 * `XAmzContentSHA256Mismatch` answers. Its description is the server's
 * error code, HTTP status and message. The SDK makes one attempt per
 * request (`maxAttempts: 1`): the archiver retries `Unavailable` failures
 * on its own schedule.
 *
 * @since 0.1.0
 */
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3"
import * as ArchiveStore from "@lora-wal/core/ArchiveStore"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as S3Store from "./internal/s3/store.js"

/**
 * Credentials to sign requests with. Without them, the SDK's default
 * provider chain finds them (the `AWS_*` variables, the shared config
 * files, SSO, the container or instance role).
 *
 * @since 0.1.0
 * @category models
 */
export interface Credentials {
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly sessionToken?: string | undefined
}

/**
 * Where the store is and how to reach it.
 *
 * - `bucket`: the bucket, which must exist.
 * - `prefix`: put before every key, e.g. `"prod/app/"` (a prefix without a
 *   trailing `/` gets one, as a directory would); the store's keys, in
 *   `list` too, leave it out. Default: none.
 * - `endpoint`: the server's URL, for a server other than AWS S3 (e.g.
 *   `http://127.0.0.1:9000` for MinIO). Default: AWS S3.
 * - `region`: default: the SDK's (`AWS_REGION`, the shared config), or
 *   `us-east-1` with an `endpoint`.
 * - `forcePathStyle`: `http://host/bucket/key` rather than
 *   `http://bucket.host/key`, which MinIO and s3rver need. Default: false.
 * - `credentials`: default: the SDK's default provider chain.
 * - `requestTimeout`: how long one request (and, for `get`, reading its
 *   body) may take before it is aborted and fails with `Unavailable`.
 *   Default: 60 seconds.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly bucket: string
  readonly prefix?: string | undefined
  readonly endpoint?: string | undefined
  readonly region?: string | undefined
  readonly forcePathStyle?: boolean | undefined
  readonly credentials?: Credentials | undefined
  readonly requestTimeout?: Duration.DurationInput | undefined
}

/**
 * The default `requestTimeout`: long enough for a segment of a few MiB over
 * a slow link, short enough that a hung connection is retried.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_REQUEST_TIMEOUT: Duration.Duration = Duration.seconds(60)

/** "" or the prefix ending in "/". */
const normalizePrefix = (prefix: string | undefined): string =>
  prefix === undefined || prefix === "" ? "" : prefix.endsWith("/") ? prefix : `${prefix}/`

/** The client's configuration: one attempt per request, and checksums only where an operation requires them. */
const clientConfig = (options: Options): S3ClientConfig => {
  const region = options.region ?? (options.endpoint !== undefined ? "us-east-1" : undefined)
  return {
    ...(region === undefined ? {} : { region }),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    forcePathStyle: options.forcePathStyle ?? false,
    ...(options.credentials === undefined
      ? {}
      : {
        credentials: {
          accessKeyId: options.credentials.accessKeyId,
          secretAccessKey: options.credentials.secretAccessKey,
          ...(options.credentials.sessionToken === undefined ? {} : { sessionToken: options.credentials.sessionToken })
        }
      }),
    // Recent SDKs otherwise add CRC32 checksums in trailers, which S3-compatible servers such as s3rver reject;
    // the store sends its own SHA-256 with each put.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    // The archiver retries on its own Schedule.
    maxAttempts: 1
  }
}

/**
 * The S3 client for `options`, destroyed (its connections closed) when the
 * scope closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeClient = (options: Options): Effect.Effect<S3Client, never, Scope.Scope> =>
  Effect.acquireRelease(Effect.sync(() => new S3Client(clientConfig(options))), (client) => Effect.sync(() => client.destroy()))

/**
 * A store in `options.bucket` under `options.prefix`, over a client that
 * lives as long as the scope (see the module's documentation for what each
 * operation sends and what is atomic where). Building it sends no request:
 * a bucket that does not exist or credentials that do not work show as
 * `Refused` on the first operation.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<ArchiveStore.ArchiveStore, never, Scope.Scope> =>
  Effect.map(makeClient(options), (client) =>
    ArchiveStore.make(S3Store.make({
      client,
      bucket: options.bucket,
      prefix: normalizePrefix(options.prefix),
      requestTimeout: Duration.decode(options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT),
      sha256Hex: ArchiveStore.sha256Hex
    })))

/**
 * {@link make} as a layer: the client is destroyed when the layer's scope
 * closes.
 *
 * @example
 * ```ts
 * import { NodeContext } from "@effect/platform-node"
 * import { Archive, Wal } from "@lora-wal/core"
 * import { NodeDirLock } from "@lora-wal/platform-node"
 * import * as S3ArchiveStore from "@lora-wal/platform-node/S3ArchiveStore"
 * import { Layer } from "effect"
 *
 * const platform = Layer.merge(NodeContext.layer, NodeDirLock.layer)
 * const ArchivedWal = Archive.layer({ prefix: "wal/" }).pipe(
 *   Layer.provide(Wal.layer({ dir: "/var/lib/app/wal" })),
 *   Layer.provide(S3ArchiveStore.layer({ bucket: "backups", prefix: "prod/app/", region: "eu-west-1" })),
 *   Layer.provide(platform)
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<ArchiveStore.ArchiveStore> =>
  Layer.scoped(ArchiveStore.ArchiveStore, make(options))

/** An optional variable: absent or empty is none. */
const optional = (name: string): Config.Config<Option.Option<string>> =>
  Config.map(Config.option(Config.string(name)), Option.filter((value) => value !== ""))

/** The first of two optional variables that is set. */
const firstOf = (preferred: string, fallback: string): Config.Config<Option.Option<string>> =>
  Config.map(Config.all([optional(preferred), optional(fallback)]), ([a, b]) => Option.orElse(a, () => b))

/**
 * The store's options from configuration, through whatever
 * `ConfigProvider` is in place (the environment by default), each one
 * optional unless said otherwise:
 * - `LORA_WAL_S3_BUCKET` (required unless `bucket` is given) and
 *   `LORA_WAL_S3_PREFIX`;
 * - `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL`;
 * - `AWS_REGION`, else `AWS_DEFAULT_REGION`;
 * - `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (both or neither: one
 *   alone is a `ConfigError`), with `AWS_SESSION_TOKEN`; without them, the
 *   SDK's default provider chain;
 * - `LORA_WAL_S3_FORCE_PATH_STYLE` (`true` or `false`, default `false`):
 *   path-style addressing, which MinIO and s3rver need.
 *
 * `bucket`, `prefix` and `requestTimeout` given here win over
 * configuration. An empty variable counts as unset.
 *
 * @since 0.1.0
 * @category config
 */
export const config = (options?: {
  readonly bucket?: string | undefined
  readonly prefix?: string | undefined
  readonly requestTimeout?: Duration.DurationInput | undefined
}): Config.Config<Options> =>
  Config.all({
    bucket: options?.bucket !== undefined ? Config.succeed(options.bucket) : Config.nonEmptyString("LORA_WAL_S3_BUCKET"),
    prefix: options?.prefix !== undefined ? Config.succeed(Option.some(options.prefix)) : optional("LORA_WAL_S3_PREFIX"),
    endpoint: firstOf("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"),
    region: firstOf("AWS_REGION", "AWS_DEFAULT_REGION"),
    accessKeyId: optional("AWS_ACCESS_KEY_ID"),
    secretAccessKey: optional("AWS_SECRET_ACCESS_KEY"),
    sessionToken: optional("AWS_SESSION_TOKEN"),
    forcePathStyle: Config.boolean("LORA_WAL_S3_FORCE_PATH_STYLE").pipe(Config.withDefault(false))
  }).pipe(Config.mapOrFail((c): Either.Either<Options, ConfigError.ConfigError> => {
    if (Option.isSome(c.accessKeyId) !== Option.isSome(c.secretAccessKey)) {
      const [set, unset] = Option.isSome(c.accessKeyId)
        ? ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
        : ["AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID"]
      return Either.left(ConfigError.MissingData([unset], `${set} is set but ${unset} is not: set both, or neither`))
    }
    const credentials = Option.isSome(c.accessKeyId) && Option.isSome(c.secretAccessKey)
      ? {
        accessKeyId: c.accessKeyId.value,
        secretAccessKey: c.secretAccessKey.value,
        sessionToken: Option.getOrUndefined(c.sessionToken)
      }
      : undefined
    return Either.right({
      bucket: c.bucket,
      prefix: Option.getOrUndefined(c.prefix),
      endpoint: Option.getOrUndefined(c.endpoint),
      region: Option.getOrUndefined(c.region),
      forcePathStyle: c.forcePathStyle,
      credentials,
      requestTimeout: options?.requestTimeout
    })
  }))

/**
 * {@link layer} with its options read from configuration when the layer is
 * built (see {@link config}): a missing bucket, half a pair of credentials
 * or a malformed `LORA_WAL_S3_FORCE_PATH_STYLE` fails with a
 * `ConfigError` naming the variable.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (options?: {
  readonly bucket?: string | undefined
  readonly prefix?: string | undefined
  readonly requestTimeout?: Duration.DurationInput | undefined
}): Layer.Layer<ArchiveStore.ArchiveStore, ConfigError.ConfigError> =>
  Layer.unwrapEffect(Effect.map(config(options), layer))

/**
 * A bucket and a prefix in it, as `s3://bucket/prefix/` names them.
 *
 * @since 0.1.0
 * @category models
 */
export interface Location {
  readonly bucket: string
  /** "" or ending in "/". */
  readonly prefix: string
}

/**
 * Why a string is not an `s3://bucket/prefix` URL.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidUrl extends Schema.TaggedError<InvalidUrl>("@lora-wal/platform-node/S3ArchiveStore/InvalidUrl")(
  "InvalidUrl",
  {
    url: Schema.String,
    description: Schema.String
  }
) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `not an s3://bucket/prefix URL: ${this.description} (${this.url})`
  }
}

/** S3's bucket naming rules: 3 to 63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/

/**
 * The bucket and prefix of an `s3://bucket/prefix` URL, e.g. for a
 * command-line option: `s3://backups` is the whole bucket,
 * `s3://backups/prod/app` and `s3://backups/prod/app/` the prefix
 * `"prod/app/"`. The bucket follows S3's naming rules; each name of the
 * prefix is letters, digits, `.`, `_` or `-` (as in a key), with no `.` or
 * `..`. Anything else (another scheme, a query, an empty name as in
 * `a//b`) fails with {@link InvalidUrl}.
 *
 * @since 0.1.0
 * @category utils
 */
export const parseUrl = (url: string): Either.Either<Location, InvalidUrl> => {
  const fail = (description: string) => Either.left(new InvalidUrl({ url, description }))
  const match = /^s3:\/\/([^/]*)(?:\/(.*))?$/i.exec(url)
  if (match === null) return fail("it does not start with s3://")
  const bucket = match[1]!
  const path = match[2] ?? ""
  if (!BUCKET.test(bucket)) {
    return fail("a bucket name is 3 to 63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit")
  }
  if (path === "") return Either.right({ bucket, prefix: "" })
  const names = (path.endsWith("/") ? path.slice(0, -1) : path).split("/")
  if (!names.every(ArchiveStore.isKeyName)) {
    return fail("each name of the prefix is letters, digits, '.', '_' or '-', and not '.' or '..'")
  }
  return Either.right({ bucket, prefix: `${names.join("/")}/` })
}
