/**
 * zlib's native CRC-32 for the log on Node. Calling into native code costs
 * more than the TypeScript CRC saves below a few hundred bytes and less above
 * (`npm run bench:crc`: TypeScript is 1.7–3.2× zlib's speed at 40–120 B,
 * 0.4–0.7× from 256 B up), so records from {@link NATIVE_FROM_BYTES} on go
 * to zlib and shorter ones stay in TypeScript. Both give the same value.
 *
 * @since 0.1.0
 */
import * as Crc32 from "@lora-wal/core/Crc32"
import * as Layer from "effect/Layer"
import { crc32 as zlibCrc32 } from "node:zlib"

/**
 * The input length from which zlib's CRC is used: the crossover measured by
 * `npm run bench:crc` on x64 (between 120 B and 256 B).
 *
 * @since 0.1.0
 * @category constants
 */
export const NATIVE_FROM_BYTES = 256

/**
 * The CRC-32 the Node layers provide: zlib's for long inputs, the portable
 * one for short ones.
 *
 * @since 0.1.0
 * @category constructors
 */
export const crc32: Crc32.Crc32Function = (bytes) =>
  bytes.length >= NATIVE_FROM_BYTES ? zlibCrc32(bytes) : Crc32.portable(bytes)

/**
 * Provides {@link crc32} as the log's `Crc32`; `NodeWal.layer` and the
 * command-line tool include it.
 *
 * @example
 * ```ts
 * import { NodeContext } from "@effect/platform-node"
 * import { Replay } from "@lora-wal/core"
 * import { NodeCrc32 } from "@lora-wal/platform-node"
 * import { Effect, Layer } from "effect"
 *
 * const program = Replay.replayDir("/var/lib/app/wal").pipe(
 *   Effect.provide(Layer.merge(NodeContext.layer, NodeCrc32.layer))
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Crc32.Crc32> = Layer.succeed(Crc32.Crc32, crc32)
