import { defineConfig } from "vitest/config"
import { shared } from "./vitest.shared.js"
import projects from "./vitest.workspace.js"

export default defineConfig({
  ...shared,
  test: { projects }
})
