import type { Update } from '../../wire/types'
import type { SequenceChange } from './changes'
import type { SeqNode } from './fugue-tree'

/** What the replica knows about one accepted update. */
export interface OpRecord<V> {
  /**
   * The update as accepted. An unsigned insert drops it once applied and
   * rebuilds it from its elements when `history` asks (about a third of
   * the memory of a keystroke).
   */
  update: Update | undefined
  readonly kind: SequenceChange<unknown>[0]
  /** Elements the update creates: content length for an insert, 1 for a move, 0 for a delete. */
  readonly size: number
  /** The created elements, once applied. */
  nodes: Array<SeqNode<V>> | undefined
  applied: boolean
  /** Dependencies (other updates) not applied yet. */
  missing: number
}

/**
 * One source's records in timestamp order, with the timestamps also in a
 * flat Float64Array: binary searches then touch one compact array instead
 * of chasing a pointer per probe through a large heap.
 */
export class SourceLog<V> {
  readonly recs: Array<OpRecord<V>> = []
  private ts = new Float64Array(16)

  get length (): number {
    return this.recs.length
  }

  push (ts: number, rec: OpRecord<V>): void {
    const n = this.recs.length
    if (n === this.ts.length) {
      const grown = new Float64Array(n * 2)
      grown.set(this.ts)
      this.ts = grown
    }
    this.ts[n] = ts
    this.recs.push(rec)
  }

  find (ts: number): OpRecord<V> | undefined {
    const i = this.firstAfter(ts) - 1
    return i >= 0 && this.ts[i] === ts ? this.recs[i] : undefined
  }

  /** Index of the first record with a timestamp greater than `ts`. */
  firstAfter (ts: number): number {
    const t = this.ts
    let lo = 0
    let hi = this.recs.length
    // Most lookups are of recent updates: check the newest first.
    if (hi > 0 && (t[hi - 1] as number) <= ts) return hi
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if ((t[mid] as number) <= ts) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}
