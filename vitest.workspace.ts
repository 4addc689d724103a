import type { TestProjectInlineConfiguration } from "vitest/config"
import { shared } from "./vitest.shared.js"

const packages = ["packages/core", "packages/testkit", "packages/platform-node", "examples/graph-store"]
/** Packages whose tests spawn the CLI or child processes, which need the built JavaScript. */
const needsBuild = new Set(["packages/platform-node", "examples/graph-store"])

/**
 * The test projects, one per package. `vitest.config.ts` passes this list as
 * `test.projects`: Vitest 3.2 reads a workspace file on its own only when no
 * projects are configured, and then prints a deprecation warning.
 */
const projects: Array<TestProjectInlineConfiguration> = packages.map((root) => ({
  ...shared,
  test: {
    name: root.split("/")[1]!,
    root,
    include: ["test/**/*.test.ts"],
    ...(needsBuild.has(root) ? { globalSetup: ["../../packages/platform-node/test/globalSetup.ts"] } : {}),
    testTimeout: 120_000,
    hookTimeout: 120_000
  }
}))

export default projects
