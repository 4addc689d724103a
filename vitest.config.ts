import { defineConfig } from "vitest/config"
import { BaseSequencer, type TestSpecification } from "vitest/node"
import { shared } from "./vitest.shared.js"
import projects from "./vitest.workspace.js"

/** The slowest test files, slowest first (measured: 60 to 180 seconds each on the 2-core VM). */
const slowest = [
  "CrashHarness.fsyncFailure.test.ts",
  "CrashHarness.processCrash.test.ts",
  "CrashHarness.powerLoss.test.ts",
  "NodeWal.test.ts",
  "Fuzz.test.ts",
  "Safeguards.test.ts",
  "NodeDirLock.race.test.ts"
]
const rank = (file: TestSpecification) => {
  const index = slowest.findIndex((name) => file.moduleId.endsWith(`/${name}`))
  return index === -1 ? slowest.length : index
}

/**
 * Starts the slowest files first so that both workers finish together. Vitest
 * would order a fresh clone (no timing cache) by file size, which starts the
 * small crash-suite files last and leaves one worker running them alone.
 */
class SlowestFirst extends BaseSequencer {
  override async sort(files: Array<TestSpecification>): Promise<Array<TestSpecification>> {
    return [...files].sort((a, b) => rank(a) - rank(b))
  }
}

export default defineConfig({
  ...shared,
  test: {
    projects,
    sequence: { sequencer: SlowestFirst },
    // Vitest runs one worker per core less one: a single worker on this 2-core VM.
    // The test files are CPU-bound and independent, so use both cores.
    maxWorkers: 2,
    minWorkers: 1
  }
})
