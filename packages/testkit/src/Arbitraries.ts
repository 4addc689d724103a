/**
 * fast-check arbitraries (through effect's `FastCheck`) for LoraDB events and
 * values of every variant, with the awkward cases weighted in: NaN payloads
 * and -0, i64/u64 extremes, astral and empty strings, empty and segmented
 * binaries, nested lists and maps, vectors of every element type.
 *
 * @since 0.1.0
 */
import type { MutationEvent } from "@lora-wal/core/MutationEvent"
import type { Properties, PropertyValue, VectorValues } from "@lora-wal/core/PropertyValue"
import { SyncMode as SyncModes } from "@lora-wal/core/WalConfig"
import type { SyncMode } from "@lora-wal/core/WalConfig"
import * as fc from "effect/FastCheck"
import { Op, type Workload } from "./CrashHarness.js"

const bitsView = new DataView(new ArrayBuffer(8))

/**
 * Any f64 bit pattern, NaN payloads and -0 included.
 *
 * @since 0.1.0
 * @category values
 */
export const f64: fc.Arbitrary<number> = fc.oneof(
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((bits) => {
    bitsView.setBigUint64(0, bits)
    return bitsView.getFloat64(0)
  }),
  fc.constantFrom(0, -0, NaN, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE, 0.1, 1),
  fc.double()
)

/**
 * Any u64, with 0, 1, 2^53 + 1 (past exact `number`s), 2^64 - 1 and small
 * ids weighted in.
 *
 * @since 0.1.0
 * @category values
 */
export const u64: fc.Arbitrary<bigint> = fc.oneof(
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  fc.constantFrom(0n, 1n, 2n ** 53n + 1n, 2n ** 64n - 1n),
  fc.bigInt({ min: 0n, max: 1000n })
)

/**
 * Any i64, with both extremes, -1 and 0 weighted in.
 *
 * @since 0.1.0
 * @category values
 */
export const i64: fc.Arbitrary<bigint> = fc.oneof(
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.constantFrom(-(2n ** 63n), -1n, 0n, 2n ** 63n - 1n)
)

const u32 = fc.nat({ max: 0xffff_ffff })
const i32 = fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff })

/**
 * Well-formed strings, astral characters and the empty string included.
 *
 * @since 0.1.0
 * @category values
 */
export const text: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 12 }).filter((s) => s.isWellFormed()),
  fc.constantFrom("", "é", "日本語", "🚀", "\u0000", "\uffff", "𐀀")
)

const vectorOf = <A extends VectorValues>(bytesPerElement: number, make: (buffer: ArrayBuffer) => A) =>
  fc.uint8Array({ maxLength: 6 * bytesPerElement }).map((bytes) => {
    const whole = bytes.subarray(0, bytes.length - (bytes.length % bytesPerElement))
    return make(whole.slice().buffer)
  })

/**
 * Typed arrays of every element type, with random bit patterns.
 *
 * @since 0.1.0
 * @category values
 */
export const vectorValues: fc.Arbitrary<VectorValues> = fc.oneof(
  vectorOf(8, (b) => new Float64Array(b)),
  vectorOf(4, (b) => new Float32Array(b)),
  vectorOf(8, (b) => new BigInt64Array(b)),
  vectorOf(4, (b) => new Int32Array(b)),
  vectorOf(2, (b) => new Int16Array(b)),
  vectorOf(1, (b) => new Int8Array(b))
)

const localTime = { hour: u32, minute: u32, second: u32, nanosecond: u32 }
const date = { year: i32, month: u32, day: u32 }

const tagged = <T extends string, R>(
  tag: T,
  fields: { [K in keyof R]: fc.Arbitrary<R[K]> }
): fc.Arbitrary<{ readonly _tag: T } & R> => fc.record(fields).map((r) => ({ _tag: tag, ...r }))

const scalar: fc.Arbitrary<PropertyValue> = fc.oneof(
  fc.constant({ _tag: "Null" } as const),
  tagged("Bool", { value: fc.boolean() }),
  tagged("Int", { value: i64 }),
  tagged("Float", { value: f64 }),
  tagged("String", { value: text }),
  tagged("Date", date),
  tagged("Time", { ...localTime, offsetSeconds: i32 }),
  tagged("LocalTime", localTime),
  tagged("DateTime", { ...date, ...localTime, offsetSeconds: i32 }),
  tagged("LocalDateTime", { ...date, ...localTime }),
  tagged("Duration", { months: i64, days: i64, seconds: i64, nanoseconds: i64 }),
  tagged("Point", { x: f64, y: f64, z: fc.option(f64, { nil: undefined }), srid: u32 }),
  tagged("Vector", { values: vectorValues }),
  tagged("Binary", { segments: fc.array(fc.uint8Array({ maxLength: 8 }), { maxLength: 3 }) })
)

/**
 * Property maps with random keys.
 *
 * @since 0.1.0
 * @category values
 */
export const propertiesOf = (value: fc.Arbitrary<PropertyValue>): fc.Arbitrary<Properties> =>
  fc.array(fc.tuple(text, value), { maxLength: 4 }).map((entries) => new Map(entries))

/**
 * Values of every variant, nested up to a few levels.
 *
 * @since 0.1.0
 * @category values
 */
export const propertyValue: fc.Arbitrary<PropertyValue> = fc.letrec<{ value: PropertyValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    tagged("List", { items: fc.array(tie("value"), { maxLength: 3 }) }),
    tagged("Map", { entries: propertiesOf(tie("value")) })
  )
})).value

const properties = propertiesOf(propertyValue)

/**
 * Events of every variant.
 *
 * @since 0.1.0
 * @category events
 */
export const mutationEvent: fc.Arbitrary<MutationEvent> = fc.oneof(
  tagged("CreateNode", { id: u64, labels: fc.array(text, { maxLength: 3 }), properties }),
  tagged("CreateRelationship", { id: u64, src: u64, dst: u64, relType: text, properties }),
  tagged("SetNodeProperty", { nodeId: u64, key: text, value: propertyValue }),
  tagged("RemoveNodeProperty", { nodeId: u64, key: text }),
  tagged("AddNodeLabel", { nodeId: u64, label: text }),
  tagged("RemoveNodeLabel", { nodeId: u64, label: text }),
  tagged("SetRelationshipProperty", { relId: u64, key: text, value: propertyValue }),
  tagged("RemoveRelationshipProperty", { relId: u64, key: text }),
  tagged("DeleteRelationship", { relId: u64 }),
  tagged("DeleteNode", { nodeId: u64 }),
  tagged("DetachDeleteNode", { nodeId: u64 }),
  fc.constant({ _tag: "Clear" } as const)
)

/**
 * Small events for crash workloads: cheap to encode, easy to model (a set
 * of node ids).
 *
 * @since 0.1.0
 * @category events
 */
export const smallEvent: fc.Arbitrary<MutationEvent> = fc.oneof(
  { arbitrary: fc.nat({ max: 50 }).map((id) => ({ _tag: "CreateNode" as const, id: BigInt(id), labels: ["N"], properties: new Map() })), weight: 4 },
  { arbitrary: fc.nat({ max: 50 }).map((id) => ({ _tag: "DeleteNode" as const, nodeId: BigInt(id) })), weight: 2 },
  { arbitrary: fc.constant({ _tag: "Clear" as const }), weight: 1 }
)

/**
 * Sync modes, with Group intervals short enough for ticks to matter.
 *
 * @since 0.1.0
 * @category workloads
 */
export const syncMode: fc.Arbitrary<SyncMode> = fc.oneof(
  fc.constant(SyncModes.PerCommit()),
  fc.integer({ min: 1, max: 20 }).map((intervalMs) => SyncModes.Group({ intervalMs })),
  fc.constant(SyncModes.None())
)

/**
 * Workloads for the crash harness: commits (one at a time and several at
 * once) in every sync mode, explicit
 * begin/append/abort, unfinished transactions, checkpoints with truncation,
 * clock ticks, clean reopens, and tiny segments that force rotation.
 *
 * @since 0.1.0
 * @category workloads
 */
export const workload = <E>(event: fc.Arbitrary<E>, options?: { readonly maxOps?: number }): fc.Arbitrary<Workload<E>> => {
  const events = fc.array(event, { minLength: 1, maxLength: 4 })
  const Ops = Op<E>()
  const op: fc.Arbitrary<Op<E>> = fc.oneof(
    { arbitrary: events.map((e) => Ops.Commit({ events: e })), weight: 8 },
    {
      arbitrary: fc.array(fc.oneof(events, fc.constant([])), { maxLength: 4 }).map((transactions) =>
        Ops.CommitAll({ transactions })
      ),
      weight: 2
    },
    {
      arbitrary: fc.record({
        events: fc.array(event, { maxLength: 3 }),
        batch: fc.boolean(),
        end: fc.constantFrom("commit" as const, "abort" as const, "leaveOpen" as const)
      }).map((r) => Ops.LowLevel(r)),
      weight: 2
    },
    { arbitrary: fc.constant(Ops.Flush()), weight: 1 },
    { arbitrary: fc.constant(Ops.ForceFsync()), weight: 1 },
    { arbitrary: fc.constant(Ops.Checkpoint()), weight: 1 },
    { arbitrary: fc.integer({ min: 1, max: 30 }).map((ms) => Ops.Tick({ ms })), weight: 2 },
    { arbitrary: fc.constant(Ops.Reopen()), weight: 1 }
  )
  return fc.record({
    syncMode,
    segmentTargetBytes: fc.constantFrom(64, 200, 1024, 8 * 1024 * 1024),
    ops: fc.array(op, { minLength: 1, maxLength: options?.maxOps ?? 16 })
  })
}

/**
 * Workloads that checkpoint often over tiny segments, so that truncation
 * removes whole segments between snapshots: what recovery from an older
 * snapshot (the newest one damaged) must not find missing.
 *
 * @since 0.1.0
 * @category workloads
 */
export const checkpointWorkload = <E>(event: fc.Arbitrary<E>): fc.Arbitrary<Workload<E>> => {
  const Ops = Op<E>()
  const op: fc.Arbitrary<Op<E>> = fc.oneof(
    { arbitrary: fc.array(event, { minLength: 1, maxLength: 3 }).map((e) => Ops.Commit({ events: e })), weight: 3 },
    { arbitrary: fc.constant(Ops.Checkpoint()), weight: 1 }
  )
  return fc.record({
    syncMode,
    segmentTargetBytes: fc.constantFrom(64, 200),
    ops: fc.array(op, { minLength: 4, maxLength: 24 })
  })
}
