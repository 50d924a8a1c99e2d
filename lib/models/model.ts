import type { VectorClock } from '../clock/vector-clock'
import { invalidArgument } from '../errors/grapevine-error'
import { Replica, type ReplicaOptions } from '../replica/replica'
import { compareUpdates, wins } from '../replica/compare'
import type { Update } from '../wire/types'

/** A Model change: `[key, value]` sets, `[key]` deletes. */
export type ModelChange = readonly [key: string] | readonly [key: string, value: unknown]

/** Options of `new Model()`; see ReplicaOptions. */
export type ModelOptions = ReplicaOptions

function isModelChange (c: unknown): c is ModelChange {
  return Array.isArray(c) && (c.length === 1 || c.length === 2) && typeof c[0] === 'string'
}

/**
 * Last-writer-wins key/value map, wire-compatible with `scuttlebutt/model`
 * (`change = [key, value]`). Ties are broken by `(ts, source)`, so every
 * replica picks the same winner. A delete is a clocked update (`[key]`), so
 * it reaches peers that were offline. Any string is a key.
 *
 * Events: `'change' (key, value, update)` and `'change:<key>' (value, update)`;
 * a delete reports `value === undefined`.
 */
export class Model extends Replica {
  /** Winning update per key; deletes stay as tombstones so they replicate. */
  private readonly store = new Map<string, Update<ModelChange>>()
  private live = 0

  constructor (opts: ModelOptions | string = {}) {
    super(opts)
  }

  /** Set `key` to `value` (any JSON value but `undefined`). */
  set (key: string, value: unknown): this {
    if (typeof key !== 'string') invalidArgument('key must be a string')
    if (value === undefined) invalidArgument('value must not be undefined; use delete(key)')
    this.localUpdate([key, value])
    return this
  }

  /** The value of `key`, or undefined. */
  get (key: string): unknown {
    const u = this.store.get(key)
    return u !== undefined && u[0].length === 2 ? u[0][1] : undefined
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
    const u = this.store.get(key)
    return u !== undefined && u[0].length === 2
  }

  /** Number of keys holding a value (O(1)). */
  get size (): number {
    return this.live
  }

  /** Number of deleted keys still kept as tombstones. */
  get tombstones (): number {
    return this.store.size - this.live
  }

  /** Keys holding a value. */
  keys (): string[] {
    const out: string[] = []
    for (const [k, u] of this.store) if (u[0].length === 2) out.push(k)
    return out
  }

  /** `[key, value]` pairs. */
  * entries (): IterableIterator<[string, unknown]> {
    for (const [k, u] of this.store) if (u[0].length === 2) yield [k, u[0][1]]
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
    const cur = this.store.get(key)
    if (cur !== undefined && !wins(update, cur)) return true // superseded: accepted, no effect
    const u = update as Update<ModelChange>
    this.store.set(key, u)
    const wasLive = cur !== undefined && cur[0].length === 2
    const isLive = change.length === 2
    this.live += (isLive ? 1 : 0) - (wasLive ? 1 : 0)
    const value = isLive ? change[1] : undefined
    this.emit('change', key, value, update)
    this.emit(`change:${key}`, value, update)
    return true
  }

  history (clock: VectorClock): Update[] {
    const out: Update[] = []
    for (const u of this.store.values()) if (clock.isNewer(u[2], u[1])) out.push(u)
    return out.sort(compareUpdates)
  }
}
