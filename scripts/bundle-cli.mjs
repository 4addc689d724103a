// Bundles the `lora-wal` executable's full tool (packages/platform-node/dist/main.js,
// built by `tsc -b`) into one file, dist/internal/main.bundle.js, which bin.js loads,
// and the thread replay starts into dist/internal/transcodeWorker.bundle.js.
// One file tree-shaken of what the tool never calls starts in ~0.4 s instead of
// ~1.3 s and saves ~25 MiB of RSS: resolving and compiling the modules of Effect,
// @effect/cli and the platform one by one was most of the start-up (BENCHMARKS.md).
// The bundle is the executable's own: the packages' modules still import Effect
// as a peer dependency. fs-ext stays outside (a native module, optional). The
// licences of the bundled packages are written next to it.
//   node scripts/bundle-cli.mjs
import * as crypto from "node:crypto"
import * as esbuild from "esbuild"
import * as fs from "node:fs"
import * as path from "node:path"

const root = path.resolve(import.meta.dirname, "..")
const dist = path.join(root, "packages/platform-node/dist")
// In dist/internal/, as the module it replaces (internal/version.js) reads ../../package.json.
const outfile = path.join(dist, "internal/main.bundle.js")

// One id for the two bundles below: the tool starts a transcoding thread only of its own build
// (a thread from another build might transcode differently; see internal/cli/transcodeThread.ts).
const define = { "process.env.LORA_WAL_BUILD": JSON.stringify(crypto.randomUUID()) }

const result = await esbuild.build({
  define,
  entryPoints: [path.join(dist, "main.js")],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["fs-ext"],
  // CommonJS modules in the bundle (fs-ext's loader among them) call `require`.
  banner: { js: `import { createRequire as __loraWalRequire } from "node:module"; const require = __loraWalRequire(import.meta.url);` },
  legalComments: "none",
  metafile: true,
  logLevel: "warning"
})

// The thread that transcodes ahead of `replay --jsonl` (internal/cli/transcodeThread.ts), on
// its own: it loads nothing of Effect's runtime or the CLI, ~57 KB where the modules it imports
// would cost the thread ~35 MiB of RSS. It runs only code of this repository.
await esbuild.build({
  define,
  entryPoints: [path.join(dist, "internal/transcodeWorker.js")],
  outfile: path.join(dist, "internal/transcodeWorker.bundle.js"),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  legalComments: "none",
  logLevel: "warning"
})

/** The packages whose code the bundle holds, by the node_modules folder they came from. */
const bundledPackages = [...new Set(Object.keys(result.metafile.inputs).flatMap((input) => {
  const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input)
  return match === null ? [] : [match[1]]
}))].sort()
const notices = bundledPackages.map((dir) => {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, dir, "package.json"), "utf8"))
  const licence = fs.readdirSync(path.join(root, dir)).find((f) => /^licen[sc]e/i.test(f))
  const text = licence === undefined ? `License: ${manifest.license}` : fs.readFileSync(path.join(root, dir, licence), "utf8").trim()
  return `${manifest.name}@${manifest.version}\n\n${text}\n`
})
fs.writeFileSync(
  path.join(dist, "internal/main.bundle.LICENSES.txt"),
  `The lora-wal executable (main.bundle.js) contains code of these packages, under these licences.\n\n${notices.join("\n---\n\n")}`
)
