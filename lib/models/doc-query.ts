import { EventEmitter } from 'node:events'
import { invalidArgument } from '../errors/grapevine-error'
import { compareUpdates } from '../replica/compare'
import type { Update } from '../wire/types'
import type { Row, RowData } from './doc-row'
import { canonicalJSON, requireJSON } from './json'

/** A row predicate for `doc.createSet(filter)`; it sees the row as plain data. */
export type RowFilter = (row: RowData) => boolean

/** What a live query needs from its Doc. */
export interface DocQueryHost {
  rows (): Row[]
  add (data: RowData): Row
  dropQuery (q: RowSet): void
}

/**
 * A live set of rows matching a query, kept up to date as rows change here
 * or arrive from peers. Events: `'add' (row)`, `'remove' (row)` (left the
 * set: removed, or no longer matching), `'change' (row, changed)` for a
 * member whose fields changed. Call `dispose()` to stop tracking.
 */
export class RowSet extends EventEmitter {
  protected readonly members = new Map<string, Row>()
  private readonly test: (row: Row) => boolean

  constructor (protected readonly doc: DocQueryHost, field: string | RowFilter, value?: unknown) {
    super()
    this.setMaxListeners(0)
    if (typeof field === 'function') {
      this.test = (row) => field(row.toJSON())
    } else if (typeof field === 'string') {
      const want = requireJSON(value, 'query value')
      this.test = (row) => canonicalJSON(row.get(field)) === want
    } else {
      invalidArgument('createSet takes a field and a value, or a filter function')
    }
    for (const row of doc.rows()) if (this.test(row)) this.members.set(row.id, row)
  }

  /** Number of matching rows. */
  get size (): number {
    return this.members.size
  }

  /** True when the row with this id is in the set. */
  has (id: string): boolean {
    return this.members.has(id)
  }

  /** The member with this id, or undefined. */
  get (id: string): Row | undefined {
    return this.members.get(id)
  }

  /** The members (order: joined the set). */
  rows (): Row[] {
    return [...this.members.values()]
  }

  /** The members as plain data. */
  toJSON (): RowData[] {
    return this.rows().map((r) => r.toJSON())
  }

  /** Stop tracking; the set keeps its last contents. */
  dispose (): void {
    this.doc.dropQuery(this)
  }

  /** @internal Called by the Doc after `row` changed (`changed`: fields that moved). */
  refresh (row: Row, changed: Record<string, unknown>): void {
    const was = this.members.has(row.id)
    const is = row.live && this.test(row)
    if (is && !was) {
      this.members.set(row.id, row)
      this.joined(row)
    } else if (!is && was) {
      this.members.delete(row.id)
      this.left(row)
    } else if (is) {
      this.updated(row, changed)
    }
  }

  protected joined (row: Row): void {
    this.emit('add', row)
  }

  protected left (row: Row): void {
    this.emit('remove', row)
  }

  protected updated (row: Row, changed: Record<string, unknown>): void {
    if (Object.keys(changed).length > 0) this.emit('change', row, changed)
  }
}

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
 * A live, ordered query (`doc.createSeq(field, value)`), the successor of
 * crdt's Seq. Order: `_sort`, then creation. Events as RowSet, plus
 * `'add' (row, index)`, `'remove' (row, index)` and `'move' (row, from, to)`
 * when a change of `_sort` moves a member.
 */
export class RowSeq extends RowSet {
  private order: Row[] = []

  constructor (doc: DocQueryHost, private readonly field: string, private readonly value: unknown) {
    super(doc, field, value)
    this.order = this.rows().sort(compareRows)
  }

  /** Members in order. */
  toArray (): Row[] {
    return [...this.order]
  }

  /** The member at `index` (negative counts from the end), or undefined. */
  at (index: number): Row | undefined {
    return this.order.at(index)
  }

  /** Position of the member with this id, or -1. */
  indexOf (id: string): number {
    return this.order.findIndex((r) => r.id === id)
  }

  /** Members as plain data, in order. */
  override toJSON (): RowData[] {
    return this.order.map((r) => r.toJSON())
  }

  /** Add a row at the end (sets the query field and a `_sort` past the last). */
  push (data: RowData): Row {
    return this.put(data, this.edgeSort(this.order.at(-1), 1))
  }

  /** Add a row at the start (sets the query field and a `_sort` before the first). */
  unshift (data: RowData): Row {
    return this.put(data, this.edgeSort(this.order.at(0), -1))
  }

  private edgeSort (edge: Row | undefined, step: number): number {
    const v = edge?.get('_sort')
    return typeof v === 'number' ? v + step : 0
  }

  private put (data: RowData, sort: number): Row {
    const row = { ...data, _sort: sort } as RowData
    Object.defineProperty(row, this.field, { value: this.value, enumerable: true, writable: true, configurable: true })
    return this.doc.add(row)
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

  protected override joined (row: Row): void {
    this.emit('add', row, this.place(row))
  }

  protected override left (row: Row): void {
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
