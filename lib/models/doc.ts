import type { VectorClock } from '../clock/vector-clock'
import { invalidArgument } from '../errors/grapevine-error'
import { Replica, createId, type ReplicaOptions } from '../replica/replica'
import { compareUpdates, wins } from '../replica/compare'
import type { Update } from '../wire/types'
import { Row, type RowData, type RowHost, type RowInput } from './doc-row'
import { RowSet, type RowFilter, type DocQueryHost } from './doc-query'
import { RowSeq } from './doc-seq'
import { canonicalJSON, cloneJSON, requireJSON } from './json'

/** Fields as sent on the wire: `[[field, value], ...]` (never `id`). */
export type DocFields = ReadonlyArray<readonly [string, unknown]>

/**
 * A Doc change: `['add', id, fields]` creates (or brings back) a row,
 * `['set', id, fields]` writes fields, `['rm', id]` removes the row.
 */
export type DocChange =
  | readonly ['add', string, DocFields]
  | readonly ['set', string, DocFields]
  | readonly ['rm', string]

/** Options of `new Doc()`; see ReplicaOptions. */
export type DocOptions = ReplicaOptions

function isFields (f: unknown): f is DocFields {
  if (!Array.isArray(f)) return false
  for (const p of f as unknown[]) {
    if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'string' || p[0] === 'id') return false
    if (canonicalJSON(p[1]) === undefined) return false
  }
  return true
}

/** Own enumerable fields of a caller's object, read as data (`__proto__` stays a field). */
function ownFields (o: object): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const k of Object.keys(o)) Object.defineProperty(out, k, { value: Object.getOwnPropertyDescriptor(o, k)?.value, enumerable: true, writable: true, configurable: true })
  return out
}

function isDocChange (c: unknown): c is DocChange {
  if (!Array.isArray(c) || typeof c[1] !== 'string') return false
  if (c[0] === 'rm') return c.length === 2
  return (c[0] === 'add' || c[0] === 'set') && c.length === 3 && isFields(c[2])
}

/** What happened to a row in one update, as the Doc announces it. */
export type RowEvent = 'add' | 'change' | 'remove'

/**
 * A replicated document of rows (the successor of crdt's Doc). Each field
 * is last-writer-wins by `(ts, source)`. A removal is a clocked tombstone:
 * it reaches peers that were offline, and every write to the row that is
 * not newer than the removal is dropped, so a concurrent field write never
 * brings back a half row. Only a later `add` (or `doc.set`) of the same id
 * brings the row back (with its fields, and any field written after the
 * removal).
 *
 * Events: `'add' (row, update)`, `'remove' (row, update)`,
 * `'change' (row, changed, update)` where `changed` maps field to new value.
 * `doc.set(id, fields)` is an upsert: it creates (or brings back) a row
 * that is not live.
 */
export class Doc extends Replica implements RowHost, DocQueryHost {
  /** Every row ever seen here, live or not, by id. */
  protected readonly all = new Map<string, Row>()
  private readonly queries = new Set<RowSet>()
  private liveCount = 0

  constructor (opts: DocOptions | string = {}) {
    super(opts)
  }

  /**
   * Create a row (or bring a removed one back) from `{ id, ...fields }`;
   * returns it. Without an `id` a fresh random one is used.
   */
  add (data: RowInput): Row {
    if (typeof data !== 'object' || data === null) invalidArgument('add takes an object of fields')
    const own = Object.getOwnPropertyDescriptor(data, 'id')?.value as unknown
    if (own !== undefined && typeof own !== 'string') invalidArgument('a row id must be a string')
    const id = own ?? createId()
    const fields: Array<[string, unknown]> = []
    for (const k of Object.keys(data)) {
      if (k === 'id') continue
      const v: unknown = Object.getOwnPropertyDescriptor(data, k)?.value
      requireJSON(v, `field "${k}"`)
      fields.push([k, cloneJSON(v)])
    }
    this.localUpdate(['add', id, fields])
    return this.all.get(id) as Row
  }

  /** The live row with this id, or undefined. */
  get (id: string): Row | undefined {
    return this.liveRow(id)
  }

  /** The live row with this id (what `get` means here; a subclass may widen `get`). */
  protected liveRow (id: string): Row | undefined {
    const r = this.all.get(id)
    return r !== undefined && r.live ? r : undefined
  }

  /** True when a live row has this id. */
  has (id: string): boolean {
    return this.liveRow(id) !== undefined
  }

  /**
   * Set fields of a row (`doc.set(id, field, value)` or `doc.set(id, {..})`),
   * creating it, or bringing it back if it was removed, when it is not live.
   */
  set (id: string, field: string | Record<string, unknown>, value?: unknown): Row {
    if (typeof id !== 'string') invalidArgument('id must be a string')
    const r = this.liveRow(id)
    if (r !== undefined) return r.set(field, value)
    const data: Record<string, unknown> = typeof field === 'string' ? { [field]: value } : field
    if (typeof data !== 'object' || data === null) invalidArgument('doc.set takes a field name and a value, or an object of fields')
    const fields = ownFields(data)
    if (fields.id !== undefined && fields.id !== id) invalidArgument('a row\'s id cannot change')
    return this.add({ ...fields, id })
  }

  /** Remove a row everywhere. Returns whether it was live. */
  rm (id: string): boolean {
    if (typeof id !== 'string') invalidArgument('id must be a string')
    if (this.liveRow(id) === undefined) return false
    this.localUpdate(['rm', id])
    return true
  }

  /** Number of live rows. */
  get size (): number {
    return this.liveCount
  }

  /** Removed rows still held as tombstones (one per id; see docs/types.md). */
  get tombstones (): number {
    let n = 0
    for (const r of this.all.values()) if (!r.live && r.rmBy !== undefined) n++
    return n
  }

  /** Live rows, in order of first appearance here. */
  rows (): Row[] {
    return [...this.all.values()].filter((r) => r.live)
  }

  /** `{ id: row }` for every live row (ids such as `__proto__` stay data). */
  toJSON (): Record<string, RowData> {
    const out: Record<string, RowData> = {}
    for (const r of this.rows()) Object.defineProperty(out, r.id, { value: r.toJSON(), enumerable: true, writable: true, configurable: true })
    return out
  }

  /** A live set of the rows whose `field` equals `value`, or that pass `filter(row.toJSON())`. */
  createSet (field: string | RowFilter, value?: unknown): RowSet {
    return this.keep(new RowSet(this, field, value))
  }

  /**
   * A live, ordered sequence of the rows whose `field` equals `value` (or
   * that pass `filter`): ordered by their `_sort` field (numbers before
   * strings, rows without one last), ties by the latest add `(ts, source)`.
   */
  createSeq (field: string | RowFilter, value?: unknown): RowSeq {
    return this.keep(new RowSeq(this, field, value))
  }

  /** Keep a query up to date from now on. */
  protected keep<Q extends RowSet> (q: Q): Q {
    this.queries.add(q)
    return q
  }

  /** The row object for `id`, live or not; made (not replicated) if this replica never saw the id. */
  protected rowFor (id: string): Row {
    if (typeof id !== 'string') invalidArgument('id must be a string')
    let row = this.all.get(id)
    if (row === undefined) {
      row = this.createRow(id)
      this.all.set(id, row)
    }
    return row
  }

  /** Make the object of a new row (a subclass may return its own Row subclass). */
  protected createRow (id: string): Row {
    return new Row(this, id)
  }

  /** @internal Used by RowSet.dispose. */
  dropQuery (q: RowSet): void {
    this.queries.delete(q)
  }

  /** @internal Write fields of a live row, skipping unchanged ones. */
  writeFields (id: string, fields: ReadonlyArray<readonly [string, unknown]>): boolean {
    const r = this.liveRow(id)
    if (r === undefined) return false
    const out: Array<[string, unknown]> = []
    for (const [k, v] of fields) {
      if (typeof k !== 'string' || k === 'id') invalidArgument('field names are strings other than "id"')
      const text = requireJSON(v, `field "${k}"`)
      if (canonicalJSON(r.get(k)) !== text) out.push([k, cloneJSON(v)])
    }
    if (out.length > 0) this.localUpdate(['set', id, out])
    return true
  }

  protected applyUpdate (update: Update): boolean {
    const change = update[0]
    if (!isDocChange(change)) return false
    const id = change[1]
    const row = this.rowFor(id)
    const wasLive = row.live
    const changed = new Map<string, unknown>()
    if (row.rmBy !== undefined && !wins(update, row.rmBy)) return true // not newer than the removal: dropped
    if (change[0] === 'rm') {
      row.rmBy = update
      if (row.bornBy !== undefined && !wins(row.bornBy, update)) row.bornBy = undefined
      for (const [k, w] of [...row.fields]) {
        if (!wins(w.by, update)) row.fields.delete(k)
      }
    } else {
      if (change[0] === 'add' && (row.bornBy === undefined || wins(update, row.bornBy))) row.bornBy = update
      for (const [k, v] of change[2]) {
        const cur = row.fields.get(k)
        if (cur === undefined || wins(update, cur.by)) {
          row.fields.set(k, { value: v, by: update })
          changed.set(k, v)
        }
      }
    }
    this.report(row, wasLive, changed, update)
    return true
  }

  /** Emit events and refresh live queries after one row changed. */
  private report (row: Row, wasLive: boolean, changed: Map<string, unknown>, update: Update): void {
    const isLive = row.live
    if (!wasLive && !isLive) return // writes to a missing row stay invisible
    if (isLive !== wasLive) this.liveCount += isLive ? 1 : -1
    const diff: Record<string, unknown> = {}
    for (const [k, v] of changed) Object.defineProperty(diff, k, { value: v, enumerable: true, writable: true, configurable: true })
    const event: RowEvent | undefined = !wasLive ? 'add' : !isLive ? 'remove' : changed.size > 0 ? 'change' : undefined
    this.afterCommit(() => {
      if (event !== undefined) this.announce(event, row, diff, update)
      for (const q of this.queries) q.refresh(row, diff)
    })
  }

  /** Emit the events of one row's change (after commit; live queries refresh right after). */
  protected announce (event: RowEvent, row: Row, changed: Record<string, unknown>, update: Update): void {
    if (event === 'add') {
      this.emit('add', row, update)
    } else if (event === 'remove') {
      row.emit('remove', update)
      this.emit('remove', row, update)
    } else {
      row.emit('change', changed, update)
      this.emit('change', row, changed, update)
    }
  }

  history (clock: VectorClock): Update[] {
    const seen = new Set<Update>()
    for (const r of this.all.values()) {
      if (r.rmBy !== undefined) seen.add(r.rmBy)
      if (r.bornBy !== undefined) seen.add(r.bornBy)
      for (const w of r.fields.values()) seen.add(w.by)
    }
    const out: Update[] = []
    for (const u of seen) if (clock.isNewer(u[2], u[1])) out.push(u)
    return out.sort(compareUpdates)
  }
}
