import { crashSuite } from "./crashSuite.js"

// A killed process (at a random instant, or after a failed fsync that dropped
// data as Linux does), a reopen that takes new commits, then a power loss.
crashSuite("crash recovery: killed process or failed fsync, then power loss", ["ProcessCrash", "FsyncFailure"], 1042)
