import { crashSuite } from "./crashSuite.js"

// Power lost at a random instant; the recovered log takes new commits; power lost again.
crashSuite("crash recovery: power loss", ["PowerLoss"], 42)
