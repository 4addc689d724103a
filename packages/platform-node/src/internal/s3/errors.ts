/**
 * What a failed S3 request means to the archiver: every failure becomes an
 * `ArchiveStoreError` whose reason says whether retrying can help.
 */
import { ArchiveStoreError } from "@lora-wal/core/ArchiveError"

/** Answers that say the bytes the server received are not the ones the request described. */
const CHECKSUM_CODES = new Set(["BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch"])

/** 4xx answers that are transient all the same: throttling, a request the server gave up waiting for, a conflicting write in progress. */
const TRANSIENT_CODES = new Set([
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "RequestThrottled",
  "TooManyRequestsException",
  "RequestTimeout",
  "ConditionalRequestConflict",
  "OperationAborted"
])

/** Errors raised by the SDK before any request leaves: the configuration, not the network, is wrong. */
const isConfigurationError = (error: { readonly name?: unknown; readonly message?: unknown; readonly code?: unknown }) =>
  error.name === "CredentialsProviderError" ||
  error.message === "Region is missing" ||
  error.code === "ERR_INVALID_URL"

interface SdkError {
  readonly name?: unknown
  readonly message?: unknown
  readonly code?: unknown
  readonly Code?: unknown
  readonly $retryable?: unknown
  readonly $metadata?: { readonly httpStatusCode?: unknown }
}

/** The server's status, if the error is an answer from one. @internal */
export const statusOf = (error: unknown): number | undefined => {
  const status = (error as SdkError | null)?.$metadata?.httpStatusCode
  return typeof status === "number" ? status : undefined
}

/** The S3 error code of an answer (`NoSuchKey`, `SlowDown`, ...), or the error's name. @internal */
export const codeOf = (error: unknown): string => {
  const e = error as SdkError | null
  if (typeof e?.Code === "string") return e.Code
  if (typeof e?.name === "string" && e.name !== "Error") return e.name
  if (typeof e?.code === "string") return e.code
  return "Error"
}

const describe = (error: unknown): string => {
  const status = statusOf(error)
  const raw = (error as SdkError | null)?.message
  const message = typeof raw === "string" && raw !== "" && raw !== "UnknownError" ? `: ${raw}` : ""
  return `${codeOf(error)}${status === undefined ? "" : ` (HTTP ${status})`}${message}`
}

/**
 * The `ArchiveStoreError` for a failed request about `key`. A server's
 * answer maps by its code, then its status: the checksum codes to
 * `ChecksumMismatch`; `NoSuchBucket` to `Refused` (a missing bucket is a
 * configuration error, not a missing object); other 404s to `NotFound`;
 * 5xx, 429 and the transient 4xx codes to `Unavailable`; every other answer
 * to `Refused`. An error without an answer (a refused or reset connection,
 * a timeout) is `Unavailable`, unless the SDK raised it from its
 * configuration (no credentials, no region, a malformed endpoint):
 * `Refused`. Never a defect.
 *
 * @internal
 */
export const toStoreError = (key: string, error: unknown): ArchiveStoreError => {
  if (error instanceof ArchiveStoreError) return error
  const status = statusOf(error)
  const code = codeOf(error)
  const description = describe(error)
  const fail = (reason: ArchiveStoreError["reason"]) => new ArchiveStoreError({ reason, key, description })
  if (status === undefined) {
    return isConfigurationError((error ?? {}) as SdkError) ? fail("Refused") : fail("Unavailable")
  }
  if (CHECKSUM_CODES.has(code)) return fail("ChecksumMismatch")
  if (code === "NoSuchBucket") return fail("Refused")
  if (status === 404 || code === "NoSuchKey") return fail("NotFound")
  if (status >= 500 || status === 429 || TRANSIENT_CODES.has(code) || (error as SdkError).$retryable !== undefined) {
    return fail("Unavailable")
  }
  return fail("Refused")
}
