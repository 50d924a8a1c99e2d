import { GrapevineError, invalidArgument } from '../errors/grapevine-error'

/** Default of `maxHeldBytes` on `serve()` and `Mesh`: 64 MiB for all connections together. */
export const DEFAULT_MAX_HELD_BYTES = 64 * 1024 * 1024

/**
 * Called when a holder is evicted to keep the budget: close whatever the
 * holder stands for with `err` (ERR_OVERLOADED). The bytes are already
 * released from the budget when this runs.
 */
export type EvictHandler = (err: GrapevineError) => void

/** Facts about a budget, for logs and tests. */
export interface MemoryBudgetStats {
  /** Bytes held now, all holders together. */
  readonly held: number
  /** The budget (`Infinity`: unlimited). */
  readonly limit: number
  /** The most bytes ever held at once after a report (never above `limit`). */
  readonly peak: number
  /** Holders registered and not yet released. */
  readonly holders: number
  /** Holders evicted so far. */
  readonly evictions: number
}

/**
 * One party under a budget (a connection's stream): it reports the bytes
 * it holds as they change. Once released or evicted it counts nothing.
 */
export class MemoryHolder {
  private held = 0
  private live = true

  /** Use `budget.register()`. */
  constructor (private readonly budget: MemoryBudget, readonly onEvict: EvictHandler) {}

  /** Bytes this holder holds now (0 once released). */
  get bytes (): number {
    return this.held
  }

  /** False once released or evicted. */
  get active (): boolean {
    return this.live
  }

  /**
   * The holder now holds `delta` more bytes (less when negative; never
   * below zero). Growing past the budget evicts the largest holders,
   * perhaps this one, before this returns.
   */
  add (delta: number): void {
    if (!this.live || delta === 0) return
    if (this.held + delta < 0) delta = -this.held
    this.held += delta
    this.budget.changed(delta)
  }

  /** Stop counting this holder (its connection closed). Idempotent. */
  release (): void {
    if (!this.live) return
    this.budget.drop(this)
  }

  /** Called by the budget: forget everything. Returns the bytes forgotten. */
  retire (): number {
    const n = this.held
    this.held = 0
    this.live = false
    return n
  }
}

/**
 * A budget of bytes held on behalf of peers, shared by many connections
 * (the partial lines and frames their decoders keep). Pure accounting, no I/O: holders report what they hold,
 * and when a report would take the total over the limit, the holder
 * holding the most is evicted (its bytes released at once and its
 * `onEvict` called with ERR_OVERLOADED), again until the total fits. So
 * one peer, or many, sitting on big unfinished input cannot push a server
 * past the budget, while small honest peers keep their connections.
 *
 * A report costs one addition and one comparison; only an overflow scans
 * the holders (linear in their number) to find the largest.
 */
export class MemoryBudget {
  readonly limit: number
  private readonly members = new Set<MemoryHolder>()
  private total = 0
  private high = 0
  private evicted = 0
  private evicting = false

  /** `limit` in bytes, a positive number; `Infinity` counts but never evicts. */
  constructor (limit: number = DEFAULT_MAX_HELD_BYTES) {
    if (typeof limit !== 'number' || Number.isNaN(limit) || limit <= 0) invalidArgument(`a memory budget must be a positive number of bytes or Infinity, not ${String(limit)}`)
    this.limit = limit
  }

  /** Bytes held now, all holders together. */
  get held (): number {
    return this.total
  }

  /** Holders evicted so far. */
  get evictions (): number {
    return this.evicted
  }

  /** A snapshot of the accounting. */
  get stats (): MemoryBudgetStats {
    return { held: this.total, limit: this.limit, peak: this.high, holders: this.members.size, evictions: this.evicted }
  }

  /** A new holder, holding nothing yet; `onEvict` closes what it stands for. */
  register (onEvict: EvictHandler): MemoryHolder {
    const h = new MemoryHolder(this, onEvict)
    this.members.add(h)
    return h
  }

  /** Called by a holder whose bytes changed by `delta` (already applied to it). */
  changed (delta: number): void {
    this.total += delta
    if (this.total > this.limit) this.evictUntilFits()
    else if (this.total > this.high) this.high = this.total
  }

  /** Called by a holder on release. */
  drop (h: MemoryHolder): void {
    this.members.delete(h)
    this.total -= h.retire()
    if (this.total < 0) this.total = 0
  }

  private evictUntilFits (): void {
    // A handler that reports again lands here while we evict: the loop
    // below settles it, so handlers never run nested.
    if (this.evicting) return
    this.evicting = true
    try {
      while (this.total > this.limit) {
        const victims = this.shed()
        if (victims.length === 0) break
        for (const v of victims) v.holder.onEvict(overloaded(v.bytes, v.total, this.limit))
      }
    } finally {
      this.evicting = false
    }
    if (this.total > this.high) this.high = this.total
  }

  /** Release the largest holders until the total fits; returns them with what they held. */
  private shed (): Array<{ holder: MemoryHolder, bytes: number, total: number }> {
    const out: Array<{ holder: MemoryHolder, bytes: number, total: number }> = []
    while (this.total > this.limit) {
      let largest: MemoryHolder | undefined
      for (const h of this.members) if (largest === undefined || h.bytes > largest.bytes) largest = h
      if (largest === undefined || largest.bytes === 0) break
      const total = this.total
      const bytes = largest.bytes
      this.drop(largest)
      this.evicted++
      out.push({ holder: largest, bytes, total })
    }
    return out
  }
}

function overloaded (bytes: number, total: number, limit: number): GrapevineError {
  return new GrapevineError('ERR_OVERLOADED', `the ${limit} bytes budgeted for what peers have sent but not finished are spent (${total} held): closing the connection holding the most (${bytes} bytes)`, { held: bytes, total, budget: limit })
}
