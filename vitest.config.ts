import { defineConfig } from "vitest/config"
import { shared } from "./vitest.shared.js"

// The project list lives here (test.projects) rather than in vitest.workspace.ts:
// Vitest 3.2 deprecates the workspace file and prints a warning on every run.
export default defineConfig({
  ...shared,
  test: {
    projects: ["packages/core", "packages/testkit", "packages/platform-node", "examples/graph-store"].map((root) => ({
      ...shared,
      test: {
        name: root.split("/")[1]!,
        root,
        include: ["test/**/*.test.ts"],
        ...(root === "packages/platform-node" || root === "examples/graph-store"
          ? { globalSetup: ["../../packages/platform-node/test/globalSetup.ts"] }
          : {}),
        testTimeout: 120_000,
        hookTimeout: 120_000
      }
    }))
  }
})
