/**
 * Where `archive`, `restore` and `archive-ls` find the store: a URL,
 * `file:///absolute/path` (a directory, e.g. on another mount) or
 * `s3://bucket/prefix` (S3-protocol object storage, configured by the
 * standard AWS_* variables; it needs the optional @aws-sdk/client-s3).
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import type { ArchiveError, ArchiveStoreError } from "@lora-wal/core/ArchiveError"
import * as ArchiveStore from "@lora-wal/core/ArchiveStore"
import type { WalError } from "@lora-wal/core/WalError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { fileURLToPath } from "node:url"
import type * as S3ArchiveStoreModule from "../../S3ArchiveStore.js"
import { describeError, type Failure, failed, usage } from "./common.js"

/** The store a URL names and the prefix of the log's objects in it. */
export interface ArchiveLocation {
  readonly layer: Layer.Layer<ArchiveStore.ArchiveStore, Failure>
  readonly prefix: string
}

// Loaded only for an s3:// URL, and left out of the executable's bundle: the SDK is an optional dependency.
const S3_MODULE = "@lora-wal/platform-node/S3ArchiveStore"

const s3Location = (url: string) =>
  Effect.gen(function*() {
    const S3 = yield* Effect.tryPromise({
      try: () => import(S3_MODULE) as Promise<typeof S3ArchiveStoreModule>,
      catch: () => failed("s3:// URLs need the AWS SDK's S3 client: npm install @aws-sdk/client-s3")
    })
    const { bucket, prefix } = yield* Effect.mapError(S3.parseUrl(url), (e) => usage(e.message))
    return {
      // The URL's prefix is the archive's; LORA_WAL_S3_PREFIX would add another.
      layer: Layer.mapError(S3.layerConfig({ bucket, prefix: "" }), (e) => failed(`s3: ${e.message}`)),
      prefix
    } satisfies ArchiveLocation
  })

/** The store `url` names, or a usage error saying what a URL can be. */
export const archiveLocation = (url: string): Effect.Effect<ArchiveLocation, Failure> => {
  if (url.startsWith("s3://")) return s3Location(url)
  if (url.startsWith("file://")) {
    const dir = Effect.try({ try: () => fileURLToPath(url), catch: () => usage(`${url}: not a file:///absolute/path URL`) })
    return Effect.map(dir, (directory) => ({
      layer: Layer.provide(ArchiveStore.layerFileSystem(directory), NodeContext.layer),
      prefix: ""
    }))
  }
  return Effect.fail(usage(`${url}: an archive URL is file:///absolute/path or s3://bucket/prefix`))
}

/** An archiving failure as one line: the archive's own errors say what they are; the log's name the directory. */
export const archiveFailure = (error: ArchiveError | ArchiveStoreError | WalError, input: string): Failure =>
  failed(error._tag === "ArchiveError" || error._tag === "ArchiveStoreError" ? error.message : describeError(error, input))
