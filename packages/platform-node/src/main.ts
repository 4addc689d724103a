/**
 * The `lora-wal` executable's full command-line: `bin.ts` loads this module
 * for every command line it does not answer by itself.
 *
 * @since 0.1.0
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import { run } from "./Cli.js"
import { endsBySignal, ExitCode } from "./internal/cli/common.js"
import * as NodeCrc32 from "./NodeCrc32.js"
import * as NodeSyncFileSystem from "./NodeSyncFileSystem.js"

run(process.argv).pipe(
  Effect.catchAll(() =>
    Effect.sync(() => {
      // @effect/cli has already printed the usage problem.
      process.exitCode = ExitCode.usage
    })
  ),
  // A bug, not a problem with the log or the command line: still one line, never a stack trace.
  Effect.catchAllDefect((defect) =>
    Effect.sync(() => {
      process.stderr.write(`lora-wal: internal error: ${defect instanceof Error ? defect.message : String(defect)}\n`)
      process.exitCode = ExitCode.failed
    })
  ),
  // The log's own I/O and CRC, as NodeWal.layer gives them, over NodeContext's filesystem.
  Effect.provide(Layer.merge(NodeSyncFileSystem.layerSyncWrites, NodeCrc32.layer)),
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    // Stopped by SIGINT or SIGTERM: not a success, whatever was done before (128 + SIGINT, as shells
    // report), except for a command that runs until then (`follow`).
    teardown: (exit, onExit) =>
      onExit(
        Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause) && !endsBySignal.expected
          ? 130
          : Number(process.exitCode ?? 0)
      )
  })
)
