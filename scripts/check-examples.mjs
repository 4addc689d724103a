// Type-checks every TypeScript example in the READMEs and in the doc comments
// of the packages' public modules (`@example` blocks) against the built
// packages, so the documentation cannot drift from the API. Each ```ts block is
// a module of its own; a block that needs a package outside the workspace is
// fenced as ```ts ignore and only counted. Errors are reported at the line of
// the README or source file. Run after `tsc -b` (the examples import the
// packages' built declarations).
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..")
const out = path.join(root, ".tmp", "examples")
const packageDirs = ["packages", "examples"].flatMap((parent) =>
  fs.readdirSync(path.join(root, parent)).map((name) => path.join(parent, name))
)
const readmes = ["README.md", ...packageDirs.map((dir) => path.join(dir, "README.md"))]
  .filter((file) => fs.existsSync(path.join(root, file)))
const sources = packageDirs.flatMap((dir) => {
  const src = path.join(dir, "src")
  return fs.existsSync(path.join(root, src))
    ? fs.readdirSync(path.join(root, src)).filter((name) => name.endsWith(".ts")).map((name) => path.join(src, name))
    : []
})
/** A doc comment's lines without their ` * ` margin (line numbers are kept). */
const docText = (text) => text.split("\n").map((line) => /^\s*\*( |$)/.test(line) ? line.replace(/^\s*\*( |$)/, "") : "").join("\n")

/** The ```ts blocks of a Markdown file, each with the line its code starts on. */
const blocksOf = (text) => {
  const blocks = []
  let open
  text.split("\n").forEach((line, index) => {
    const fence = /^```\s*(\S*)\s*(.*)$/.exec(line)
    if (open === undefined && fence && ["ts", "typescript"].includes(fence[1])) {
      open = { firstLine: index + 2, ignored: /\bignore\b/.test(fence[2]), lines: [] }
    } else if (open !== undefined && /^```\s*$/.test(line)) {
      blocks.push(open)
      open = undefined
    } else if (open !== undefined) open.lines.push(line)
  })
  return blocks
}

fs.rmSync(out, { recursive: true, force: true })
fs.mkdirSync(out, { recursive: true })
const origin = new Map()
let ignored = 0
const documents = [
  ...readmes.map((file) => [file, fs.readFileSync(path.join(root, file), "utf8")]),
  ...sources.map((file) => [file, docText(fs.readFileSync(path.join(root, file), "utf8"))])
]
for (const [readme, text] of documents) {
  for (const block of blocksOf(text)) {
    if (block.ignored) {
      ignored++
      continue
    }
    const file = `${readme.replaceAll(/[/.]/g, "_")}_${block.firstLine}.ts`
    origin.set(file, { readme, firstLine: block.firstLine })
    fs.writeFileSync(path.join(out, file), `${block.lines.join("\n")}\nexport {}\n`)
  }
}
fs.writeFileSync(
  path.join(out, "tsconfig.json"),
  JSON.stringify({
    extends: "../../tsconfig.base.json",
    compilerOptions: { noEmit: true, composite: false, incremental: false, declaration: false, declarationMap: false, noUnusedLocals: false },
    include: ["*.ts"]
  })
)
try {
  execFileSync(path.join(root, "node_modules", ".bin", "tsc"), ["-p", out], { encoding: "utf8", stdio: "pipe" })
} catch (error) {
  const located = String(error.stdout).replaceAll(/^(\S+\.ts)\((\d+),(\d+)\)/gm, (whole, file, line, column) => {
    const from = origin.get(path.basename(file))
    return from === undefined ? whole : `${from.readme}:${from.firstLine + Number(line) - 1}:${column}`
  })
  console.error(located)
  console.error("Examples: FAILED (the locations above are lines of the READMEs and sources)")
  process.exit(1)
}
console.log(`Examples: ${origin.size} blocks from the READMEs and doc comments type-check (${ignored} fenced as ignore)`)
