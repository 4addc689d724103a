/**
 * LoraDB mutation events: the graph changes a transaction logs.
 *
 * Ids are `bigint` (u64). Field names are camelCase here; the fixture JSON
 * form (see `LoraJson`) uses lora-wal's snake_case names.
 *
 * @since 0.1.0
 */
import type { Properties, PropertyValue } from "./PropertyValue.js"

/**
 * A node created with its labels and properties.
 *
 * @since 0.1.0
 * @category models
 */
export interface CreateNode {
  readonly _tag: "CreateNode"
  readonly id: bigint
  readonly labels: ReadonlyArray<string>
  readonly properties: Properties
}

/**
 * A relationship of type `relType` created from node `src` to node `dst`, with its properties.
 *
 * @since 0.1.0
 * @category models
 */
export interface CreateRelationship {
  readonly _tag: "CreateRelationship"
  readonly id: bigint
  readonly src: bigint
  readonly dst: bigint
  readonly relType: string
  readonly properties: Properties
}

/**
 * One property of a node set (added or replaced).
 *
 * @since 0.1.0
 * @category models
 */
export interface SetNodeProperty {
  readonly _tag: "SetNodeProperty"
  readonly nodeId: bigint
  readonly key: string
  readonly value: PropertyValue
}

/**
 * One property removed from a node.
 *
 * @since 0.1.0
 * @category models
 */
export interface RemoveNodeProperty {
  readonly _tag: "RemoveNodeProperty"
  readonly nodeId: bigint
  readonly key: string
}

/**
 * A label added to a node.
 *
 * @since 0.1.0
 * @category models
 */
export interface AddNodeLabel {
  readonly _tag: "AddNodeLabel"
  readonly nodeId: bigint
  readonly label: string
}

/**
 * A label removed from a node.
 *
 * @since 0.1.0
 * @category models
 */
export interface RemoveNodeLabel {
  readonly _tag: "RemoveNodeLabel"
  readonly nodeId: bigint
  readonly label: string
}

/**
 * One property of a relationship set (added or replaced).
 *
 * @since 0.1.0
 * @category models
 */
export interface SetRelationshipProperty {
  readonly _tag: "SetRelationshipProperty"
  readonly relId: bigint
  readonly key: string
  readonly value: PropertyValue
}

/**
 * One property removed from a relationship.
 *
 * @since 0.1.0
 * @category models
 */
export interface RemoveRelationshipProperty {
  readonly _tag: "RemoveRelationshipProperty"
  readonly relId: bigint
  readonly key: string
}

/**
 * A relationship deleted.
 *
 * @since 0.1.0
 * @category models
 */
export interface DeleteRelationship {
  readonly _tag: "DeleteRelationship"
  readonly relId: bigint
}

/**
 * A node deleted (Cypher's `DELETE`); {@link DetachDeleteNode} is a node
 * deleted with its relationships.
 *
 * @since 0.1.0
 * @category models
 */
export interface DeleteNode {
  readonly _tag: "DeleteNode"
  readonly nodeId: bigint
}

/**
 * A node deleted with all its relationships (Cypher's `DETACH DELETE`).
 *
 * @since 0.1.0
 * @category models
 */
export interface DetachDeleteNode {
  readonly _tag: "DetachDeleteNode"
  readonly nodeId: bigint
}

/**
 * The whole graph cleared: every node and relationship removed.
 *
 * @since 0.1.0
 * @category models
 */
export interface Clear {
  readonly _tag: "Clear"
}

/**
 * Any LoraDB graph change: what the default codec (`LoraCodec.codec`) writes
 * and what replay of a LoraDB log yields. Switch on `_tag`.
 *
 * @since 0.1.0
 * @category models
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
