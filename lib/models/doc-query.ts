import { EventEmitter } from 'node:events'
import { invalidArgument } from '../errors/grapevine-error'
import type { Row, RowData, RowInput } from './doc-row'
import { canonicalJSON, requireJSON } from './json'

/** A row predicate for `doc.createSet(filter)`; it sees the row as plain data. */
export type RowFilter = (row: RowData) => boolean

/** A row named by its object, its id, or anything with its `id`. */
export type RowRef = string | { readonly id: string }

/** What a live query needs from its Doc. */
export interface DocQueryHost {
  rows (): Row[]
  add (data: RowInput): Row
  get (id: string): Row | undefined
  set (id: string, fields: Record<string, unknown>): Row
  dropQuery (q: RowSet): void
}

/** The id a RowRef names, or undefined. */
export function refId (ref: unknown): string | undefined {
  if (typeof ref === 'string') return ref
  if (typeof ref === 'object' && ref !== null) {
    const id: unknown = (ref as { id?: unknown }).id
    if (typeof id === 'string') return id
  }
  return undefined
}

/**
 * A live set of rows matching a query, kept up to date as rows change here
 * or arrive from peers. Events: `'add' (row)`, `'remove' (row)` (left the
 * set: removed, or no longer matching), `'change' (row, changed)` for a
 * member whose fields changed. Call `dispose()` to stop tracking.
 */
export class RowSet extends EventEmitter {
  protected readonly members = new Map<string, Row>()
  /** The query field, or undefined for a filter query. */
  readonly field: string | undefined
  /** The value the query field must equal (a filter query: undefined). */
  readonly value: unknown
  private readonly test: (row: Row) => boolean

  constructor (protected readonly doc: DocQueryHost, field: string | RowFilter, value?: unknown) {
    super()
    this.setMaxListeners(0)
    if (typeof field === 'function') {
      this.test = (row) => field(row.toJSON())
    } else if (typeof field === 'string') {
      const want = requireJSON(value, 'query value')
      this.field = field
      this.value = value
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

  /** True when the row (or the row with this id) is in the set. */
  has (ref: RowRef): boolean {
    return this.get(ref) !== undefined
  }

  /** The member named by `ref`, or undefined. */
  get (ref: RowRef): Row | undefined {
    const id = refId(ref)
    return id === undefined ? undefined : this.members.get(id)
  }

  /** The members (order: joined the set; a RowSeq: its order). */
  rows (): Row[] {
    return [...this.members.values()]
  }

  /** Call `fn` for each member, in the order of `rows()`. */
  forEach (fn: (row: Row, index: number) => void): void {
    this.rows().forEach((row, i) => fn(row, i))
  }

  /** Call `fn` for each member now and for each row that joins later; returns the cleanup. */
  onEach (fn: (row: Row) => void): () => void {
    for (const row of this.rows()) fn(row)
    const on = (row: Row): void => fn(row)
    this.on('add', on)
    return () => { this.removeListener('add', on) }
  }

  /**
   * Take a row out of a field query's set by setting its query field to
   * null, everywhere (the row stays in the Doc). Returns the row, or
   * undefined if it was not a member. A filter query cannot do this.
   */
  remove (ref: RowRef): Row | undefined {
    if (this.field === undefined) invalidArgument('a set made from a filter cannot remove rows: change the rows instead')
    const row = this.get(ref)
    row?.set(this.field, null)
    return row
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
      this.joined(row, changed)
    } else if (!is && was) {
      this.members.delete(row.id)
      this.left(row, changed)
    } else if (is) {
      this.updated(row, changed)
    }
  }

  protected joined (row: Row, _changed: Record<string, unknown>): void {
    this.emit('add', row)
  }

  protected left (row: Row, _changed: Record<string, unknown>): void {
    this.emit('remove', row)
  }

  protected updated (row: Row, changed: Record<string, unknown>): void {
    if (Object.keys(changed).length > 0) this.emit('change', row, changed)
  }
}
