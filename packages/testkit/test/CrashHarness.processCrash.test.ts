import { crashSuite } from "./crashSuite.js"

// A process killed at a random instant; the reopened log takes new commits; then a power loss.
crashSuite("crash recovery: killed process, then power loss", ["ProcessCrash"], 1042)
