import { isSourceId, isTimestamp } from '../../wire/types'
import type { Side } from './fugue-tree'

/** An element id on the wire: the k-th element of the update `(ts, source)`. */
export type ElementRef = readonly [ts: number, source: string, k: number]

/** A run of elements on the wire: elements k .. k+n-1 of the update `(ts, source)`. */
export type ElementRun = readonly [ts: number, source: string, k: number, n: number]

/**
 * An insert: `['i', parent, side, content]`. `parent` is the element the new
 * ones hang on (null: the start), `side` 0 (left) or 1 (right). Content is
 * a string (Text, one element per UTF-16 code unit) or an array (List).
 */
export type InsertChange<C> = readonly ['i', ElementRef | null, Side, C]

/** A delete: `['d', runs]`, each run naming elements (List: items) to remove. */
export type DeleteChange = readonly ['d', readonly ElementRun[]]

/** A List move: `['m', item, parent, side]` places `item` at a new position. */
export type MoveChange = readonly ['m', ElementRef, ElementRef | null, Side]

/** A List replace: `['s', item, value]` gives `item` a new value (last writer wins). */
export type SetChange = readonly ['s', ElementRef, unknown]

/** Any sequence change. */
export type SequenceChange<C> = InsertChange<C> | DeleteChange | MoveChange | SetChange

/** Which change kinds beyond insert and delete a sequence type accepts. */
export interface ChangeKinds {
  readonly move: boolean
  readonly set: boolean
}

const MAX_INDEX = 2 ** 31

function isCount (v: unknown, min: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v < MAX_INDEX
}

/** An `ElementRef` from peer data. */
export function isElementRef (v: unknown): v is ElementRef {
  return Array.isArray(v) && v.length === 3 && isTimestamp(v[0]) && isSourceId(v[1]) && isCount(v[2], 0)
}

/** An `ElementRun` from peer data. */
export function isElementRun (v: unknown): v is ElementRun {
  return Array.isArray(v) && v.length === 4 && isTimestamp(v[0]) && isSourceId(v[1]) && isCount(v[2], 0) && isCount(v[3], 1)
}

function isParent (ref: unknown, side: unknown): boolean {
  // The start of the document has only a right side.
  return (side === 0 || side === 1) && (ref === null ? side === 1 : isElementRef(ref))
}

/**
 * Shape-check a change from a peer. `content` validates insert content;
 * moves and replaces only when `kinds` allows them. Returns the change or undefined.
 */
export function parseChange<C> (c: unknown, content: (x: unknown) => x is C, kinds: ChangeKinds): SequenceChange<C> | undefined {
  if (!Array.isArray(c) || c.length < 2) return undefined
  switch (c[0]) {
    case 'i':
      return c.length === 4 && isParent(c[1], c[2]) && content(c[3]) ? c as unknown as InsertChange<C> : undefined
    case 'd':
      return c.length === 2 && Array.isArray(c[1]) && c[1].length > 0 && (c[1] as unknown[]).every(isElementRun) ? c as unknown as DeleteChange : undefined
    case 'm':
      return kinds.move && c.length === 4 && isElementRef(c[1]) && isParent(c[2], c[3]) ? c as unknown as MoveChange : undefined
    case 's':
      // A value decoded from JSON is never undefined; a local one is checked by List.set.
      return kinds.set && c.length === 3 && isElementRef(c[1]) && c[2] !== undefined ? c as unknown as SetChange : undefined
    default:
      return undefined
  }
}
