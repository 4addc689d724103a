/**
 * The smallest `withMaxOpsBeforeYield` budget under which Effect's runtime
 * still runs a fiber to completion: under budgets 1 to 9 a bare loop of 20
 * `yieldNow` never finishes (measured on effect 3.22.4), whatever our code.
 */
export const MIN_BUDGET = 10
