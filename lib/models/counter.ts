import type { VectorClock } from '../clock/vector-clock'
import { invalidArgument } from '../errors/grapevine-error'
import { Replica, type ReplicaOptions } from '../replica/replica'
import { compareUpdates } from '../replica/compare'
import type { SourceId, Update } from '../wire/types'

/**
 * A Counter change: the writer's running totals `[p, n]`, what it has ever
 * added and ever subtracted. Only the latest per source matters.
 */
export type CounterChange = readonly [p: number, n: number]

/** Options of `new Counter()`; see ReplicaOptions. */
export type CounterOptions = ReplicaOptions

function isTotal (x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0
}

function isCounterChange (c: unknown): c is CounterChange {
  return Array.isArray(c) && c.length === 2 && isTotal(c[0]) && isTotal(c[1])
}

/**
 * A replicated counter that goes up and down (a PN-counter). Each source
 * sends its running totals, so a later update from a source replaces its
 * earlier ones: memory and history hold one update per source, however many
 * increments were made, and concurrent increments never get lost.
 *
 * Amounts are safe integers, so every replica sums to exactly the same value.
 * Emits `'change' (value, update)` when the value moves.
 */
export class Counter extends Replica {
  /** Latest update per source. */
  private readonly totals = new Map<SourceId, Update<CounterChange>>()
  private sum = 0

  constructor (opts: CounterOptions | string = {}) {
    super(opts)
  }

  /** Add `by` (a safe integer, default 1) everywhere; a negative amount decrements. */
  increment (by = 1): this {
    if (!Number.isSafeInteger(by)) invalidArgument('increment must be a safe integer')
    if (by === 0) return this
    const own = this.totals.get(this.id)?.[0] ?? [0, 0]
    const next: CounterChange = by > 0 ? [own[0] + by, own[1]] : [own[0], own[1] - by]
    if (!isCounterChange(next)) invalidArgument('counter total would exceed Number.MAX_SAFE_INTEGER')
    this.localUpdate(next)
    return this
  }

  /** Subtract `by` (a safe integer, default 1) everywhere. */
  decrement (by = 1): this {
    if (!Number.isSafeInteger(by)) invalidArgument('decrement must be a safe integer')
    return this.increment(-by)
  }

  /** The current value: the sum over sources of what each added minus what it subtracted. */
  get value (): number {
    return this.sum
  }

  /** Number of sources that have written (the size of memory and of a full history). */
  get sources (): number {
    return this.totals.size
  }

  toJSON (): number {
    return this.sum
  }

  protected applyUpdate (update: Update): boolean {
    const change = update[0]
    if (!isCounterChange(change)) return false
    const cur = this.totals.get(update[2])
    // Totals only grow in a source's own order; an older one is superseded.
    if (cur !== undefined && cur[1] >= update[1]) return true
    const before = cur === undefined ? 0 : cur[0][0] - cur[0][1]
    const after = change[0] - change[1]
    this.totals.set(update[2], update as Update<CounterChange>)
    this.sum += after - before
    if (after !== before) {
      const sum = this.sum
      this.afterCommit(() => this.emit('change', sum, update))
    }
    return true
  }

  history (clock: VectorClock): Update[] {
    const out: Update[] = []
    for (const u of this.totals.values()) if (clock.isNewer(u[2], u[1])) out.push(u)
    return out.sort(compareUpdates)
  }
}
