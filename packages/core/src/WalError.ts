/**
 * The typed failures of the log, one class per lora-wal error variant.
 *
 * Each `message` reproduces lora-wal 0.8.3's `Display` text exactly, so logs,
 * alerts and fixtures written against the Rust crate keep matching.
 *
 * @since 0.1.0
 */
import { type PlatformError, SystemErrorReason } from "@effect/platform/Error"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"

/**
 * Marks every error of this module, so {@link isWalError} can tell them from
 * any other failure in a cause.
 *
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("@lora-wal/core/WalError")

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

const hex32 = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, "0")}`

/**
 * An operating-system failure. `reason` is the platform's classification
 * (`NotFound`, `PermissionDenied`, `UnexpectedEof`, ...), which is what callers
 * should branch on; the description is the OS text.
 *
 * @since 0.1.0
 * @category errors
 */
export class Io extends Schema.TaggedError<Io>("@lora-wal/core/WalError/Io")("Io", {
  reason: SystemErrorReason,
  description: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  readonly [TypeId]: TypeId = TypeId

  get message(): string {
    return `WAL I/O error: ${this.description}`
  }

  /** Wraps a platform error, keeping its reason and the original as the cause. */
  static fromPlatform(error: PlatformError): Io {
    return new Io({
      reason: error._tag === "SystemError" ? error.reason : "Unknown",
      description: error._tag === "SystemError" ? error.description ?? error.message : error.message,
      cause: error
    })
  }
}

/**
 * A value could not be written: an empty batch, a record over 4 GiB, a value
 * the format cannot carry.
 *
 * @since 0.1.0
 * @category errors
 */
export class Encode extends Schema.TaggedError<Encode>("@lora-wal/core/WalError/Encode")("Encode", {
  reason: Schema.String
}) {
  readonly [TypeId]: TypeId = TypeId

  get message(): string {
    return `WAL record could not be encoded: ${this.reason}`
  }
}

/**
 * A record passed its CRC but its contents do not follow the format.
 *
 * @since 0.1.0
 * @category errors
 */
export class Decode extends Schema.TaggedError<Decode>("@lora-wal/core/WalError/Decode")("Decode", {
  reason: Schema.String
}) {
  readonly [TypeId]: TypeId = TypeId

  get message(): string {
    return `WAL record could not be decoded: ${this.reason}`
  }
}

/**
 * The bytes of a record do not match the CRC stored with it.
 *
 * @since 0.1.0
 * @category errors
 */
export class CrcMismatch extends Schema.TaggedError<CrcMismatch>("@lora-wal/core/WalError/CrcMismatch")(
  "CrcMismatch",
  { lsn: Schema.BigIntFromSelf, expected: Schema.Number, actual: Schema.Number }
) {
  readonly [TypeId]: TypeId = TypeId

  get message(): string {
    return `WAL record CRC mismatch at lsn ${this.lsn}: expected ${hex32(this.expected)}, got ${hex32(this.actual)}`
  }
}

/**
 * The file ends inside a record. `actual` is 0 whenever the length prefix was
 * complete, as lora-wal reports it.
 *
 * @since 0.1.0
 * @category errors
 */
export class Truncated extends Schema.TaggedError<Truncated>("@lora-wal/core/WalError/Truncated")("Truncated", {
  expected: Schema.Number,
  actual: Schema.Number
}) {
  readonly [TypeId]: TypeId = TypeId

  get message(): string {
    return `WAL record truncated: expected ${this.expected} bytes, got ${this.actual}`
  }
}

/**
 * A record kind byte outside 1..=6.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnknownKind extends Schema.TaggedError<UnknownKind>("@lora-wal/core/WalError/UnknownKind")(
  "UnknownKind",
  { kind: Schema.Number }
) {
  readonly [TypeId]: TypeId = TypeId

  get message(): string {
    return `unknown WAL record kind: ${this.kind}`
  }
}

/**
 * A segment header that cannot be trusted (bad magic, bad CRC, unknown
 * version), or a segment that cannot be appended to.
 *
 * @since 0.1.0
 * @category errors
 */
export class BadSegmentHeader extends Schema.TaggedError<BadSegmentHeader>(
  "@lora-wal/core/WalError/BadSegmentHeader"
)("BadSegmentHeader", {
  reason: Schema.String,
  /** The segment whose header it is, where the reader knew it (not part of the message, which is lora-wal's). */
  segmentPath: Schema.optional(Schema.String)
}) {
  readonly [TypeId]: TypeId = TypeId

  get message(): string {
    return `WAL segment header is malformed: ${this.reason}`
  }
}

/**
 * Records that decode individually but break the log's structure (LSN order,
 * transaction brackets, checkpoints, missing segments).
 *
 * @since 0.1.0
 * @category errors
 */
export class Malformed extends Schema.TaggedError<Malformed>("@lora-wal/core/WalError/Malformed")("Malformed", {
  reason: Schema.String
}) {
  readonly [TypeId]: TypeId = TypeId

  get message(): string {
    return `WAL structure is malformed: ${this.reason}`
  }
}

/**
 * Another live handle, in this process or another, holds the directory lock.
 *
 * @since 0.1.0
 * @category errors
 */
export class AlreadyOpen extends Schema.TaggedError<AlreadyOpen>("@lora-wal/core/WalError/AlreadyOpen")(
  "AlreadyOpen",
  { dir: Schema.String }
) {
  readonly [TypeId]: TypeId = TypeId

  get message(): string {
    return `WAL directory is already open by another live handle: ${this.dir}`
  }
}

/**
 * A write or fsync failed earlier; nothing further may claim durability.
 * `cause` is the failure that latched it (after a failed fsync the kernel may
 * have dropped the dirty pages, so a retry could not be trusted).
 *
 * @since 0.1.0
 * @category errors
 */
export class Poisoned extends Schema.TaggedError<Poisoned>("@lora-wal/core/WalError/Poisoned")("Poisoned", {
  cause: Io
}) {
  readonly [TypeId]: TypeId = TypeId

  get message(): string {
    return "WAL is poisoned: a previous append failed and the log is no longer durable"
  }
}

/**
 * The handle was used after its scope closed. A distinct error, not an `Io`,
 * because it is a bug in the caller, never a fault of the disk.
 *
 * @since 0.1.0
 * @category errors
 */
export class Closed extends Schema.TaggedError<Closed>("@lora-wal/core/WalError/Closed")("Closed", {
  dir: Schema.String
}) {
  readonly [TypeId]: TypeId = TypeId

  get message(): string {
    return `WAL handle for ${this.dir} is closed`
  }
}

/**
 * The failures that can stop a record from decoding: what a torn tail reports.
 *
 * @since 0.1.0
 * @category models
 */
export type RecordError = Decode | CrcMismatch | Truncated | UnknownKind

/**
 * Damage in the middle of the active segment with committed records after
 * it. lora-wal would truncate there and silently discard those commits; this
 * library refuses and changes nothing. Opening with `repair: true` truncates
 * at `offset` on the operator's explicit request.
 *
 * @since 0.1.0
 * @category errors
 */
export class Corruption extends Schema.TaggedError<Corruption>("@lora-wal/core/WalError/Corruption")("Corruption", {
  segmentPath: Schema.String,
  offset: Schema.Number,
  lastGoodLsn: Schema.BigIntFromSelf,
  followingOffset: Schema.Number,
  followingLsn: Schema.BigIntFromSelf,
  cause: Schema.String
}) {
  readonly [TypeId]: TypeId = TypeId

  get message(): string {
    return `WAL is corrupt in the middle of the log: ${this.segmentPath} at offset ${this.offset} (${this.cause}); ` +
      `a valid record with lsn ${this.followingLsn} follows at offset ${this.followingOffset} ` +
      `(last good lsn ${this.lastGoodLsn}). Nothing was truncated; open with repair to discard everything from ` +
      `offset ${this.offset}`
  }
}

/**
 * A follower asked for, or fell behind to, records that truncation has
 * already deleted: following on would skip transactions, so it stops.
 * **[beyond]** lora-wal has no followers.
 *
 * @since 0.1.0
 * @category errors
 */
export class Gone extends Schema.TaggedError<Gone>("@lora-wal/core/WalError/Gone")("Gone", {
  lsn: Schema.BigIntFromSelf,
  oldestLsn: Schema.BigIntFromSelf
}) {
  readonly [TypeId]: TypeId = TypeId

  get message(): string {
    return `WAL no longer holds lsn ${this.lsn}: it was truncated away (the oldest lsn kept is ${this.oldestLsn})`
  }
}

/**
 * Any failure of the log, as a Schema: errors cross process boundaries (the
 * CLI's JSON, a worker) and decode back into the same classes.
 *
 * @since 0.1.0
 * @category schemas
 */
export const WalError = Schema.Union(
  Io,
  Encode,
  Decode,
  CrcMismatch,
  Truncated,
  UnknownKind,
  BadSegmentHeader,
  Malformed,
  AlreadyOpen,
  Poisoned,
  Closed,
  Corruption,
  Gone
)

/**
 * @since 0.1.0
 * @category models
 */
export type WalError = typeof WalError.Type

/**
 * Whether `u` is one of this module's errors.
 *
 * @since 0.1.0
 * @category guards
 */
export const isWalError = (u: unknown): u is WalError => Predicate.hasProperty(u, TypeId)

/**
 * What reading a directory can fail with. Damage in a record is not a
 * failure: it ends the replay and is reported in its summary.
 *
 * @since 0.1.0
 * @category models
 */
export type ReplayError = Io | Malformed | BadSegmentHeader

/**
 * What opening a log can fail with: a replay failure, the lock, or damage
 * that would lose committed records if it were truncated.
 *
 * @since 0.1.0
 * @category models
 */
export type OpenError = ReplayError | AlreadyOpen | Corruption

/**
 * What buffering a record can fail with: a value the format cannot carry,
 * the LSN space exhausted (`Malformed`), or a log that may no longer write.
 *
 * @since 0.1.0
 * @category models
 */
export type BufferError = Encode | Malformed | Poisoned | Closed

/**
 * What a write that may reach the disk (a commit, a rotation) can fail with.
 *
 * @since 0.1.0
 * @category models
 */
export type WriteError = BufferError | Io

/**
 * What `flush` and `forceFsync` can fail with.
 *
 * @since 0.1.0
 * @category models
 */
export type SyncError = Io | Poisoned | Closed

/**
 * What `truncateUpTo` can fail with (it reads the next segment's header).
 *
 * @since 0.1.0
 * @category models
 */
export type TruncateError = Io | BadSegmentHeader | Poisoned | Closed

/**
 * What following a log can fail with: what replay can, and `Gone`.
 *
 * @since 0.1.0
 * @category models
 */
export type FollowError = ReplayError | Gone
