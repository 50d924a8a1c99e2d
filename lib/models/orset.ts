import type { VectorClock } from '../clock/vector-clock'
import { Replica, type ReplicaOptions } from '../replica/replica'
import { compareUpdates } from '../replica/compare'
import { isSourceId, isTimestamp, type SourceId, type Update } from '../wire/types'
import { canonicalJSON, cloneJSON, requireJSON } from './json'

/**
 * An ORSet change. `['add', value]` adds, tagged by the update's own
 * `(source, ts)`. `['delete', value, [[source, ts], ...]]` removes the adds
 * it observed: per source, every add of `value` up to that timestamp.
 */
export type ORSetChange =
  | readonly ['add', unknown]
  | readonly ['delete', unknown, ReadonlyArray<readonly [string, number]>]

/** Options of `new ORSet()`; see ReplicaOptions. */
export type ORSetOptions = ReplicaOptions

/** What the set holds about one element (by canonical JSON). */
interface Entry {
  value: unknown
  /** Latest add per source that no delete has covered. */
  adds: Map<SourceId, Update>
  /** Per source, adds up to this ts are removed (the tombstone). */
  removed: Map<SourceId, number>
  /** Deletes not dominated by another delete: what a peer needs to learn the tombstone. */
  deletes: Update[]
}

function isContext (c: unknown, ts: number): c is ReadonlyArray<readonly [SourceId, number]> {
  if (!Array.isArray(c) || c.length === 0) return false
  const seen = new Set<string>()
  for (const p of c as unknown[]) {
    if (!Array.isArray(p) || p.length !== 2 || !isSourceId(p[0]) || !isTimestamp(p[1])) return false
    // A delete can only have observed adds older than itself.
    if (p[1] >= ts || seen.has(p[0])) return false
    seen.add(p[0])
  }
  return true
}

/** Shape check; the element must be JSON (it always is from the wire). */
function isORSetChange (c: unknown, ts: number): c is ORSetChange {
  if (!Array.isArray(c)) return false
  if (c[0] === 'add') return c.length === 2 && canonicalJSON(c[1]) !== undefined
  if (c[0] === 'delete') return c.length === 3 && canonicalJSON(c[1]) !== undefined && isContext(c[2], ts)
  return false
}

/** True when delete `a` removes at least everything `b` removes. */
function dominates (a: Update, b: Update): boolean {
  const ca = new Map((a[0] as ORSetChange)[2] as Array<[SourceId, number]>)
  for (const [s, t] of (b[0] as ORSetChange)[2] as Array<[SourceId, number]>) {
    if ((ca.get(s) ?? 0) < t) return false
  }
  return true
}

/**
 * An observed-remove set of JSON values (identity: canonical JSON, so
 * `{a:1,b:2}` and `{b:2,a:1}` are one element). A delete removes only the
 * adds it has seen, so an add concurrent with a delete wins: the element
 * stays. A delete is a clocked update and reaches replicas that were
 * offline.
 *
 * Per element and source only the latest add is kept, and a delete records
 * per source "adds up to ts are gone". So memory is O(live elements x
 * sources that added them) plus one tombstone per element ever deleted
 * (see docs/types.md for how to bound it).
 *
 * Events: `'add' (value, update)` when an element becomes present,
 * `'delete' (value, update)` when it becomes absent.
 */
export class ORSet extends Replica {
  private readonly entries = new Map<string, Entry>()
  private live = 0
  private dead = 0

  constructor (opts: ORSetOptions | string = {}) {
    super(opts)
  }

  /** Add a JSON value everywhere (again, if already present: that also outlives concurrent deletes). */
  add (value: unknown): this {
    requireJSON(value, 'element')
    this.localUpdate(['add', cloneJSON(value)])
    return this
  }

  /** Remove a value everywhere, as far as its adds were seen here. Returns whether it was present. */
  delete (value: unknown): boolean {
    const key = requireJSON(value, 'element')
    const e = this.entries.get(key)
    if (e === undefined || e.adds.size === 0) return false
    const context: Array<[SourceId, number]> = []
    for (const [s, u] of e.adds) context.push([s, u[1]])
    this.localUpdate(['delete', cloneJSON(value), context])
    return true
  }

  /** True when the value is present. */
  has (value: unknown): boolean {
    const key = canonicalJSON(value)
    return key !== undefined && (this.entries.get(key)?.adds.size ?? 0) > 0
  }

  /** Number of present elements (O(1)). */
  get size (): number {
    return this.live
  }

  /** Elements carrying a tombstone (deleted at least once; kept so late adds stay deleted). */
  get tombstones (): number {
    return this.dead
  }

  /**
   * Drop the tombstones that no replica can need any more. `stable` must be
   * at most every replica's clock (their pointwise minimum, known e.g. to a
   * hub that hears every replica's clock): then every add a tombstone
   * covers is old everywhere and can never be applied again. Returns how
   * many tombstones were dropped. A too-large `stable` breaks convergence.
   */
  pruneTombstones (stable: VectorClock): number {
    let n = 0
    for (const [key, e] of this.entries) {
      if (e.removed.size === 0) continue
      if (e.deletes.some((d) => stable.isNewer(d[2], d[1]))) continue
      // Also require the covered adds themselves to be old everywhere, so
      // one still in flight somewhere could not come back.
      let covered = true
      for (const [s, t] of e.removed) if (stable.isNewer(s, t)) covered = false
      if (!covered) continue
      e.removed.clear()
      e.deletes = []
      if (e.adds.size === 0) this.entries.delete(key)
      this.dead--
      n++
    }
    return n
  }

  /** Present values (order: first seen here). */
  values (): unknown[] {
    const out: unknown[] = []
    for (const e of this.entries.values()) if (e.adds.size > 0) out.push(e.value)
    return out
  }

  [Symbol.iterator] (): IterableIterator<unknown> {
    return this.values()[Symbol.iterator]()
  }

  toJSON (): unknown[] {
    return this.values()
  }

  protected applyUpdate (update: Update): boolean {
    const change = update[0]
    if (!isORSetChange(change, update[1])) return false
    const key = canonicalJSON(change[1]) as string
    let e = this.entries.get(key)
    if (e === undefined) {
      // The canonical form, so every replica shows the same key order.
      e = { value: JSON.parse(key), adds: new Map(), removed: new Map(), deletes: [] }
      this.entries.set(key, e)
    }
    const wasLive = e.adds.size > 0
    const hadTomb = e.removed.size > 0
    if (change[0] === 'add') this.applyAdd(e, update)
    else this.applyDelete(e, update, change[2] as ReadonlyArray<readonly [SourceId, number]>)
    const isLive = e.adds.size > 0
    if (e.removed.size > 0 && !hadTomb) this.dead++
    if (e.adds.size === 0 && e.removed.size === 0) this.entries.delete(key)
    if (isLive !== wasLive) {
      this.live += isLive ? 1 : -1
      const value = e.value
      this.afterCommit(() => this.emit(isLive ? 'add' : 'delete', value, update))
    }
    return true
  }

  private applyAdd (e: Entry, update: Update): void {
    const source = update[2]
    if ((e.removed.get(source) ?? 0) >= update[1]) return // deleted before it got here
    const cur = e.adds.get(source)
    if (cur === undefined || cur[1] < update[1]) e.adds.set(source, update)
  }

  private applyDelete (e: Entry, update: Update, context: ReadonlyArray<readonly [SourceId, number]>): void {
    if (e.deletes.some((d) => dominates(d, update))) return // nothing new
    for (const [s, t] of context) {
      if ((e.removed.get(s) ?? 0) < t) e.removed.set(s, t)
      const add = e.adds.get(s)
      if (add !== undefined && add[1] <= t) e.adds.delete(s)
    }
    e.deletes = e.deletes.filter((d) => !dominates(update, d))
    e.deletes.push(update)
  }

  history (clock: VectorClock): Update[] {
    const out: Update[] = []
    for (const e of this.entries.values()) {
      for (const u of e.adds.values()) if (clock.isNewer(u[2], u[1])) out.push(u)
      for (const u of e.deletes) if (clock.isNewer(u[2], u[1])) out.push(u)
    }
    return out.sort(compareUpdates)
  }
}
