import { crashSuite } from "./crashSuite.js"

// An fsync fails and drops its data as Linux does; the process dies; the
// reopened log takes new commits; then a power loss.
crashSuite("crash recovery: failed fsync, killed process, then power loss", ["FsyncFailure"], 2042)
