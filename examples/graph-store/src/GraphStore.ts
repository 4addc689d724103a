/**
 * A small durable graph store: LoraDB mutation events applied to an
 * in-memory graph, every query logged through the recorder, snapshots taken
 * with checkpoints, and recovery from the newest snapshot plus the log.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Bytes from "@lora-wal/core/Bytes"
import * as Checkpoint from "@lora-wal/core/Checkpoint"
import type { DirLock } from "@lora-wal/core/DirLock"
import * as EventCodec from "@lora-wal/core/EventCodec"
import * as LoraCodec from "@lora-wal/core/LoraCodec"
import type { MutationEvent } from "@lora-wal/core/MutationEvent"
import type { PropertyValue } from "@lora-wal/core/PropertyValue"
import * as WalRecorder from "@lora-wal/core/WalRecorder"
import type { OpenError, SyncError, TruncateError, WriteError } from "@lora-wal/core/WalError"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"

export interface Node {
  readonly labels: Set<string>
  readonly properties: Map<string, PropertyValue>
}

export interface Relationship {
  readonly src: bigint
  readonly dst: bigint
  readonly type: string
}

/** The in-memory graph and how each event changes it. */
export class Graph {
  readonly nodes = new Map<bigint, Node>()
  readonly relationships = new Map<bigint, Relationship>()

  apply(event: MutationEvent): void {
    switch (event._tag) {
      case "CreateNode":
        this.nodes.set(event.id, { labels: new Set(event.labels), properties: new Map(event.properties) })
        return
      case "CreateRelationship":
        this.relationships.set(event.id, { src: event.src, dst: event.dst, type: event.relType })
        return
      case "SetNodeProperty":
        this.nodes.get(event.nodeId)?.properties.set(event.key, event.value)
        return
      case "RemoveNodeProperty":
        this.nodes.get(event.nodeId)?.properties.delete(event.key)
        return
      case "AddNodeLabel":
        this.nodes.get(event.nodeId)?.labels.add(event.label)
        return
      case "RemoveNodeLabel":
        this.nodes.get(event.nodeId)?.labels.delete(event.label)
        return
      case "DeleteRelationship":
        this.relationships.delete(event.relId)
        return
      case "DeleteNode":
        this.nodes.delete(event.nodeId)
        return
      case "DetachDeleteNode":
        this.nodes.delete(event.nodeId)
        for (const [id, r] of this.relationships) if (r.src === event.nodeId || r.dst === event.nodeId) this.relationships.delete(id)
        return
      case "Clear":
        this.nodes.clear()
        this.relationships.clear()
        return
      default:
        return
    }
  }

  /** The graph as the events that rebuild it: the snapshot's payload. */
  toEvents(): Array<MutationEvent> {
    const events: Array<MutationEvent> = []
    for (const [id, node] of this.nodes) {
      events.push({ _tag: "CreateNode", id, labels: [...node.labels], properties: new Map(node.properties) })
    }
    for (const [id, r] of this.relationships) {
      events.push({ _tag: "CreateRelationship", id, src: r.src, dst: r.dst, relType: r.type, properties: new Map() })
    }
    return events
  }
}

/** What a query may do: mutate the graph, each mutation recorded. */
export interface Mutations {
  readonly emit: (event: MutationEvent) => Effect.Effect<void>
}

export interface Store {
  readonly graph: Graph
  /**
   * Runs `query` as one transaction: all of its mutations are durable
   * together, or none is. The graph changes only once they are durable, so
   * a failed, interrupted or unlogged query leaves it as the log has it.
   */
  readonly execute: <A, E>(
    query: (m: Mutations) => Effect.Effect<A, E>
  ) => Effect.Effect<A, E | WalRecorder.RecorderPoisoned | WalRecorder.CommitFailed>
  readonly checkpoint: Effect.Effect<void, WriteError | SyncError | TruncateError>
  readonly recovered: { readonly snapshotLsn: Option.Option<bigint>; readonly replayedEvents: number }
}

const snapshotCodec = {
  encode: (events: ReadonlyArray<MutationEvent>): Uint8Array => {
    const writer = new Bytes.Writer()
    EventCodec.encodeBatch(LoraCodec.codec, writer, events)
    return writer.written.slice()
  },
  decode: (bytes: Uint8Array): Array<MutationEvent> => EventCodec.decodeBatch(LoraCodec.codec, bytes)
}

/** Opens (recovering) the store kept in `dir`. */
export const open = (
  dir: string
): Effect.Effect<Store, OpenError, FileSystem.FileSystem | Path.Path | DirLock | Scope.Scope> =>
  Effect.gen(function*() {
    const path = yield* Path.Path
    const graph = new Graph()
    const snapshotDir = path.join(dir, "snapshots")
    const recovered = yield* Checkpoint.recover({ dir: path.join(dir, "wal"), snapshotDir })
    for (const snapshot of Option.toArray(recovered.snapshot)) {
      for (const event of snapshotCodec.decode(snapshot.payload)) graph.apply(event)
    }
    for (const event of recovered.wal.recovery.committedEvents) graph.apply(event)
    const recorder = WalRecorder.make(recovered.wal)
    const lock = yield* Effect.makeSemaphore(1)
    const environment = yield* Effect.context<FileSystem.FileSystem | Path.Path>()
    return {
      graph,
      recovered: {
        snapshotLsn: Option.map(recovered.snapshot, (s) => s.lsn as bigint),
        replayedEvents: recovered.wal.recovery.committedEvents.length
      },
      execute: (query) =>
        lock.withPermits(1)(Effect.suspend(() => {
          const pending: Array<MutationEvent> = []
          const mutations: Mutations = {
            emit: (event) => Effect.zipRight(Effect.sync(() => void pending.push(event)), recorder.record(event))
          }
          return Effect.map(recorder.withQuery(query(mutations)), ({ value }) => {
            for (const event of pending) graph.apply(event)
            return value
          })
        })),
      checkpoint: lock.withPermits(1)(
        Effect.asVoid(Checkpoint.checkpoint(recovered.wal, {
          snapshotDir,
          write: () => Effect.sync(() => snapshotCodec.encode(graph.toEvents()))
        })).pipe(Effect.provide(environment))
      )
    }
  })
