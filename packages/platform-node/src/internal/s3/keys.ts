/** The checksum error every store reports alike. */
import { ArchiveStoreError } from "@lora-wal/core/ArchiveError"

/** @internal */
export const checksumMismatch = (key: string, expected: string, actual: string): ArchiveStoreError =>
  new ArchiveStoreError({
    reason: "ChecksumMismatch",
    key,
    description: `SHA-256 mismatch: expected ${expected}, got ${actual}`
  })
