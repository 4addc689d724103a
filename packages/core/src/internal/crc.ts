import { crc32 as zlibCrc32 } from "node:zlib"

/** IEEE CRC32 (the polynomial lora-wal uses through crc32fast). */
export const crc32 = (bytes: Uint8Array): number => zlibCrc32(bytes)
