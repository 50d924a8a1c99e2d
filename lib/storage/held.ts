import { VectorClock } from '../clock/vector-clock'
import { compareUpdates } from '../replica/compare'
import type { SourceId, Timestamp, Update } from '../wire/types'
import type { AffectedSource, StoreDamage } from './types'

/** What `persist()` reports once it restored the records it held back. */
export interface HealReport {
  /** Sources whose hole the peer could fill: its clock covered every record held of them. */
  readonly filled: SourceId[]
  /** Sources the peer could not vouch for: a hole may remain, and the replica's clock now claims it. */
  readonly unfilled: SourceId[]
  /** Held records restored (those the peer had not sent already). */
  readonly restored: number
}

/**
 * Records of damaged sources kept out of the replica, free of I/O. A store
 * must hold a prefix per source: past the damage, a source may have a hole,
 * and restoring its later records would make the replica's clock claim
 * updates it lacks, which the handshake would then never ask a peer for.
 * So each affected source is restored only up to its gap-free prefix; the
 * rest waits here until a peer has sent its history.
 */
export class HeldBack {
  private readonly bySource = new Map<SourceId, AffectedSource>()
  private updates: Update[] = []
  private claims: Array<[SourceId, Timestamp]> = []

  /** The replica's own source is never held: see docs/persistence.md (a local write would shadow it). */
  constructor (damage: StoreDamage, own: SourceId) {
    for (const a of damage.affected) if (a.source !== own) this.bySource.set(a.source, a)
  }

  /** True when `u` lies past its source's gap-free prefix: kept here, not restored. */
  hold (u: Update): boolean {
    const a = this.bySource.get(u[2])
    if (a === undefined || u[1] <= a.intactTo) return false
    this.updates.push(u)
    return true
  }

  /** How far the replica's clock may claim `source` now, given a stored claim of `ts`. */
  cap (source: SourceId, ts: Timestamp): Timestamp {
    const a = this.bySource.get(source)
    if (a === undefined || ts <= a.intactTo) return ts
    this.claims.push([source, ts])
    return a.intactTo as Timestamp
  }

  /** Updates and clock claims held. */
  get size (): number {
    return this.updates.length + this.claims.length
  }

  /** Updates held. */
  get records (): number {
    return this.updates.length
  }

  /** Sources held back. */
  get sources (): SourceId[] {
    return [...this.bySource.keys()]
  }

  /**
   * Give everything back, in `(ts, source)` order, and say for which
   * sources `peer` (the clock of the peer that has just sent its history;
   * none when given up waiting) covered all that was held.
   */
  release (peer: VectorClock | undefined): { updates: Update[], claims: Array<[SourceId, Timestamp]>, filled: SourceId[], unfilled: SourceId[] } {
    const filled: SourceId[] = []
    const unfilled: SourceId[] = []
    for (const [s, a] of this.bySource) {
      if (peer !== undefined && peer.get(s) >= a.heldTo) filled.push(s)
      else unfilled.push(s)
    }
    const out = { updates: this.updates.sort(compareUpdates), claims: this.claims, filled, unfilled }
    this.updates = []
    this.claims = []
    this.bySource.clear()
    return out
  }
}
