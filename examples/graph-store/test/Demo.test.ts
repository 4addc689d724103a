import { NodeContext } from "@effect/platform-node"
import { describe, expect, it, onTestFinished } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { round } from "../src/Demo.js"
import * as NodeDirLock from "@lora-wal/platform-node/NodeDirLock"

describe("the demo", () => {
  it.live("two SIGKILLed writer rounds: every acknowledged query comes back, none half-applied", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lora-wal-demo-test-"))
      onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }))
      for (const killAfter of [45, 100]) {
        const report = yield* round(dir, killAfter)
        expect(report.acknowledged).toBeGreaterThanOrEqual(killAfter)
        expect(report.missing).toEqual([])
        expect(report.partial).toEqual([])
        expect(report.recovered).toBeGreaterThanOrEqual(report.acknowledged)
      }
      fs.rmSync(dir, { recursive: true, force: true })
    }).pipe(Effect.provide(Layer.merge(NodeContext.layer, NodeDirLock.layer))), 60_000)
})
