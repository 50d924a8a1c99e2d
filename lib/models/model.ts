import type { VectorClock } from '../clock/vector-clock'
import { invalidArgument } from '../errors/grapevine-error'
import { Replica, type ReplicaOptions } from '../replica/replica'
import type { Update } from '../wire/types'
import { LwwStore } from './lww-store'

/** A Model change: `[key, value]` sets, `[key]` and `[key, null]` delete. */
export type ModelChange = readonly [key: string] | readonly [key: string, value: unknown]

/** Options of `new Model()`; see ReplicaOptions. */
export type ModelOptions = ReplicaOptions

function isKeyEvent (name: string | symbol): boolean {
  return typeof name === 'string' && name.startsWith('change:')
}

function isModelChange (c: unknown): c is ModelChange {
  return Array.isArray(c) && (c.length === 1 || c.length === 2) && typeof c[0] === 'string'
}

/**
 * Last-writer-wins key/value map, wire-compatible with `scuttlebutt/model`
 * (`change = [key, value]`). Ties are broken by `(ts, source)`, so every
 * replica picks the same winner. A delete is a clocked update (`[key]`), so
 * it reaches peers that were offline. `null` is a delete too (`[key, null]`):
 * that is how a scuttlebutt peer deletes (its `[key, undefined]` is JSON
 * `[key, null]`), and its `toJSON` drops nulls, so both sides show the same
 * keys. Any string is a key.
 *
 * Events: `'change' (key, value, update)` and `'change:<key>' (value, update)`;
 * a delete reports `value` undefined (`delete`) or null (`set(key, null)`).
 */
export class Model extends Replica {
  /** Winning update per key, indexed by source; deletes stay as tombstones so they replicate. */
  private readonly store = new LwwStore()
  /** Listeners of 'change:<key>' events; without any, no event name is built per update. */
  private keyListeners = 0

  constructor (opts: ModelOptions | string = {}) {
    super(opts)
    // Plain functions, called with the emitter as `this`: nothing here holds
    // on to the instance, so a compat constructor may copy it onto another.
    this.on('newListener', Model.countKeyListener)
    this.on('removeListener', Model.uncountKeyListener)
  }

  private static countKeyListener (this: Model, name: string | symbol): void {
    if (isKeyEvent(name)) this.keyListeners++
  }

  private static uncountKeyListener (this: Model, name: string | symbol): void {
    if (isKeyEvent(name)) this.keyListeners--
  }

  /** Set `key` to `value` (any JSON value but `undefined`); `null` deletes it, as in scuttlebutt. */
  set (key: string, value: unknown): this {
    if (typeof key !== 'string') invalidArgument('key must be a string')
    if (value === undefined) invalidArgument('value must not be undefined; use delete(key)')
    this.localUpdate([key, value])
    return this
  }

  /** The value of `key`; undefined when absent or deleted, null when deleted by `set(key, null)`. */
  get (key: string): unknown {
    return this.store.get(key)
  }

  /** Delete `key` everywhere (a tombstone that replicates). */
  delete (key: string): boolean {
    if (typeof key !== 'string') invalidArgument('key must be a string')
    const had = this.has(key)
    this.localUpdate([key])
    return had
  }

  /** True when `key` holds a value. */
  has (key: string): boolean {
    return this.store.has(key)
  }

  /** Number of keys holding a value (O(1)). */
  get size (): number {
    return this.store.size
  }

  /** Number of deleted keys (`delete` or `set(key, null)`) still kept as tombstones. */
  get tombstones (): number {
    return this.store.keyCount - this.store.size
  }

  /** Keys holding a value. */
  keys (): string[] {
    const out: string[] = []
    for (const [k] of this.store.entries()) out.push(k)
    return out
  }

  /** `[key, value]` pairs. */
  * entries (): IterableIterator<[string, unknown]> {
    yield * this.store.entries()
  }

  /** Call `fn(value, key)` for each key holding a value. */
  forEach (fn: (value: unknown, key: string) => void): void {
    for (const [k, v] of this.entries()) fn(v, k)
  }

  /** A plain object of the live keys (keys such as `__proto__` stay data). */
  toJSON (): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    for (const [k, v] of this.entries()) {
      Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true })
    }
    return out
  }

  protected applyUpdate (update: Update): boolean {
    const change = update[0]
    if (!isModelChange(change)) return false
    const key = change[0]
    const value = change.length === 2 ? change[1] : undefined
    if (change.length === 2 && value === undefined) return false // undefined is not JSON
    // null (a scuttlebutt delete) is stored as null: a delete that keeps its wire form.
    // Superseded: accepted, no effect.
    if (!this.store.put(key, value, update[1], update[2], update[3])) return true
    this.changed(key, value, update)
    return true
  }

  /** An update won `key`: queue its events (a subclass may add its own). */
  protected changed (key: string, value: unknown, update: Update): void {
    if (this.keyListeners > 0 || this.listenerCount('change') > 0) {
      this.afterCommit(() => {
        this.emit('change', key, value, update)
        if (this.keyListeners > 0) this.emit(`change:${key}`, value, update)
      })
    }
  }

  /**
   * Updates a peer at `clock` misses, ordered by `(ts, source)`. Served from
   * per-source logs, so the cost is proportional to what is missing, and
   * lazily: a stream pulls it as the peer reads, so a large initial sync
   * never holds the whole history at once. Spread it for an array.
   */
  history (clock: VectorClock): Iterable<Update> {
    return this.store.history(clock)
  }
}
