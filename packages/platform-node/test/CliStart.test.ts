import { describe, expect, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import { fileURLToPath } from "node:url"
import { bin } from "./child.js"

/** The full tool, without the executable's own answers for --version and --help. */
const main = fileURLToPath(new URL("../dist/main.js", import.meta.url))
const packageVersion = JSON.parse(fs.readFileSync(new URL("../package.json", import.meta.url), "utf8")).version

const stdoutOf = (script: string, ...args: ReadonlyArray<string>) =>
  execFileSync(process.execPath, [script, ...args], { encoding: "utf8" })

describe("lora-wal answers --version and --help without loading the full tool", () => {
  it("--help, -h and no arguments print exactly the full tool's help (regenerate with npm run gen:cli-help)", () => {
    const full = stdoutOf(main, "--help")
    expect(full).toContain("USAGE")
    for (const args of [["--help"], ["-h"], []]) expect(stdoutOf(bin, ...args), args.join(" ")).toBe(full)
  })

  it("--version prints the package's version, as the full tool does", () => {
    expect(stdoutOf(bin, "--version")).toBe(`${packageVersion}\n`)
    expect(stdoutOf(main, "--version").trim()).toBe(packageVersion)
  })

  it("any other command line goes to the full tool", () => {
    expect(stdoutOf(bin, "replay", "--help")).toBe(stdoutOf(main, "replay", "--help"))
    expect(stdoutOf(bin, "replay", "--help")).toContain("replay")
  })
})
