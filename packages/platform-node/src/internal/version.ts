/**
 * The package's version, read from its package.json (which every install of
 * the package has, next to `dist/`): what `lora-wal --version` prints.
 */
import { readFileSync } from "node:fs"

/** @internal */
export const version: string = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version
