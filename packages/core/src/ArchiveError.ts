/**
 * The errors of archiving a log beyond its machine: the store's, for any
 * operation on objects, and the archiver's and restore's own, for a log or
 * an archive they will not copy.
 *
 * @since 0.1.0
 */
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"

/**
 * Why an operation on the store failed. `Unavailable` is worth retrying
 * (a timeout, a 5xx, a connection reset); the others are not: the object
 * is missing, its bytes do not match their checksum, or the store refused
 * the request (credentials, a bucket that does not exist, a bad key).
 *
 * @since 0.1.0
 * @category errors
 */
export class ArchiveStoreError extends Schema.TaggedError<ArchiveStoreError>("@lora-wal/core/ArchiveStoreError")(
  "ArchiveStoreError",
  {
    reason: Schema.Literal("NotFound", "ChecksumMismatch", "Unavailable", "Refused"),
    key: Schema.String,
    description: Schema.String
  }
) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `archive store: ${this.description} (${this.key})`
  }
}

/**
 * Whether `u` is an {@link ArchiveStoreError}.
 *
 * @since 0.1.0
 * @category refinements
 */
export const isArchiveStoreError = (u: unknown): u is ArchiveStoreError =>
  Predicate.isTagged(u, "ArchiveStoreError") && u instanceof ArchiveStoreError


/**
 * Why the archiver or restore stopped. `Damaged`: a sealed segment (or an
 * archived object) whose header or records are not intact, which is never
 * copied; `Conflict`: an object already in the store under a segment's name
 * holds other bytes (two logs share a prefix?); `NotEmpty`: restore's target
 * directory holds files.
 *
 * @since 0.1.0
 * @category errors
 */
export class ArchiveError extends Schema.TaggedError<ArchiveError>("@lora-wal/core/ArchiveError")("ArchiveError", {
  reason: Schema.Literal("Damaged", "Conflict", "NotEmpty"),
  message: Schema.String
}) {}
