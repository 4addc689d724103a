import * as Command from "@effect/cli/Command"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { command } from "../src/Cli.js"
import { Output } from "../src/internal/cli/output.js"

const run = Command.run(command, { name: "lora-wal", version: "test" })

/** Runs the CLI in-process on `args`, capturing stdout, stderr and the exit code. */
export const runCli = (...args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    let stdout = ""
    let stderr = ""
    const text = (xs: ReadonlyArray<unknown>) => xs.map(String).join(" ")
    const noop = () => {}
    const unsafe: Console.UnsafeConsole = {
      assert: noop, clear: noop, count: noop, countReset: noop, debug: noop, dir: noop, dirxml: noop,
      error: (...xs) => void (stderr += `${text(xs)}\n`), group: noop, groupCollapsed: noop, groupEnd: noop,
      info: noop, log: (...xs) => void (stdout += `${text(xs)}\n`), table: noop, time: noop, timeEnd: noop,
      timeLog: noop, trace: noop, warn: (...xs) => void (stderr += `${text(xs)}\n`)
    }
    const lift = (f: (...xs: Array<any>) => void) => (...xs: Array<any>) => Effect.sync(() => f(...xs))
    const console: Console.Console = {
      [Console.TypeId]: Console.TypeId,
      unsafe,
      assert: lift(unsafe.assert), clear: Effect.void, count: lift(noop), countReset: lift(noop), debug: lift(noop),
      dir: lift(noop), dirxml: lift(noop), error: lift(unsafe.error), group: lift(noop), groupEnd: Effect.void,
      info: lift(noop), log: lift(unsafe.log), table: lift(noop), time: lift(noop), timeEnd: lift(noop),
      timeLog: lift(noop), trace: lift(noop), warn: lift(unsafe.warn)
    }
    const before = process.exitCode
    process.exitCode = 0
    // The subcommands' output and @effect/cli's own (help, usage problems), both captured.
    const output = Layer.succeed(Output, {
      out: (text) => Effect.sync(() => void (stdout += text)),
      outBytes: (bytes) => Effect.sync(() => void (stdout += new TextDecoder().decode(bytes))),
      flush: Effect.void,
      err: (text) => Effect.sync(() => void (stderr += text)),
      errIsTerminal: false
    })
    const failed = yield* run(["node", "lora-wal", ...args]).pipe(
      Effect.withConsole(console),
      Effect.provide(Layer.merge(NodeContext.layer, output)),
      Effect.as(false),
      Effect.catchAll(() => Effect.succeed(true))
    )
    const exitCode = failed ? 2 : Number(process.exitCode ?? 0)
    process.exitCode = before
    return { stdout: stdout.replace(/\n$/, ""), stderr: stderr.replace(/\n$/, ""), exitCode }
  })
