import { invalidArgument } from '../errors/grapevine-error'
import type { ReplicaOptions } from '../replica/replica'
import type { Update } from '../wire/types'
import { SeqNode, type Side } from './sequence/fugue-tree'
import { SequenceReplica } from './sequence/sequence-replica'

/** Options of `new List()`; see ReplicaOptions. */
export type ListOptions = ReplicaOptions

/** An edit as reported by List's `'change'` event. */
export type ListEdit =
  | { readonly type: 'insert', readonly index: number, readonly value: unknown }
  | { readonly type: 'delete', readonly index: number, readonly value: unknown }
  | { readonly type: 'move', readonly from: number, readonly to: number, readonly value: unknown }

/**
 * One list item. Its position is a last-writer-wins register: the slot
 * (tree element) written by the latest insert or move, by `(ts, source)`.
 */
interface Item {
  readonly value: unknown
  /** The element that created the item; its id is the item's id on the wire. */
  readonly origin: SeqNode<Item>
  slot: SeqNode<Item>
  ts: number
  src: string
  deleted: boolean
}

/**
 * A replicated ordered list (the successor of crdt's Seq and r-array).
 * Values inserted concurrently at the same index never interleave and never
 * duplicate. A move places the item at a new slot; concurrent moves of one
 * item resolve to the latest `(ts, source)`, so the item appears once.
 * A delete wins over a concurrent move.
 *
 * Events: `'insert' (index, value, update)`, `'delete' (index, value, update)`,
 * `'move' (from, to, value, update)` and `'change' (edit: ListEdit, update)`.
 */
export class List extends SequenceReplica<Item, unknown[]> {
  protected readonly movable = true

  constructor (opts: ListOptions | string = {}) {
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
    const slot = this.tree.index.at(index) as SeqNode<Item>
    const origin = slot.value.origin
    this.localUpdate(['d', [[origin.ts, origin.src, origin.k, 1]]])
    return slot.value.value
  }

  /** Move the item at `from` so that it ends at index `to` (like splice out, splice in). */
  move (from: number, to: number): this {
    checkIndex(from, this.length, 'from')
    checkIndex(to, this.length, 'to')
    if (from === to) return this
    const item = (this.tree.index.at(from) as SeqNode<Item>).value
    const origin = item.origin
    // The slot goes where `to` is once the item is taken out.
    const { parent, side } = this.tree.place(to > from ? to + 1 : to)
    this.localUpdate(['m', [origin.ts, origin.src, origin.k], this.refOf(parent), side])
    return this
  }

  /** The value at `index`, or undefined. */
  get (index: number): unknown {
    return this.tree.index.at(index)?.value.value
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
    return nodes.map((n) => n.value.value)
  }

  protected contentLength (content: unknown[]): number {
    return content.length
  }

  protected integrateInsert (update: Update, parent: SeqNode<Item>, side: Side, content: unknown[]): Array<SeqNode<Item>> {
    const [, ts, src] = update
    const nodes = this.chain(parent, side, content.length, (k, p, s) => {
      const n = new SeqNode<Item>(ts, src, k, p, s, undefined as unknown as Item) // reason: item points back at its node
      n.value = { value: content[k], origin: n, slot: n, ts, src, deleted: false }
      n.visible = true
      return n
    })
    for (const n of nodes) this.edit({ type: 'insert', index: this.tree.index.indexOf(n), value: n.value.value }, update)
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
      this.edit({ type: 'delete', index, value: item.value }, update)
    }
  }

  protected override integrateMove (update: Update, origin: SeqNode<Item>, parent: SeqNode<Item>, side: Side): SeqNode<Item> {
    const [, ts, src] = update
    const item = origin.value
    const slot = new SeqNode<Item>(ts, src, 0, parent, side, item)
    this.tree.attach(slot)
    // Last writer wins on the item's position; a losing move leaves a hidden slot.
    if (ts < item.ts || (ts === item.ts && src < item.src)) return slot
    const old = item.slot
    item.slot = slot
    item.ts = ts
    item.src = src
    if (item.deleted) return slot
    const from = this.tree.index.indexOf(old)
    this.tree.index.setVisible(old, false)
    this.tree.index.setVisible(slot, true)
    this.edit({ type: 'move', from, to: this.tree.index.indexOf(slot), value: item.value }, update)
    return slot
  }

  private edit (edit: ListEdit, update: Update): void {
    if (edit.type === 'move') this.report('move', edit.from, edit.to, edit.value, update)
    else this.report(edit.type, edit.index, edit.value, update)
    this.report('change', edit, update)
  }
}

function checkIndex (i: number, bound: number, name: string): void {
  if (!Number.isInteger(i) || i < 0 || i >= bound) invalidArgument(`${name} must be an integer in 0..${bound - 1}`)
}
