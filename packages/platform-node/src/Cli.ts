/**
 * The `lora-wal` command-line tool: what an operator runs against a log
 * directory. Each subcommand lives in its own module under `internal/cli/`.
 * Every failure is one line on stderr (or a JSON error with `--json`),
 * never a stack trace; the exit code is 0 when all went well, 1 when the
 * log or the input is damaged, unreadable or refused, 2 for a command line
 * that cannot be acted on.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Effect from "effect/Effect"
import { appendCommand } from "./internal/cli/append.js"
import { archiveCommand } from "./internal/cli/archive.js"
import { archiveLsCommand } from "./internal/cli/archiveLs.js"
import { followCommand } from "./internal/cli/follow.js"
import { restoreCommand } from "./internal/cli/restore.js"
import { runBody } from "./internal/cli/common.js"
import { completionScript, shells } from "./internal/cli/completions.js"
import { dumpCommand } from "./internal/cli/dump.js"
import { inspectCommand } from "./internal/cli/inspect.js"
import { recoverCommand } from "./internal/cli/recover.js"
import { replayCommand } from "./internal/cli/replay.js"
import { statsCommand } from "./internal/cli/stats.js"
import { statusCommand } from "./internal/cli/status.js"
import { verifyCommand } from "./internal/cli/verify.js"
import * as Output from "./internal/cli/output.js"
import { version } from "./internal/version.js"

/**
 * The root command, with every subcommand.
 *
 * @since 0.1.0
 * @category constructors
 */
export const command = Command.make("lora-wal").pipe(
  Command.withDescription(HelpDoc.blocks([
    HelpDoc.p("Inspect, verify, replay and append to lora-wal write-ahead logs."),
    HelpDoc.p("Exit codes: 0 done (verify: healthy), 1 the log or the input is damaged, unreadable or refused, 2 the command line cannot be acted on.")
  ])),
  Command.withSubcommands([
    replayCommand,
    dumpCommand,
    inspectCommand,
    statsCommand,
    verifyCommand,
    statusCommand,
    recoverCommand,
    appendCommand,
    followCommand,
    archiveCommand,
    restoreCommand,
    archiveLsCommand
  ])
)

const runCommand = Command.run(command, { name: "lora-wal", version })

/** `lora-wal --completions <shell>` is answered here, with a bash script that works (see `completionScript`). */
const runWithCompletions = (argv: ReadonlyArray<string>) => {
  const [flag, shell, ...rest] = argv.slice(2)
  // @effect/cli's `sh` is its bash script.
  const known = shells.find((s) => s === (shell === "sh" ? "bash" : shell))
  return flag === "--completions" && known !== undefined && rest.length === 0
    ? runBody(Effect.flatMap(completionScript(command, known), (script) => Effect.flatMap(Output.Output, (o) => o.out(`${script}\n`))))
    : runCommand(argv)
}

/**
 * Runs the tool on `argv` (as `process.argv`), writing to the process's
 * stdout and stderr.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (argv: ReadonlyArray<string>) => Effect.provide(runWithCompletions(argv), Output.layerProcess)
