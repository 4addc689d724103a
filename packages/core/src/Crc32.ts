/**
 * The CRC-32 that frames every record (IEEE, reflected polynomial
 * 0xEDB88320: the checksum lora-wal writes). The core computes it in plain
 * TypeScript, so it runs on any platform; a platform with a faster native
 * CRC provides it here (`@lora-wal/platform-node` puts zlib's behind
 * `NodeWal.layer`), and the log and replay use whatever is in context.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import { crc32 } from "./internal/crc.js"

/**
 * A CRC-32 over the whole of `bytes`. Every implementation must give the
 * same answer as {@link portable}: the value is written to disk.
 *
 * @since 0.1.0
 * @category models
 */
export type Crc32Function = (bytes: Uint8Array) => number

/**
 * The table-driven TypeScript CRC-32 (slicing-by-8): the default, and the
 * faster one for short inputs, where calling into native code costs more
 * than it saves.
 *
 * @since 0.1.0
 * @category constructors
 */
export const portable: Crc32Function = crc32

/**
 * The CRC-32 the log frames records with and replay checks them with,
 * {@link portable} unless a layer provides another.
 *
 * @example
 * ```ts
 * import { Crc32, Replay } from "@lora-wal/core"
 * import { Effect } from "effect"
 *
 * declare const nativeCrc32: Crc32.Crc32Function // yours: e.g. a binding to hardware CRC
 *
 * const fast = (bytes: Uint8Array) => bytes.length >= 256 ? nativeCrc32(bytes) : Crc32.portable(bytes)
 * const program = Replay.replayDir("/var/lib/app/wal").pipe(Effect.provideService(Crc32.Crc32, fast))
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export class Crc32 extends Context.Reference<Crc32>()("@lora-wal/core/Crc32", {
  defaultValue: (): Crc32Function => portable
}) {}
