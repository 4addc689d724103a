/**
 * LoraDB mutation events: the graph changes a transaction logs.
 *
 * Ids are `bigint` (u64). Field names are camelCase here; the fixture JSON
 * form (see `LoraJson`) uses lora-wal's snake_case names.
 *
 * @since 0.1.0
 */
import type { Properties, PropertyValue } from "./PropertyValue.js"

/** @since 0.1.0 */
export interface CreateNode {
  readonly _tag: "CreateNode"
  readonly id: bigint
  readonly labels: ReadonlyArray<string>
  readonly properties: Properties
}
/** @since 0.1.0 */
export interface CreateRelationship {
  readonly _tag: "CreateRelationship"
  readonly id: bigint
  readonly src: bigint
  readonly dst: bigint
  readonly relType: string
  readonly properties: Properties
}
/** @since 0.1.0 */
export interface SetNodeProperty {
  readonly _tag: "SetNodeProperty"
  readonly nodeId: bigint
  readonly key: string
  readonly value: PropertyValue
}
/** @since 0.1.0 */
export interface RemoveNodeProperty {
  readonly _tag: "RemoveNodeProperty"
  readonly nodeId: bigint
  readonly key: string
}
/** @since 0.1.0 */
export interface AddNodeLabel {
  readonly _tag: "AddNodeLabel"
  readonly nodeId: bigint
  readonly label: string
}
/** @since 0.1.0 */
export interface RemoveNodeLabel {
  readonly _tag: "RemoveNodeLabel"
  readonly nodeId: bigint
  readonly label: string
}
/** @since 0.1.0 */
export interface SetRelationshipProperty {
  readonly _tag: "SetRelationshipProperty"
  readonly relId: bigint
  readonly key: string
  readonly value: PropertyValue
}
/** @since 0.1.0 */
export interface RemoveRelationshipProperty {
  readonly _tag: "RemoveRelationshipProperty"
  readonly relId: bigint
  readonly key: string
}
/** @since 0.1.0 */
export interface DeleteRelationship {
  readonly _tag: "DeleteRelationship"
  readonly relId: bigint
}
/** @since 0.1.0 */
export interface DeleteNode {
  readonly _tag: "DeleteNode"
  readonly nodeId: bigint
}
/** @since 0.1.0 */
export interface DetachDeleteNode {
  readonly _tag: "DetachDeleteNode"
  readonly nodeId: bigint
}
/** @since 0.1.0 */
export interface Clear {
  readonly _tag: "Clear"
}

/**
 * @since 0.1.0
 */
export type MutationEvent =
  | CreateNode
  | CreateRelationship
  | SetNodeProperty
  | RemoveNodeProperty
  | AddNodeLabel
  | RemoveNodeLabel
  | SetRelationshipProperty
  | RemoveRelationshipProperty
  | DeleteRelationship
  | DeleteNode
  | DetachDeleteNode
  | Clear
