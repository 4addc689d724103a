/**
 * The `lora-wal` executable's full command-line: `bin.ts` loads this module
 * for every command line it does not answer by itself.
 *
 * @since 0.1.0
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { run } from "./Cli.js"
import * as NodeCrc32 from "./NodeCrc32.js"
import * as NodeSyncFileSystem from "./NodeSyncFileSystem.js"

run(process.argv).pipe(
  Effect.catchAll(() =>
    Effect.sync(() => {
      // @effect/cli has already printed the usage problem.
      process.exitCode = 2
    })
  ),
  // The log's own I/O and CRC, as NodeWal.layer gives them, over NodeContext's filesystem.
  Effect.provide(Layer.merge(NodeSyncFileSystem.layerSyncWrites, NodeCrc32.layer)),
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({ disableErrorReporting: true })
)
