// Checks that every export of the packages' public modules (packages/*/src/*.ts,
// not internal/) carries a doc comment as the Effect monorepo writes them: a
// description, then `@since <version>` and `@category <name>`. Exports tagged
// `@internal` are not public and are skipped.
//
// An export statement is a line starting with `export` outside comments. An
// overload group of `export function f` (or `export declare function f`)
// signatures needs one doc comment, on its first signature. `export * as X from`
// (and `export * from`) needs one like any declaration. An `export { ... }` list
// is covered by a doc comment before the statement; without one, each name in
// it needs its own doc comment inside the braces. A type alias that only names
// the type of the value beside it (`export type TypeId = typeof TypeId`,
// `export type X = typeof X.Type`) needs the tags but no description, as in Effect.
//
// Usage: node scripts/check-doc-tags.mjs [file ...]   (default: every public module)
// Exits 1 listing `file:line` of each export that lacks something, 0 otherwise.
import * as fs from "node:fs"
import * as path from "node:path"

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..")

const publicModules = () =>
  fs.readdirSync(path.join(root, "packages")).sort().flatMap((name) => {
    const src = path.join("packages", name, "src")
    return fs.existsSync(path.join(root, src))
      ? fs.readdirSync(path.join(root, src)).filter((file) => file.endsWith(".ts")).sort().map((file) => path.join(src, file))
      : []
  })

const files = process.argv.length > 2
  ? process.argv.slice(2).map((file) => path.relative(root, path.resolve(file)))
  : publicModules()

const DECLARATION =
  /^export\s+(?:declare\s+)?(?:default\s+)?(?:abstract\s+)?(?:async\s+)?(const|let|var|function\*?|class|interface|type|enum|namespace|module)\s+([A-Za-z_$][\w$]*)/

/**
 * Marks each line that starts outside a block comment and a template literal,
 * so that an `export` inside an example or a string is not taken for one.
 */
const codeLines = (text) => {
  const starts = []
  let state = "code" // code | block | template | string
  let quote = ""
  let atLineStart = true
  for (let i = 0; i < text.length; i++) {
    if (atLineStart) {
      starts.push(state === "code")
      atLineStart = false
    }
    const c = text[i]
    const next = text[i + 1]
    if (c === "\n") {
      atLineStart = true
      if (state === "string") state = "code" // unterminated: stop at the line end
      continue
    }
    if (state === "block") {
      if (c === "*" && next === "/") {
        state = "code"
        i++
      }
    } else if (state === "template" || state === "string") {
      if (c === "\\") i++
      else if (c === quote) state = "code"
    } else if (c === "/" && next === "*") {
      state = "block"
      i++
    } else if (c === "/" && next === "/") {
      while (i + 1 < text.length && text[i + 1] !== "\n") i++
    } else if (c === "`" || c === "\"" || c === "'") {
      state = c === "`" ? "template" : "string"
      quote = c
    }
  }
  if (atLineStart) starts.push(state === "code")
  return starts
}

/** The doc comment (`/** ... *\/`) that ends on the last non-blank line before `index`, if any. */
const docBefore = (lines, index) => {
  let end = index - 1
  while (end >= 0 && lines[end].trim() === "") end--
  if (end < 0 || !lines[end].trim().endsWith("*/")) return undefined
  let start = end
  while (start >= 0 && !lines[start].includes("/*")) start--
  if (start < 0 || !/\/\*\*(?!\*)/.test(lines[start].slice(lines[start].indexOf("/*")))) return undefined
  return lines.slice(start, end + 1).join("\n").slice(lines[start].indexOf("/*"))
}

/** Where a doc comment's description ends: its first block tag. */
const BLOCK_TAG =
  /(?:^|\s)@(?:since|category|example|internal|deprecated|param|typeParam|returns?|see|throws|default|remarks|experimental|beta|alpha|hidden|ignore)\b/

/**
 * What a doc comment lacks: a description, `@since <version>`, `@category <name>`.
 * `companion` is an `export type X = typeof X` (or `typeof X.Type`) beside the
 * value it types: as in Effect, its tags suffice.
 */
const problemsOf = (doc, companion = false) => {
  if (doc === undefined) return ["doc comment"]
  const body = doc
    .replace(/^\/\*\*/, "")
    .replace(/\*\/$/, "")
    .split("\n")
    .map((line) => line.replace(/^\s*\*(?!\/) ?/, ""))
    .join("\n")
  const description = body.split(BLOCK_TAG)[0].trim()
  const problems = []
  if (description === "" && !companion) problems.push("description")
  if (!/@since\s+\d+\.\d+\.\d+/.test(body)) problems.push("@since")
  if (!/@category\s+\S/.test(body)) problems.push("@category")
  return problems
}

const isInternal = (doc) => doc !== undefined && /(^|\s)@internal\b/.test(doc)

let total = 0
let examples = 0
const missing = []
for (const file of files) {
  const text = fs.readFileSync(path.join(root, file), "utf8")
  const lines = text.split("\n")
  const code = codeLines(text)
  let previousFunction // name of the overload group the previous export statement belongs to
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    if (!code[i] || !/^export\b/.test(line)) continue
    const declaration = DECLARATION.exec(line)
    const functionName = declaration && declaration[1].startsWith("function") ? declaration[2] : undefined
    const overload = functionName !== undefined && functionName === previousFunction
    previousFunction = functionName
    if (overload) continue

    const doc = docBefore(lines, i)
    if (isInternal(doc)) continue

    if (/^export\s+(?:type\s+)?\{/.test(line) && doc === undefined) {
      // An export list without a comment of its own: each name needs one.
      let end = i
      while (end < lines.length - 1 && !lines[end].includes("}")) end++
      // The list's lines with comments blanked (newlines kept, so indexes stay lines).
      const list = lines.slice(i, end + 1).join("\n")
        .replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, ""))
        .replace(/\/\/.*$/gm, "")
        .split("\n")
      for (let at = i; at <= end; at++) {
        let part = list[at - i]
        if (at === i) part = part.slice(part.indexOf("{") + 1)
        if (part.includes("}")) part = part.slice(0, part.indexOf("}"))
        const names = part.split(",").map((name) => name.trim()).filter(Boolean)
        if (names.length === 0) continue
        const own = at === i ? undefined : docBefore(lines, at)
        if (isInternal(own)) continue
        total += names.length
        if (own?.includes("@example")) examples++
        const problems = problemsOf(own)
        if (problems.length > 0) missing.push(`${file}:${at + 1}: no ${problems.join(", no ")}: ${names.join(", ")}`)
      }
      i = end
      continue
    }

    total++
    if (doc?.includes("@example")) examples++
    const companion = declaration?.[1] === "type" &&
      new RegExp(`^export\\s+type\\s+${declaration[2]}\\s*=\\s*typeof\\s+${declaration[2]}(\\.(Type|Encoded))?\\s*$`).test(line)
    const problems = problemsOf(doc, companion)
    if (problems.length > 0) missing.push(`${file}:${i + 1}: no ${problems.join(", no ")}: ${line.trim().slice(0, 72)}`)
  }
}

if (missing.length > 0) {
  for (const entry of missing) console.error(entry)
  console.error(
    `Doc tags: FAILED, ${missing.length} of ${total} exports lack a doc comment with a description, @since and @category`
  )
  process.exit(1)
}
console.log(
  `Doc tags: ${total} exports in ${files.length} modules have a description, @since and @category (${examples} with an @example)`
)
