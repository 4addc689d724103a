import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import { ArchiveStore } from "@lora-wal/core/ArchiveStore"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { archiveLocation } from "./archiveUrl.js"
import { describe, failed, forEachChunk, jsonOption, runBody } from "./common.js"
import { Output } from "./output.js"

export const archiveLsCommand = Command.make(
  "archive-ls",
  {
    url: Args.text({ name: "URL" }).pipe(Args.withDescription("the archive: file:///absolute/path or s3://bucket/prefix")),
    json: jsonOption
  },
  ({ json, url }) =>
    runBody(Effect.gen(function*() {
      const location = yield* archiveLocation(url)
      const output = yield* Output
      const store = yield* Effect.provide(ArchiveStore, location.layer)
      const objects = Stream.mapError(store.list(location.prefix), (e) => failed(e.message))
      yield* forEachChunk(objects, (chunk) => {
        let text = ""
        for (const { key, size } of chunk) {
          const name = key.slice(location.prefix.length)
          text += json ? `${JSON.stringify({ key: name, size })}\n` : `${String(size).padStart(12)}  ${name}\n`
        }
        return output.out(text)
      })
    }))
).pipe(Command.withDescription(describe(
  "List an archive's objects (segments/<segment>.wal: a sealed segment; .partial-<bytes>: a copy of the active one's first bytes), with their sizes.",
  "lora-wal archive-ls file:///mnt/backup/app"
)))
