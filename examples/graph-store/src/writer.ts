/** The demo's writer process: `node writer.js DIR`. */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeDirLock from "@lora-wal/platform-node/NodeDirLock"
import * as Effect from "effect/Effect"
import { writer } from "./Demo.js"

writer(process.argv[2]!).pipe(
  Effect.provide(NodeDirLock.layer),
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain
)
