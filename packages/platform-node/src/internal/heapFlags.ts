import * as v8 from "node:v8"

/**
 * V8's heap as a tool that streams logs of gigabytes wants it, set by
 * `bin.ts` before the full tool is loaded. By default the young generation
 * grows to 2 x 16 MiB while the tool loads and never gives it back, and the
 * old one grows by up to 4x between full collections: 126 MiB of peak RSS
 * over a 256 MiB `replay --jsonl`. Young space that stays at its first size
 * and an old one grown by 20% keep it at 80 MiB (the tool's floor is 66),
 * for ~10% of the time (BENCHMARKS.md, "The command-line tool"). These two
 * flags are read whenever V8 resizes the heap, so setting them at run time
 * takes effect; the sizes themselves (`--max-semi-space-size`) are fixed at
 * start-up. V8 raises a growth factor below 2 to 2 when it is given at
 * start-up, so a factor of 1 is only reached this way: growth then leaves
 * the young generation as it is, which is what is wanted. Flags other than
 * these two are not safe to set late (`--single-threaded-gc` crashed V8 in
 * a trial). Starting a worker thread puts them back to their start-up
 * values, so whoever starts one sets them again once it is online.
 */
const STREAMING_HEAP_FLAGS = ["--semi-space-growth-factor=1", "--heap-growing-percent=20"]

/** Sets {@link STREAMING_HEAP_FLAGS}. */
export const setStreamingHeapFlags = (): void => {
  for (const flag of STREAMING_HEAP_FLAGS) v8.setFlagsFromString(flag)
}
