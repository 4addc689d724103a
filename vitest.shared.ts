import { fileURLToPath } from "node:url"
import type { ViteUserConfig } from "vitest/config"

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src`, import.meta.url))

/** Tests run against the TypeScript sources, not dist, so no build is needed first. */
export const shared: ViteUserConfig = {
  resolve: {
    alias: [
      { find: /^@lora-wal\/core$/, replacement: `${src("core")}/index.ts` },
      { find: /^@lora-wal\/core\/(.*)$/, replacement: `${src("core")}/$1.ts` },
      { find: /^@lora-wal\/testkit$/, replacement: `${src("testkit")}/index.ts` },
      { find: /^@lora-wal\/testkit\/(.*)$/, replacement: `${src("testkit")}/$1.ts` },
      { find: /^@lora-wal\/platform-node$/, replacement: `${src("platform-node")}/index.ts` },
      { find: /^@lora-wal\/platform-node\/(.*)$/, replacement: `${src("platform-node")}/$1.ts` }
    ]
  }
}
