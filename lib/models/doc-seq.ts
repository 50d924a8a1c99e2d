import { invalidArgument } from '../errors/grapevine-error'
import { compareUpdates } from '../replica/compare'
import type { Update } from '../wire/types'
import { Row, type RowData, type RowInput } from './doc-row'
import { RowSet, refId, type DocQueryHost, type RowFilter, type RowRef } from './doc-query'
import { sortBetween } from './sort-key'

/** What a RowSeq can place: a new row's fields, a row, or the id of a row of the Doc. */
export type SeqItem = RowInput | Row | string

/** Sort rank of a `_sort` value: numbers, then strings, then anything else (or none). */
function rank (v: unknown): number {
  return typeof v === 'number' ? 0 : typeof v === 'string' ? 1 : 2
}

/** Order of a RowSeq: `_sort` (numbers < strings < missing), then the latest add `(ts, source)`. */
export function compareRows (a: Row, b: Row): number {
  const va = a.get('_sort')
  const vb = b.get('_sort')
  const ra = rank(va)
  const rb = rank(vb)
  if (ra !== rb) return ra - rb
  if (ra < 2 && va !== vb) return (va as number | string) < (vb as number | string) ? -1 : 1
  const c = compareUpdates(a.bornBy as Update, b.bornBy as Update)
  return c !== 0 ? c : a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/**
 * A live, ordered query (`doc.createSeq(field, value)` or
 * `createSeq(filter)`), the successor of crdt's Seq. Order: `_sort`, then
 * creation. Placing a row writes its `_sort` (a string key that leaves room
 * on both sides; see sort-key.ts) and, for a field query, the query field.
 * Events as RowSet, plus `'add' (row, index)`, `'remove' (row, index)` and
 * `'move' (row, from, to)` when a change of `_sort` moves a member.
 */
export class RowSeq extends RowSet {
  private order: Row[] = []

  constructor (doc: DocQueryHost, field: string | RowFilter, value?: unknown) {
    super(doc, field, value)
    this.order = [...this.members.values()].sort(compareRows)
  }

  /** Members in order. */
  toArray (): Row[] {
    return [...this.order]
  }

  override rows (): Row[] {
    return this.toArray()
  }

  /** The member at `index` (negative counts from the end), or undefined. */
  at (index: number): Row | undefined {
    return this.order.at(index)
  }

  /** Position of the member (or the member with this id), or -1. */
  indexOf (ref: RowRef): number {
    const row = this.get(ref)
    return row === undefined ? -1 : this.order.indexOf(row)
  }

  /** The first member, or undefined. */
  first (): Row | undefined {
    return this.order[0]
  }

  /** The last member, or undefined. */
  last (): Row | undefined {
    return this.order.at(-1)
  }

  /** The member after `ref`; without a member `ref`, the first member. */
  next (ref?: RowRef): Row | undefined {
    const i = ref === undefined ? -1 : this.indexOf(ref)
    return this.order[i + 1]
  }

  /** The member before `ref`; without a member `ref`, the last member. */
  prev (ref?: RowRef): Row | undefined {
    const i = ref === undefined ? -1 : this.indexOf(ref)
    return i < 0 ? this.order.at(-1) : this.order[i - 1]
  }

  /** Members as plain data, in order. */
  override toJSON (): RowData[] {
    return this.order.map((r) => r.toJSON())
  }

  /** Place `item` at the end; returns its row. */
  push (item: SeqItem): Row {
    return this.insert(item, this.last(), undefined)
  }

  /** Place `item` at the start; returns its row. */
  unshift (item: SeqItem): Row {
    return this.insert(item, undefined, this.first())
  }

  /** Place `item` right before the member `ref`. */
  before (item: SeqItem, ref: RowRef): Row {
    const at = this.member(ref)
    return this.insert(item, this.prev(at), at)
  }

  /** Place `item` right after the member `ref`. */
  after (item: SeqItem, ref: RowRef): Row {
    const at = this.member(ref)
    return this.insert(item, at, this.next(at))
  }

  /**
   * Place `item` between the members `lo` and `hi` (either may be
   * undefined: the start, the end). A new row's fields are written with
   * `doc.set` (an existing row keeps its other fields); a row or an id
   * moves that row here, into the sequence if it was not a member.
   */
  insert (item: SeqItem, lo?: RowRef, hi?: RowRef): Row {
    const a = lo === undefined ? undefined : this.get(lo)
    const b = hi === undefined ? undefined : this.get(hi)
    return this.put(item, this.keyBetween(a, b))
  }

  /** Take the last member out of the sequence (see `remove`); returns it. */
  pop (): Row | undefined {
    const row = this.last()
    return row === undefined ? undefined : this.remove(row)
  }

  /** Take the first member out of the sequence (see `remove`); returns it. */
  shift (): Row | undefined {
    const row = this.first()
    return row === undefined ? undefined : this.remove(row)
  }

  private member (ref: RowRef): Row {
    const row = this.get(ref)
    if (row === undefined) invalidArgument(`row "${String(refId(ref))}" is not in this sequence`)
    return row
  }

  /** A `_sort` value between two members' (null: among the rows without a key, at the end). */
  private keyBetween (lo: Row | undefined, hi: Row | undefined): unknown {
    const lv = lo?.get('_sort')
    if (lo !== undefined && rank(lv) === 2) return null
    const hv = hi === undefined || rank(hi.get('_sort')) === 2 ? undefined : hi.get('_sort')
    // No room (equal neighbours): tie with `lo`; creation order breaks the tie.
    return sortBetween(lv, hv) ?? lv ?? hv
  }

  private put (item: SeqItem, sort: unknown): Row {
    const fields: Record<string, unknown> = { _sort: sort }
    if (this.field !== undefined) Object.defineProperty(fields, this.field, { value: this.value, enumerable: true, writable: true, configurable: true })
    if (typeof item === 'string' || item instanceof Row) {
      const row = this.doc.get(typeof item === 'string' ? item : item.id)
      if (row === undefined) invalidArgument(`row "${typeof item === 'string' ? item : item.id}" is not in the doc`)
      return row.set(fields)
    }
    if (typeof item !== 'object' || item === null) invalidArgument('insert takes new fields, a row, or a row id')
    const data: Record<string, unknown> = {}
    for (const k of Object.keys(item)) Object.defineProperty(data, k, { value: Object.getOwnPropertyDescriptor(item, k)?.value, enumerable: true, writable: true, configurable: true })
    for (const k of Object.keys(fields)) Object.defineProperty(data, k, { value: fields[k], enumerable: true, writable: true, configurable: true })
    const id = data.id
    if (id === undefined) return this.doc.add(data)
    if (typeof id !== 'string') invalidArgument('a row id must be a string')
    delete data.id
    return this.doc.set(id, data)
  }

  private place (row: Row): number {
    let lo = 0
    let hi = this.order.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (compareRows(this.order[mid] as Row, row) < 0) lo = mid + 1
      else hi = mid
    }
    this.order.splice(lo, 0, row)
    return lo
  }

  protected override joined (row: Row, _changed: Record<string, unknown>): void {
    this.emit('add', row, this.place(row))
  }

  protected override left (row: Row, _changed: Record<string, unknown>): void {
    const i = this.order.indexOf(row)
    if (i >= 0) this.order.splice(i, 1)
    this.emit('remove', row, i)
  }

  protected override updated (row: Row, changed: Record<string, unknown>): void {
    const from = this.order.indexOf(row)
    // Re-place when the order key (or the creation, after a re-add) may have moved.
    this.order.splice(from, 1)
    const to = this.place(row)
    if (to !== from) this.emit('move', row, from, to)
    if (Object.keys(changed).length > 0) this.emit('change', row, changed)
  }
}
