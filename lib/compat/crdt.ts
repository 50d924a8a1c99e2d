// grapevine/crdt: code written for crdt@3 (`var crdt = require('crdt')`)
// runs with `require('grapevine/crdt')`. Differences: docs/compat.md.
import type { Duplex } from 'node:stream'
import { invalidArgument } from '../errors/grapevine-error'
import { Doc as GDoc, type DocOptions, type RowEvent } from '../models/doc'
import { Row as GRow, type RowData, type RowInput } from '../models/doc-row'
import { RowSet, type RowFilter } from '../models/doc-query'
import { RowSeq } from '../models/doc-seq'
import { canonicalJSON } from '../models/json'
import type { StreamOptions } from '../stream/replica-stream'
import type { Update } from '../wire/types'
import { callable } from './callable'

/** A crdt Row: `get()` without a key is the whole state; events as crdt's. */
class Row extends GRow {
  /** `get(key)` as grapevine; `get()` the row as data (crdt's `row.state`). */
  override get (field?: string): unknown {
    return field === undefined ? this.state : super.get(field)
  }
}

function asObject (pairs: ReadonlyArray<readonly [string, unknown]>): Record<string, unknown> {
  const o: Record<string, unknown> = {}
  for (const [k, v] of pairs) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true })
  return o
}

/** crdt's Set events on top of grapevine's: `'changes' (row, changed)` for every change seen by a member. */
class Set extends RowSet {
  constructor (doc: Doc, field: string | RowFilter, value?: unknown) {
    super(doc, field, value)
    doc.adopt(this)
  }

  /** The members, as an array. */
  asArray (): GRow[] {
    return this.rows()
  }

  /** Same as forEach. */
  each (fn: (row: GRow, index: number) => void): void {
    this.forEach(fn)
  }

  /** Same as remove. */
  rm (ref: string | { readonly id: string }): GRow | undefined {
    return this.remove(ref)
  }

  /** The members as data, ordered by `_sort` (or id) as crdt did. */
  override toJSON (): RowData[] {
    const key = (r: RowData): unknown => r._sort ?? r.id
    return super.toJSON().sort((a, b) => {
      const x = key(a) as string
      const y = key(b) as string
      return x < y ? -1 : x > y ? 1 : 0
    })
  }

  protected override joined (row: GRow, changed: Record<string, unknown>): void {
    super.joined(row, changed)
    this.emit('changes', row, changed)
  }

  protected override left (row: GRow, changed: Record<string, unknown>): void {
    this.emit('changes', row, changed)
    super.left(row, changed)
  }

  protected override updated (row: GRow, changed: Record<string, unknown>): void {
    super.updated(row, changed)
    this.emit('changes', row, changed)
  }
}

/** crdt's Seq: a grapevine RowSeq with `length()`, `asArray`, `each`, `rm` and `'changes'`. */
class Seq extends RowSeq {
  constructor (doc: Doc, field: string | RowFilter, value?: unknown) {
    super(doc, field, value)
    doc.adopt(this)
  }

  /** The member at `index`; as in crdt a negative index is nothing (not counted from the end). */
  override at (index: number): GRow | undefined {
    return index < 0 ? undefined : super.at(index)
  }

  /** Number of members (a method, as in crdt). */
  length (): number {
    return this.size
  }

  /** The members in order. */
  asArray (): GRow[] {
    return this.toArray()
  }

  /** Same as forEach. */
  each (fn: (row: GRow, index: number) => void): void {
    this.forEach(fn)
  }

  /** Same as remove. */
  rm (ref: string | { readonly id: string }): GRow | undefined {
    return this.remove(ref)
  }

  protected override joined (row: GRow, changed: Record<string, unknown>): void {
    super.joined(row, changed)
    this.emit('changes', row, changed)
  }

  protected override left (row: GRow, changed: Record<string, unknown>): void {
    this.emit('changes', row, changed)
    super.left(row, changed)
  }

  protected override updated (row: GRow, changed: Record<string, unknown>): void {
    super.updated(row, changed)
    this.emit('changes', row, changed)
  }
}

/**
 * crdt's Doc on grapevine's: `get(id)` makes the row if needed (it is
 * replicated once a field is set), writing to a row that is not live
 * creates it, `createSet`/`createSeq` are cached per query, and the events
 * crdt emitted fire too: doc `'create'`, `'row_update'`; row
 * `'changes'`, `'update'`, `'removed'`.
 */
class Doc extends GDoc {
  private readonly cache = new Map<string, RowSet>()

  constructor (opts: DocOptions | string = {}) {
    super(opts)
  }

  /** The row with this id, made here if this replica has none (crdt's `doc.get`). */
  override get (id: string): Row {
    return this.rowFor(id) as Row
  }

  override add (data: RowInput): Row {
    return super.add(data) as Row
  }

  override set (id: string, field: string | Record<string, unknown>, value?: unknown): Row {
    return super.set(id, field, value) as Row
  }

  /** Cached per (field, value), as crdt did; a filter makes a new set each time. */
  override createSet (field: string | RowFilter, value?: unknown): Set {
    return this.cached('set', field, value, () => new Set(this, field, value)) as Set
  }

  /** Cached per (field, value), separately from sets. */
  override createSeq (field: string | RowFilter, value?: unknown): Seq {
    return this.cached('seq', field, value, () => new Seq(this, field, value)) as Seq
  }

  /** @internal Keep a Set or Seq made with `new` up to date. */
  adopt (q: RowSet): void {
    this.keep(q)
  }

  /** @internal A write to a row that is not live creates it (crdt's rows came to life on any write). */
  override writeFields (id: string, fields: ReadonlyArray<readonly [string, unknown]>): boolean {
    if (this.liveRow(id) !== undefined) return super.writeFields(id, fields)
    const data = asObject(fields)
    if (data.id !== undefined && data.id !== id) invalidArgument('a row\'s id cannot change')
    this.add({ ...data, id })
    return true
  }

  protected override createRow (id: string): GRow {
    return new Row(this, id)
  }

  protected override announce (event: RowEvent, row: GRow, changed: Record<string, unknown>, update: Update): void {
    if (event === 'remove') {
      row.emit('removed')
      super.announce(event, row, changed, update)
      return
    }
    super.announce(event, row, changed, update)
    if (event === 'add') this.emit('create', row)
    const change = update[0] as readonly [string, string, ReadonlyArray<readonly [string, unknown]>]
    row.emit('update', update, changed)
    row.emit('changes', asObject(change[2]), changed)
    if (event === 'add') row.emit('change', changed) // grapevine's row 'change' fires for changes after the add
    this.emit('row_update', row)
  }

  private cached (kind: string, field: string | RowFilter, value: unknown, make: () => RowSet): RowSet {
    const text = typeof field === 'string' ? canonicalJSON(value) : undefined
    if (text === undefined) return make()
    const key = `${kind}\0${field as string}\0${text}`
    let q = this.cache.get(key)
    if (q === undefined) this.cache.set(key, q = make())
    return q
  }
}

/** Pipe two docs together (crdt's `crdt.sync(a, b)`); returns a's stream. */
function sync (a: Doc, b: Doc): Duplex {
  const as = a.createStream()
  return as.pipe(b.createStream()).pipe(as)
}

/** `doc.createStream(opts)`, as a function. */
function createStream (doc: Doc, opts?: StreamOptions): Duplex {
  return doc.createStream(opts)
}

const crdt = Object.assign(callable(Doc), { Doc: undefined as unknown as ReturnType<typeof callable<typeof Doc>>, Row, Set, Seq, sync, createStream })
crdt.Doc = crdt

export = crdt
