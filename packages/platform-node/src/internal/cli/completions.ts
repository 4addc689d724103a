import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"

/** The shells `lora-wal --completions` writes a script for. */
export const shells = ["bash", "zsh", "fish"] as const

/**
 * The completion script for `shell`. @effect/cli 0.77's bash script names
 * the root command `lora-wal` where its subcommand cases expect `lora__wal`
 * (it mangles the hyphen in one place only), so nothing after the
 * subcommand completed; the root's name is made to match here.
 */
export const completionScript = <Name extends string, R, E, A>(
  command: Command.Command<Name, R, E, A>,
  shell: (typeof shells)[number]
): Effect.Effect<string> => {
  switch (shell) {
    case "bash":
      return Effect.map(Command.getBashCompletions(command, "lora-wal"), (lines) =>
        lines.join("\n")
          .replace(`cmd="lora-wal"`, `cmd="lora__wal"`)
          .replace(/^(\s+)lora-wal\)$/m, "$1lora__wal)"))
    case "zsh":
      return Effect.map(Command.getZshCompletions(command, "lora-wal"), (lines) => lines.join("\n"))
    case "fish":
      return Effect.map(Command.getFishCompletions(command, "lora-wal"), (lines) => lines.join("\n"))
  }
}
