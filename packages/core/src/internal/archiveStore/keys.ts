/**
 * The keys every store accepts: `/`-separated names of letters, digits,
 * `.`, `_` and `-`, so that a key is the same path in a directory and the
 * same object name in a bucket. Names that a directory store keeps for
 * itself (`*.sha256` beside each object, `.tmp-*` while writing one) are
 * refused everywhere, so a key never means two things.
 */
import { ArchiveStoreError } from "../../ArchiveError.js"

const NAME = /^[A-Za-z0-9._-]+$/

/** @internal */
export const CHECKSUM_SUFFIX = ".sha256"

/** @internal */
export const TEMP_PREFIX = ".tmp-"

/** Whether `name` may be one `/`-separated name of a key (or of a prefix). @internal */
export const isName = (name: string): boolean => NAME.test(name) && name !== "." && name !== ".."

/** Why `key` is not one, or undefined. @internal */
const keyFault = (key: string): string | undefined => {
  if (key.length === 0 || key.length > 1024) return "a key is 1 to 1024 characters"
  for (const name of key.split("/")) {
    if (!NAME.test(name)) return "each name of a key is letters, digits, '.', '_' or '-'"
    if (name === "." || name === "..") return "a key has no '.' or '..' names"
    if (name.startsWith(TEMP_PREFIX)) return `a key has no name starting with '${TEMP_PREFIX}'`
  }
  if (key.endsWith(CHECKSUM_SUFFIX)) return `a key does not end with '${CHECKSUM_SUFFIX}'`
  return undefined
}

/** A `Refused` error for a key no store accepts, or undefined for a good one. @internal */
export const checkKey = (key: string): ArchiveStoreError | undefined => {
  const fault = keyFault(key)
  return fault === undefined ? undefined : new ArchiveStoreError({ reason: "Refused", key, description: fault })
}

/** @internal */
export const notFound = (key: string) => new ArchiveStoreError({ reason: "NotFound", key, description: "no such object" })

/** @internal */
export const checksumMismatch = (key: string, expected: string, actual: string) =>
  new ArchiveStoreError({
    reason: "ChecksumMismatch",
    key,
    description: `SHA-256 mismatch: expected ${expected}, got ${actual}`
  })
