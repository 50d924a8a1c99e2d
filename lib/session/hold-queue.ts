import { compareUpdates } from '../replica/compare'
import type { Update } from '../wire/types'

/** Something held: an update, plus whatever the holder needs to retry it. */
export interface Held {
  readonly update: Update
}

/**
 * Updates a stream could not apply yet (refused for clock drift), held per
 * key (a source, or a replica and a source) in arrival order. While a key
 * has anything held, every later update of that key is held behind it: a
 * vector clock may only advance over a gap-free prefix of each source, so
 * applying a later update first would lose the held one for good. Pure, no
 * timers: the stream decides when to retry. Bounded by `maxHeld`.
 */
export class HoldQueue<T extends Held> {
  // Per key: items and the index of the first one still held (no O(n) shift).
  private readonly queues = new Map<string, { items: T[], head: number }>()
  private count = 0

  constructor (readonly maxHeld: number) {}

  /** True while `key` has updates held: later ones must wait behind them. */
  blocks (key: string): boolean {
    return this.queues.has(key)
  }

  /** Hold `item` behind what `key` already holds. False when full (nothing held then). */
  hold (key: string, item: T): boolean {
    if (this.count >= this.maxHeld) return false
    const q = this.queues.get(key)
    if (q === undefined) this.queues.set(key, { items: [item], head: 0 })
    else q.items.push(item)
    this.count++
    return true
  }

  /** Updates held, all keys together. */
  get size (): number {
    return this.count
  }

  /** The first held item of each key. */
  heads (): T[] {
    const out: T[] = []
    for (const q of this.queues.values()) out.push(q.items[q.head] as T)
    return out
  }

  /**
   * Offer held items again, oldest `(ts, source)` head first across keys,
   * so an update never overtakes one it may depend on. `attempt` returns
   * true when the item is done with (applied, old, or refused for good) and
   * false when it must stay held; a key that stays held is skipped until
   * the next drain. `attempt` may return undefined to stop the drain (the
   * stream closed).
   */
  drain (attempt: (item: T) => boolean | undefined): void {
    const skip = new Set<string>()
    for (;;) {
      let bestKey: string | undefined
      let best: T | undefined
      for (const [key, q] of this.queues) {
        if (skip.has(key)) continue
        const head = q.items[q.head] as T
        if (best === undefined || compareUpdates(head.update, best.update) < 0) {
          best = head
          bestKey = key
        }
      }
      if (best === undefined || bestKey === undefined) return
      const r = attempt(best)
      if (r === undefined) return
      if (!r) {
        skip.add(bestKey)
        continue
      }
      const q = this.queues.get(bestKey) as { items: T[], head: number }
      q.items[q.head++] = undefined as unknown as T
      this.count--
      if (q.head === q.items.length) this.queues.delete(bestKey)
    }
  }

  /** Forget everything held (the stream closed; the peer still has it all). */
  clear (): void {
    this.queues.clear()
    this.count = 0
  }
}
