// grapevine/r-array: code written for r-array (`var RArray = require('r-array')`)
// runs with `require('grapevine/r-array')`. Differences: docs/compat.md.
import { EventEmitter } from 'node:events'
import { invalidArgument } from '../errors/grapevine-error'
import { VectorClock } from '../clock/vector-clock'
import { List, type ListEdit } from '../models/list'
import type { Update } from '../wire/types'
import { callable } from './callable'

/**
 * r-array's replicated array on grapevine's List. Items have stable keys
 * (`keys`, `get(key)`, `indexOfKey`); `'update' (change)` maps each key
 * that changed to its value, or null when it was removed: once per local
 * call, once per update from a peer. The replica's own events (`'update'
 * (update, origin)`, `'stream'`...) are on `lifecycle`; `'_update' (update)`
 * fires for every accepted update as in scuttlebutt.
 */
class RArray extends List {
  /** The replica's lifecycle events, moved off the array's own `'update'`. */
  readonly lifecycle = new EventEmitter()
  private pendingChange: Record<string, unknown> | undefined
  private batching = 0
  private batch: Record<string, unknown> | undefined

  constructor (...items: unknown[]) {
    super({})
    this.lifecycle.setMaxListeners(0)
    if (items.length > 0) this.push(...items)
  }

  /** Item keys in list order (they name items, they do not sort like r-array's). */
  get keys (): string[] {
    return this.itemKeys()
  }

  /** `{ key: value }` of every item. */
  get store (): Record<string, unknown> {
    const out = {} as Record<string, unknown>
    const values = this.toArray()
    this.itemKeys().forEach((k, i) => { out[k] = values[i] })
    return out
  }

  /** The value of the item with this key (r-array), or at this index (grapevine). */
  override get (key: string | number): unknown {
    if (typeof key === 'number') return super.get(key)
    const i = this.indexOfKey(key)
    return i < 0 ? undefined : super.get(i)
  }

  /** Give the item with this key (or at this index) a new value; null removes it, as in r-array. */
  override set (key: string | number, value: unknown): this {
    const i = typeof key === 'number' ? key : this.indexOfKey(key)
    if (typeof key === 'string' && i < 0) invalidArgument(`no item has the key "${key}": keys name items here, use splice or insert to add one`)
    if (value === null) {
      this.delete(i)
      return this
    }
    return super.set(i, value)
  }

  /** Remove the item with this key (no-op for an unknown key). */
  unset (key: string): void {
    const i = this.indexOfKey(key)
    if (i >= 0) this.delete(i)
  }

  /** The first item's key. */
  first (): string | undefined {
    return this.keyAt(0)
  }

  /** The last item's key. */
  last (): string | undefined {
    return this.keyAt(this.length - 1)
  }

  /** The index of the first item equal (===) to `value`, or null. */
  indexOf (value: unknown): number | null {
    const i = this.toArray().indexOf(value)
    return i < 0 ? null : i
  }

  /** Array.prototype.splice; one `'update'` for the whole call. */
  override splice (start: number, deleteCount?: number, ...values: unknown[]): unknown[] {
    this.batching++
    try {
      return deleteCount === undefined && values.length === 0 ? super.splice(start) : super.splice(start, deleteCount, ...values)
    } finally {
      this.batching--
      const change = this.batch
      this.batch = undefined
      if (change !== undefined) this.emit('update', change)
    }
  }

  forEach (fn: (value: unknown, index: number, array: unknown[]) => void): void {
    this.toArray().forEach(fn)
  }

  filter (fn: (value: unknown, index: number, array: unknown[]) => unknown): unknown[] {
    return this.toArray().filter(fn)
  }

  map<T> (fn: (value: unknown, index: number, array: unknown[]) => T): T[] {
    return this.toArray().map(fn)
  }

  reduce<T> (fn: (acc: T, value: unknown, index: number, array: unknown[]) => T, initial: T): T {
    return this.toArray().reduce(fn, initial)
  }

  /** A copy kept in sync by a stream (the constructor takes items, so the base clone cannot be used). */
  override clone (): this {
    const copy = new (this.constructor as new () => this)()
    for (const u of this.history(new VectorClock())) copy.receive(u, undefined)
    const a = this.createStream()
    a.pipe(copy.createStream()).pipe(a)
    return copy
  }

  protected override edit (edit: ListEdit, update: Update): void {
    super.edit(edit, update)
    const c = this.pendingChange ?? (this.pendingChange = {} as Record<string, unknown>)
    c[edit.key] = edit.type === 'delete' ? null : edit.value
  }

  protected override applyUpdate (update: Update): boolean {
    const ok = super.applyUpdate(update)
    const change = this.pendingChange
    this.pendingChange = undefined
    if (!ok || change === undefined) return ok
    if (this.batching > 0 && update[2] === this.id) this.batch = Object.assign(this.batch ?? {} as Record<string, unknown>, change)
    else this.afterCommit(() => this.emit('update', change))
    return ok
  }

  protected override emitControl (name: string, ...args: unknown[]): void {
    this.lifecycle.emit(name, ...args)
    if (name === 'update') this.emit('_update', args[0])
    if (name === 'dispose') this.emit('dispose')
  }
}

export = callable(RArray)
