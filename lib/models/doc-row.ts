import { EventEmitter } from 'node:events'
import { invalidArgument } from '../errors/grapevine-error'
import type { Update } from '../wire/types'

/** A field's winning write: its value and the update that wrote it. */
export interface FieldWrite {
  readonly value: unknown
  readonly by: Update
}

/** A row as plain data: `id` plus its fields. */
export type RowData = { id: string } & Record<string, unknown>

/** Fields of a new row; without `id` the Doc makes one. */
export type RowInput = { id?: string } & Record<string, unknown>

/** The face a Doc shows its rows, so a Row never imports the Doc class. */
export interface RowHost {
  /** Write fields of a live row (skips unchanged ones); false when the row is not live. */
  writeFields (id: string, fields: ReadonlyArray<readonly [string, unknown]>): boolean
  /** Remove the row everywhere. */
  rm (id: string): boolean
}

/**
 * One row of a Doc: a live view, the same object for the row's whole life.
 * Events: `'change' (changed: Record<field, value>, update)` and
 * `'remove' (update)`.
 */
export class Row extends EventEmitter {
  /** @internal Winning write per field (all newer than the latest removal). */
  readonly fields = new Map<string, FieldWrite>()
  /** @internal Latest removal, if any. */
  rmBy: Update | undefined
  /** @internal Latest add newer than `rmBy`: the row is live while this is set. */
  bornBy: Update | undefined

  constructor (private readonly host: RowHost, readonly id: string) {
    super()
    this.setMaxListeners(0)
  }

  /** True while the row exists (added and not removed since). */
  get live (): boolean {
    return this.bornBy !== undefined
  }

  /** The value of a field (`get('id')` is the id), or undefined. */
  get (field: string): unknown {
    if (field === 'id') return this.id
    return this.fields.get(field)?.value
  }

  /**
   * Set one field, or several at once from an object, everywhere. On a
   * removed row this does nothing (a removed row only comes back through
   * `doc.add`).
   */
  set (field: string | Record<string, unknown>, value?: unknown): this {
    const entries: Array<[string, unknown]> = []
    if (typeof field === 'string') {
      entries.push([field, value])
    } else if (typeof field === 'object' && field !== null) {
      for (const k of Object.keys(field)) entries.push([k, Object.getOwnPropertyDescriptor(field, k)?.value])
    } else {
      invalidArgument('row.set takes a field name and a value, or an object of fields')
    }
    const writes: Array<[string, unknown]> = []
    for (const [k, v] of entries) {
      if (k === 'id') {
        if (v !== this.id) invalidArgument('a row\'s id cannot change')
        continue
      }
      writes.push([k, v])
    }
    this.host.writeFields(this.id, writes)
    return this
  }

  /** Remove this row everywhere. */
  rm (): boolean {
    return this.host.rm(this.id)
  }

  /** The row's current fields and id as a plain object: a snapshot, like `toJSON()`. */
  get state (): RowData {
    return this.toJSON()
  }

  /** The row as a plain object (field names such as `__proto__` stay data). */
  toJSON (): RowData {
    const out = { id: this.id } as RowData
    const keys = [...this.fields.keys()].sort()
    for (const k of keys) {
      Object.defineProperty(out, k, { value: (this.fields.get(k) as FieldWrite).value, enumerable: true, writable: true, configurable: true })
    }
    return out
  }
}
