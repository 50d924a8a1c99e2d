import { invalidArgument } from '../errors/grapevine-error'
import type { ReplicaOptions } from '../replica/replica'
import type { Update } from '../wire/types'
import { SeqNode, type Side } from './sequence/fugue-tree'
import { itemKey, parseItemKey } from './sequence/item-key'
import { SequenceReplica } from './sequence/sequence-replica'

/** Options of `new List()`; see ReplicaOptions. */
export type ListOptions = ReplicaOptions

/** An edit as reported by List's `'change'` event; `key` is the item's stable key. */
export type ListEdit =
  | { readonly type: 'insert', readonly index: number, readonly value: unknown, readonly key: string }
  | { readonly type: 'delete', readonly index: number, readonly value: unknown, readonly key: string }
  | { readonly type: 'move', readonly from: number, readonly to: number, readonly value: unknown, readonly key: string }
  | { readonly type: 'set', readonly index: number, readonly value: unknown, readonly previous: unknown, readonly key: string }

/**
 * One list item. Its position and its value are each a last-writer-wins
 * register by `(ts, source)`: the slot (tree element) of the latest insert
 * or move, and the value of the latest insert or replace.
 */
interface Item {
  /** The value the insert carried (what `history` sends for it). */
  readonly initial: unknown
  value: unknown
  vts: number
  vsrc: string
  /** The element that created the item; its id is the item's id on the wire. */
  readonly origin: SeqNode<Item>
  slot: SeqNode<Item>
  ts: number
  src: string
  deleted: boolean
}

function later (ts: number, src: string, thanTs: number, thanSrc: string): boolean {
  return ts > thanTs || (ts === thanTs && src > thanSrc)
}

/**
 * A replicated ordered list (the successor of crdt's Seq and r-array).
 * Values inserted concurrently at the same index never interleave and never
 * duplicate. A move places the item at a new slot; concurrent moves of one
 * item resolve to the latest `(ts, source)`, so the item appears once.
 * `set` replaces an item's value in place (concurrent replaces: the latest
 * wins). A delete wins over a concurrent move or replace.
 *
 * Events: `'insert' (index, value, update)`, `'delete' (index, value, update)`,
 * `'move' (from, to, value, update)`, `'set' (index, value, previous, update)`
 * and `'change' (edit: ListEdit, update)`.
 */
export class List extends SequenceReplica<Item, unknown[]> {
  protected readonly kinds = { move: true, set: true }

  /** A list holding `values`, as one insert. */
  static from (values: Iterable<unknown>, opts: ListOptions = {}): List {
    const l = new List(opts)
    l.push(...values)
    return l
  }

  constructor (opts: ListOptions = {}) {
    // r-array's `new RArray('a', 'b')` holds items: a string here must not quietly become the id.
    if (typeof opts !== 'object' || opts === null) invalidArgument('new List(opts) takes an options object: new List({ id }), or List.from(values) for a list of values (grapevine/r-array for RArray)')
    super(opts, undefined as unknown as Item) // reason: the root element holds no item
  }

  /** Insert `value` (any JSON value but undefined) at `index` (0 ..= length). */
  insert (index: number, value: unknown): this {
    checkIndex(index, this.length + 1, 'index')
    return this.insertValues(index, [value])
  }

  /** Append values at the end (one update); returns the new length. */
  push (...values: unknown[]): number {
    this.insertValues(this.length, values)
    return this.length
  }

  /** Prepend values (one update); returns the new length. */
  unshift (...values: unknown[]): number {
    this.insertValues(0, values)
    return this.length
  }

  /** Delete the item at `index`; returns its value. */
  delete (index: number): unknown {
    checkIndex(index, this.length, 'index')
    const item = this.itemAt(index)
    this.deleteItems([item])
    return item.value
  }

  /** Remove and return the last value (undefined when empty). */
  pop (): unknown {
    return this.length === 0 ? undefined : this.delete(this.length - 1)
  }

  /** Remove and return the first value (undefined when empty). */
  shift (): unknown {
    return this.length === 0 ? undefined : this.delete(0)
  }

  /** Replace the value at `index` in place (the item keeps its key and position). */
  set (index: number, value: unknown): this {
    checkIndex(index, this.length, 'index')
    if (value === undefined) invalidArgument('values must not be undefined')
    const origin = this.itemAt(index).origin
    this.localUpdate(['s', [origin.ts, origin.src, origin.k], value])
    return this
  }

  /**
   * Array.prototype.splice: from `start` (negative counts from the end),
   * remove `deleteCount` items (default: to the end) and insert `values`
   * there; returns the removed values. Removed items that new values take
   * the place of are replaced in place (`set`, as r-array did), the rest
   * deleted (one update), the remaining values inserted (one update).
   */
  splice (start: number, deleteCount?: number, ...values: unknown[]): unknown[] {
    if (typeof start !== 'number' || Number.isNaN(start)) invalidArgument('start must be a number')
    if (values.some((v) => v === undefined)) invalidArgument('values must not be undefined')
    const len = this.length
    const from = Math.trunc(start) < 0 ? Math.max(len + Math.trunc(start), 0) : Math.min(Math.trunc(start), len)
    const count = deleteCount === undefined ? len - from : Math.min(Math.max(Math.trunc(Number(deleteCount)) || 0, 0), len - from)
    const items: Item[] = []
    for (let i = 0; i < count; i++) items.push(this.itemAt(from + i))
    const removed = items.map((it) => it.value)
    const replaced = Math.min(count, values.length)
    for (let i = 0; i < replaced; i++) this.set(from + i, values[i])
    this.deleteItems(items.slice(replaced))
    this.insertValues(from + replaced, values.slice(replaced))
    return removed
  }

  /** Move the item at `from` so that it ends at index `to` (like splice out, splice in). */
  move (from: number, to: number): this {
    checkIndex(from, this.length, 'from')
    checkIndex(to, this.length, 'to')
    if (from === to) return this
    const origin = this.itemAt(from).origin
    // The slot goes where `to` is once the item is taken out.
    const { parent, side } = this.tree.place(to > from ? to + 1 : to)
    this.localUpdate(['m', [origin.ts, origin.src, origin.k], this.refOf(parent), side])
    return this
  }

  /** The value at `index`, or undefined. */
  get (index: number): unknown {
    return this.tree.index.at(index)?.value.value
  }

  /** The stable key of the item at `index` (it survives moves and replaces), or undefined. */
  keyAt (index: number): string | undefined {
    const item = this.tree.index.at(index)?.value
    return item === undefined ? undefined : itemKey(item.origin.ts, item.origin.src, item.origin.k)
  }

  /** The keys of the items, in order. */
  itemKeys (): string[] {
    const out: string[] = []
    for (const n of this.tree.index.visibleFrom(0)) out.push(itemKey(n.value.origin.ts, n.value.origin.src, n.value.origin.k))
    return out
  }

  /** The index of the item with this key, or -1 (unknown or deleted). */
  indexOfKey (key: string): number {
    const ref = parseItemKey(key)
    const item = ref === undefined ? undefined : this.resolve(ref, true)?.value
    if (item === undefined || item.deleted || item.origin.k !== ref?.[2]) return -1
    return this.tree.index.indexOf(item.slot)
  }

  /** Number of items. */
  get length (): number {
    return this.tree.length
  }

  /** The values, in order. */
  toArray (): unknown[] {
    const out: unknown[] = []
    for (const n of this.tree.index.visibleFrom(0)) out.push(n.value.value)
    return out
  }

  * [Symbol.iterator] (): IterableIterator<unknown> {
    for (const n of this.tree.index.visibleFrom(0)) yield n.value.value
  }

  toJSON (): unknown[] {
    return this.toArray()
  }

  private itemAt (index: number): Item {
    return (this.tree.index.at(index) as SeqNode<Item>).value
  }

  private deleteItems (items: Item[]): void {
    if (items.length === 0) return
    const runs: Array<[number, string, number, number]> = []
    for (const { origin: o } of items) {
      const last = runs[runs.length - 1]
      if (last !== undefined && last[0] === o.ts && last[1] === o.src && last[2] + last[3] === o.k) last[3]++
      else runs.push([o.ts, o.src, o.k, 1])
    }
    this.localUpdate(['d', runs])
  }

  private insertValues (index: number, values: unknown[]): this {
    if (values.length === 0) return this
    if (values.some((v) => v === undefined)) invalidArgument('values must not be undefined')
    const { parent, side } = this.tree.place(index)
    this.localUpdate(['i', this.refOf(parent), side, values])
    return this
  }

  protected isContent (x: unknown): x is unknown[] {
    return Array.isArray(x) && x.length > 0
  }

  protected contentOf (nodes: ReadonlyArray<SeqNode<Item>>): unknown[] {
    return nodes.map((n) => n.value.initial)
  }

  protected contentLength (content: unknown[]): number {
    return content.length
  }

  protected integrateInsert (update: Update, parent: SeqNode<Item>, side: Side, content: unknown[]): Array<SeqNode<Item>> {
    const [, ts, src] = update
    const nodes = this.chain(parent, side, content.length, (k, p, s) => {
      const n = new SeqNode<Item>(ts, src, k, p, s, undefined as unknown as Item) // reason: item points back at its node
      n.value = { initial: content[k], value: content[k], vts: ts, vsrc: src, origin: n, slot: n, ts, src, deleted: false }
      n.visible = true
      return n
    })
    for (const n of nodes) this.edit({ type: 'insert', index: this.tree.index.indexOf(n), value: n.value.value, key: itemKey(ts, src, n.k) }, update)
    return nodes
  }

  protected integrateDelete (update: Update, targets: Array<SeqNode<Item>>): void {
    for (const origin of targets) {
      const item = origin.value
      if (item.deleted) continue
      item.deleted = true
      const slot = item.slot
      if (!slot.visible) continue
      const index = this.tree.index.indexOf(slot)
      this.tree.index.setVisible(slot, false)
      this.edit({ type: 'delete', index, value: item.value, key: itemKey(origin.ts, origin.src, origin.k) }, update)
    }
  }

  protected override integrateMove (update: Update, origin: SeqNode<Item>, parent: SeqNode<Item>, side: Side): SeqNode<Item> {
    const [, ts, src] = update
    const item = origin.value
    const slot = new SeqNode<Item>(ts, src, 0, parent, side, item)
    this.tree.attach(slot)
    // Last writer wins on the item's position; a losing move leaves a hidden slot.
    if (!later(ts, src, item.ts, item.src)) return slot
    const old = item.slot
    item.slot = slot
    item.ts = ts
    item.src = src
    if (item.deleted) return slot
    const from = this.tree.index.indexOf(old)
    this.tree.index.setVisible(old, false)
    this.tree.index.setVisible(slot, true)
    this.edit({ type: 'move', from, to: this.tree.index.indexOf(slot), value: item.value, key: itemKey(origin.ts, origin.src, origin.k) }, update)
    return slot
  }

  protected override integrateSet (update: Update, origin: SeqNode<Item>, value: unknown): void {
    const [, ts, src] = update
    const item = origin.value
    // Last writer wins on the item's value; a losing replace changes nothing.
    if (!later(ts, src, item.vts, item.vsrc)) return
    const previous = item.value
    item.value = value
    item.vts = ts
    item.vsrc = src
    if (item.deleted) return
    this.edit({ type: 'set', index: this.tree.index.indexOf(item.slot), value, previous, key: itemKey(origin.ts, origin.src, origin.k) }, update)
  }

  /** Report one edit (a subclass may watch edits as they are integrated). */
  protected edit (edit: ListEdit, update: Update): void {
    if (edit.type === 'move') this.report('move', edit.from, edit.to, edit.value, update)
    else if (edit.type === 'set') this.report('set', edit.index, edit.value, edit.previous, update)
    else this.report(edit.type, edit.index, edit.value, update)
    this.report('change', edit, update)
  }
}

function checkIndex (i: number, bound: number, name: string): void {
  if (!Number.isInteger(i) || i < 0 || i >= bound) invalidArgument(`${name} must be an integer in 0..${bound - 1}`)
}
