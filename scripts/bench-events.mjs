// The event every commit benchmark logs: one CreateNode with a 40-byte string
// property, prebuilt like the peers' payloads (a 1-event transaction is 189 B).
export const benchEvent = (i) => ({
  _tag: "CreateNode",
  id: BigInt(i),
  labels: ["Bench"],
  properties: new Map([["payload", { _tag: "String", value: "x".repeat(40) }]])
})
