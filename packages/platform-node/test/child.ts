import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

export const bin = fileURLToPath(new URL("../bin/lora-wal.js", import.meta.url))

/** A running `lora-wal` child with its stdout lines collected as they arrive. */
export interface Child {
  readonly process: ChildProcessWithoutNullStreams
  readonly lines: Array<string>
  readonly stderr: Array<string>
  /** Resolves once a stdout line satisfies `predicate`. */
  readonly waitFor: (predicate: (line: string) => boolean) => Promise<void>
  readonly exited: Promise<number | null>
}

export const startCli = (args: ReadonlyArray<string>, env: Record<string, string> = {}): Child => {
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env } })
  const lines: Array<string> = []
  const stderr: Array<string> = []
  const waiters: Array<{ predicate: (l: string) => boolean; resolve: () => void }> = []
  let partial = ""
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    const parts = (partial + chunk).split("\n")
    partial = parts.pop()!
    for (const line of parts) {
      lines.push(line)
      for (const w of waiters.splice(0)) (w.predicate(line) ? w.resolve() : waiters.push(w))
    }
  })
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => stderr.push(chunk))
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  return {
    process: child,
    lines,
    stderr,
    exited,
    waitFor: (predicate) =>
      lines.some(predicate)
        ? Promise.resolve()
        : new Promise((resolve, reject) => {
          waiters.push({ predicate, resolve })
          void exited.then((code) => reject(new Error(`lora-wal exited (${code}) first: ${stderr.join("")}`)))
        })
  }
}
