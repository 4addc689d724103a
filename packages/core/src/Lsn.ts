/**
 * Log sequence numbers: the exact u64 position of a record in the log.
 *
 * LSNs are `bigint` so that every value lora-wal can write round-trips
 * exactly; 0 is reserved for "nothing written" and allocation starts at 1.
 *
 * @since 0.1.0
 */
import * as Brand from "effect/Brand"

/**
 * A record's log sequence number (u64).
 *
 * @since 0.1.0
 * @category models
 */
export type Lsn = bigint & Brand.Brand<"@lora-wal/core/Lsn">

/**
 * The largest LSN the format can hold (2^64 - 1).
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_U64 = 0xffff_ffff_ffff_ffffn

/**
 * Checked constructor: rejects values outside the u64 range so a bad fence
 * from configuration or the command line cannot wrap silently.
 *
 * @since 0.1.0
 * @category constructors
 */
export const Lsn = Brand.refined<Lsn>(
  (n) => n >= 0n && n <= MAX_U64,
  (n) => Brand.error(`LSN ${n} is outside the u64 range 0..${MAX_U64}`)
)

/**
 * Unchecked constructor for values already known to be u64 (read from disk
 * or produced by allocation), kept cheap because it sits on the hot path.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsafeMake = (n: bigint): Lsn => n as Lsn

/**
 * "Nothing written yet": the fence that replays everything.
 *
 * @since 0.1.0
 * @category constants
 */
export const zero: Lsn = unsafeMake(0n)

/**
 * The LSN allocated after `lsn`.
 *
 * @since 0.1.0
 * @category utils
 */
export const next = (lsn: Lsn): Lsn => unsafeMake(lsn + 1n)

/**
 * Parses a decimal string, as LSNs appear in JSON and on the command line,
 * returning `undefined` for anything that is not a u64.
 *
 * @since 0.1.0
 * @category constructors
 */
export const parse = (text: string): Lsn | undefined => {
  if (!/^[0-9]{1,20}$/.test(text)) return undefined
  const n = BigInt(text)
  return n <= MAX_U64 ? unsafeMake(n) : undefined
}
