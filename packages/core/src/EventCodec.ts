/**
 * How a log turns its events into record payloads and back.
 *
 * The log is generic over its event type: record framing, CRCs, LSNs and
 * replay never look inside a payload. A codec writes one event at a time;
 * this module adds the payload framing every codec shares (a 4-byte magic,
 * then one event for a `Mutation` record, or a u64 count and the events for
 * a `MutationBatch`), so a log written with one codec is refused, not
 * misread, by another. The LoraDB codec (`LoraCodec.codec`) is the default;
 * {@link fromSchema} lets an application log its own events.
 *
 * @since 0.1.0
 */
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { DecodeFailure, EncodeFailure, Reader, type Writer } from "./Bytes.js"

/**
 * Writes and reads the events of one type, one at a time. Build one with
 * {@link fromSchema} for JSON-encodable events, or with {@link make} for a
 * hand-written binary format, and pass it as a log's `codec`.
 *
 * @since 0.1.0
 * @category models
 */
export interface EventCodec<E> {
  /** Four bytes that open every payload written with this codec. */
  readonly magic: Uint8Array
  /** Appends one event; throws `EncodeFailure` for a value it cannot carry. */
  readonly write: (writer: Writer, event: E) => void
  /**
   * Reads one event; throws `DecodeFailure` for bytes it cannot accept.
   * Anything else it throws is taken for a bug: replay and open stop with it
   * as a defect rather than treat the record as damage (and truncate there).
   */
  readonly read: (reader: Reader) => E
}

/**
 * Builds a codec. `magic` must be exactly four bytes (a 4-character ASCII
 * string, or bytes).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <E>(options: {
  readonly magic: string | Uint8Array
  readonly write: (writer: Writer, event: E) => void
  readonly read: (reader: Reader) => E
}): EventCodec<E> => {
  const magic = typeof options.magic === "string"
    ? Uint8Array.from(options.magic, (c) => c.charCodeAt(0))
    : options.magic
  if (magic.length !== 4) throw new TypeError(`an event codec's magic must be 4 bytes, got ${magic.length}`)
  return { magic, write: options.write, read: options.read }
}

/**
 * A codec for any Schema whose encoded form is JSON: each event is stored as
 * its encoded JSON text. Payloads start with `LWS\0` unless another magic is
 * given, so the LoraDB codec refuses them.
 *
 * @example
 * ```ts
 * import { EventCodec, Wal } from "@lora-wal/core"
 * import { Effect, Schema } from "effect"
 *
 * const BankEvent = Schema.Union(
 *   Schema.TaggedStruct("Deposit", { account: Schema.String, cents: Schema.Number }),
 *   Schema.TaggedStruct("Withdrawal", { account: Schema.String, cents: Schema.Number })
 * )
 * const codec = EventCodec.fromSchema(BankEvent)
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const wal = yield* Wal.make({ dir: "bank-wal", codec })
 *   return yield* wal.commitTx([{ _tag: "Deposit", account: "alice", cents: 500 }])
 * }))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromSchema = <A, I>(
  schema: Schema.Schema<A, I>,
  options?: { readonly magic?: string | Uint8Array }
): EventCodec<A> => {
  const encode = Schema.encodeEither(schema)
  const decode = Schema.decodeUnknownEither(schema)
  return make<A>({
    magic: options?.magic ?? "LWS\0",
    write: (writer, event) => {
      const encoded = encode(event)
      if (encoded._tag === "Left") {
        throw new EncodeFailure(ParseResult.TreeFormatter.formatErrorSync(encoded.left))
      }
      writer.string(JSON.stringify(encoded.right))
    },
    read: (reader) => {
      let json: unknown
      try {
        json = JSON.parse(reader.string())
      } catch (e) {
        if (e instanceof DecodeFailure) throw e
        throw new DecodeFailure(`event is not valid JSON: ${(e as Error).message}`)
      }
      const decoded = decode(json)
      if (decoded._tag === "Left") {
        throw new DecodeFailure(ParseResult.TreeFormatter.formatErrorSync(decoded.left))
      }
      return decoded.right
    }
  })
}

const writeMagic = (codec: EventCodec<unknown>, writer: Writer): void => writer.raw(codec.magic)

/**
 * Appends the payload of a `Mutation` record (one event).
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeEvent = <E>(codec: EventCodec<E>, writer: Writer, event: E): void => {
  writeMagic(codec as EventCodec<unknown>, writer)
  codec.write(writer, event)
}

/**
 * Appends the payload of a `MutationBatch` record.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeBatch = <E>(codec: EventCodec<E>, writer: Writer, events: ReadonlyArray<E>): void => {
  writeMagic(codec as EventCodec<unknown>, writer)
  writer.len(events.length)
  for (let i = 0; i < events.length; i++) codec.write(writer, events[i]!)
}

/** What `withBatchReader` gave a codec (kept off its interface: no codec of a user's can skip the checks). */
const batchReaders = new WeakMap<EventCodec<unknown>, (bytes: Uint8Array, start: number, end: number) => Array<unknown> | undefined>()

/**
 * `codec`, asked first for each whole `MutationBatch` payload by replay:
 * `readBatch` returns what reading `bytes[start..end]` event by event would
 * give (checks included), or `undefined` to have it read that way. For the
 * JSON lines' codec, whose batches another thread may have transcoded.
 *
 * @internal
 */
export const withBatchReader = <E>(
  codec: EventCodec<E>,
  readBatch: (bytes: Uint8Array, start: number, end: number) => Array<E> | undefined
): EventCodec<E> => {
  batchReaders.set(codec as EventCodec<unknown>, readBatch)
  return codec
}

const openPayload = (codec: EventCodec<unknown>, bytes: Uint8Array, start: number, end: number, view?: DataView): Reader => {
  const magic = codec.magic
  if (
    end - start < 4 || bytes[start] !== magic[0] || bytes[start + 1] !== magic[1] || bytes[start + 2] !== magic[2] ||
    bytes[start + 3] !== magic[3]
  ) {
    throw new DecodeFailure("WAL mutation payload has bad magic")
  }
  return new Reader(bytes, start + 4, end, view)
}

const finish = (reader: Reader): void => {
  if (reader.remaining !== 0) {
    throw new DecodeFailure(`trailing bytes in WAL mutation payload: ${reader.remaining}`)
  }
}

/**
 * Reads the payload of a `Mutation` record in `bytes[start..end]`, with a
 * view of `bytes` the caller reuses: replay decodes in place, without a
 * copy or a view per record.
 *
 * @internal
 */
export const decodeEventIn = <E>(
  codec: EventCodec<E>,
  bytes: Uint8Array,
  start: number,
  end: number,
  view?: DataView
): E => {
  const reader = openPayload(codec as EventCodec<unknown>, bytes, start, end, view)
  const event = codec.read(reader)
  finish(reader)
  return event
}

/**
 * Reads the payload of a `MutationBatch` record in `bytes[start..end]` (see
 * {@link decodeEventIn}).
 *
 * @internal
 */
export const decodeBatchIn = <E>(
  codec: EventCodec<E>,
  bytes: Uint8Array,
  start: number,
  end: number,
  view?: DataView
): Array<E> => {
  const ready = batchReaders.get(codec as EventCodec<unknown>)?.(bytes, start, end)
  if (ready !== undefined) return ready as Array<E>
  const reader = openPayload(codec as EventCodec<unknown>, bytes, start, end, view)
  const count = reader.count("WAL event")
  // Grown as events are read, not sized from the count: a corrupt count fails before it costs memory.
  const events: Array<E> = []
  for (let i = 0; i < count; i++) events.push(codec.read(reader))
  finish(reader)
  return events
}

/**
 * Reads the payload of a `Mutation` record; throws `DecodeFailure`.
 *
 * @since 0.1.0
 * @category encoding
 */
export const decodeEvent = <E>(codec: EventCodec<E>, payload: Uint8Array): E =>
  decodeEventIn(codec, payload, 0, payload.length)

/**
 * Reads the payload of a `MutationBatch` record; throws `DecodeFailure`.
 *
 * @since 0.1.0
 * @category encoding
 */
export const decodeBatch = <E>(codec: EventCodec<E>, payload: Uint8Array): Array<E> =>
  decodeBatchIn(codec, payload, 0, payload.length)
