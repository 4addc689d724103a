/**
 * The demo's logic: a writer process runs queries against the store and
 * acknowledges each once its commit returned; the demo kills it with
 * SIGKILL mid-stream, recovers the store, and checks that every
 * acknowledged query is back and nothing partial is.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import type { DirLock } from "@lora-wal/core/DirLock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import * as GraphStore from "./GraphStore.js"

/** Query `i`: a person, who knows the previous one, with a sequence number; one transaction. */
export const query = (i: number) => (m: GraphStore.Mutations) =>
  Effect.gen(function*() {
    const id = BigInt(i)
    yield* m.emit({
      _tag: "CreateNode",
      id,
      labels: ["Person"],
      properties: new Map([["name", { _tag: "String", value: `person-${i}` }]])
    })
    if (i > 1) yield* m.emit({ _tag: "CreateRelationship", id, src: id, dst: id - 1n, relType: "KNOWS", properties: new Map() })
    yield* m.emit({ _tag: "SetNodeProperty", nodeId: id, key: "seq", value: { _tag: "Int", value: id } })
  })

/**
 * The writer: continues with the next query after what it recovered,
 * printing `ack <i>` after each commit returns; a checkpoint every 40.
 */
export const writer = (dir: string) =>
  Effect.scoped(Effect.gen(function*() {
    const store = yield* GraphStore.open(dir)
    for (let i = store.graph.nodes.size + 1; ; i++) {
      yield* store.execute(query(i))
      process.stdout.write(`ack ${i}\n`)
      if (i % 40 === 0) yield* store.checkpoint
    }
  }))

export interface Report {
  readonly acknowledged: number
  readonly recovered: number
  readonly snapshotLsn: Option.Option<bigint>
  readonly replayedEvents: number
  readonly missing: ReadonlyArray<number>
  readonly partial: ReadonlyArray<number>
}

/** Checks a recovered graph against the acknowledged queries. */
export const verify = (graph: GraphStore.Graph, acknowledged: number): Pick<Report, "missing" | "partial" | "recovered"> => {
  const missing: Array<number> = []
  const partial: Array<number> = []
  for (let i = 1; i <= acknowledged; i++) if (!graph.nodes.has(BigInt(i))) missing.push(i)
  for (const [id, node] of graph.nodes) {
    const complete = node.properties.get("seq")?._tag === "Int" && (id === 1n || graph.relationships.has(id))
    if (!complete) partial.push(Number(id))
  }
  for (const [id] of graph.relationships) if (!graph.nodes.has(id)) partial.push(Number(id))
  return { missing, partial, recovered: graph.nodes.size }
}

// The built writer, whether this module runs from src (tests) or dist.
const writerScript = fileURLToPath(new URL("../dist/writer.js", import.meta.url))

/** Runs the writer in a child process and kills it with SIGKILL once `killAfterAcks` queries were acknowledged. */
export const crashWriter = (dir: string, killAfterAcks: number) =>
  Effect.async<number, Error>((resume) => {
    const child = spawn(process.execPath, [writerScript, dir], { stdio: ["ignore", "pipe", "inherit"] })
    let acknowledged = 0
    let partialLine = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      const lines = (partialLine + chunk).split("\n")
      partialLine = lines.pop()!
      for (const line of lines) if (line.startsWith("ack ")) acknowledged = Number(line.slice(4))
      if (acknowledged >= killAfterAcks) child.kill("SIGKILL")
    })
    child.on("exit", (code, signal) =>
      resume(
        signal === "SIGKILL"
          ? Effect.succeed(acknowledged)
          : Effect.fail(new Error(`the writer exited by itself (${code ?? signal}) after ${acknowledged} acknowledgements`))
      ))
  })

/** One crash-and-recover round in `dir`. */
export const round = (dir: string, killAfterAcks: number) =>
  Effect.gen(function*() {
    const acknowledged = yield* crashWriter(dir, killAfterAcks)
    return yield* Effect.scoped(Effect.gen(function*() {
      const store = yield* GraphStore.open(dir)
      return { acknowledged, ...store.recovered, ...verify(store.graph, acknowledged) } satisfies Report
    }))
  })

export type Requirements = FileSystem.FileSystem | DirLock
