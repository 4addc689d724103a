import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

/** The golden scenarios written by lora-wal 0.8.3 (the repository's copy), read in place and never modified. */
export const fixturesRoot = fileURLToPath(new URL("../../../fixtures/lora-wal-0.8.3", import.meta.url))

export interface ErrorJson {
  readonly variant: string
  readonly display: string
}

export interface ReplayJson {
  readonly ok: boolean
  readonly error?: ErrorJson
  readonly event_count?: number
  readonly max_lsn?: string
  readonly torn_tail?: {
    readonly segment_file: string
    readonly segment_path: string
    readonly last_good_offset: string
    readonly error: ErrorJson
  } | null
  readonly checkpoint_lsn_observed?: string | null
  readonly committed_events?: ReadonlyArray<unknown>
}

export interface Scenario {
  readonly name: string
  readonly dir: string
  readonly walDir: string
  readonly expected: {
    readonly segments: ReadonlyArray<{ readonly file: string; readonly base_lsn: string }>
    readonly files: ReadonlyArray<Record<string, unknown>>
    readonly replay_dir: ReadonlyArray<{ readonly fence: string; readonly result: ReplayJson }>
  }
  readonly ops: { readonly ops: ReadonlyArray<Record<string, any>> }
}

export const scenarios: ReadonlyArray<Scenario> = fs
  .readdirSync(fixturesRoot)
  .filter((name) => fs.existsSync(path.join(fixturesRoot, name, "wal")))
  .sort()
  .map((name) => {
    const dir = path.join(fixturesRoot, name)
    const read = (file: string) => JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"))
    return { name, dir, walDir: path.join(dir, "wal"), expected: read("expected.json"), ops: read("ops.json") }
  })

/** Every event committed through `commit_tx` in a scenario's ops, in order. */
export const committedThroughOps = (scenario: Scenario): Array<unknown> =>
  scenario.ops.ops.filter((op) => op.op === "commit_tx").flatMap((op) => op.events as Array<unknown>)

/**
 * Where this library deliberately differs from lora-wal 0.8.3 in read-only
 * replay (fixtures README, "Where this library deliberately differs").
 */
export const corruptionScenarios = new Set(["crc-corrupt-active-middle", "crc-corrupt-sealed"])

/** The fixture result, without Rust's `debug` strings, with this library's torn-tail classification. */
export const expectedJson = (scenario: string, result: ReplayJson): ReplayJson => {
  const { error, torn_tail, ...rest } = result as any
  if (error) {
    return { ...rest, error: { variant: error.variant, display: error.display, ...(error.io_kind ? { io_kind: error.io_kind } : {}) } }
  }
  return {
    ...rest,
    torn_tail: torn_tail && {
      ...torn_tail,
      error: { variant: torn_tail.error.variant, display: torn_tail.error.display },
      classification: corruptionScenarios.has(scenario) ? "corruption" : "torn-tail"
    }
  }
}

