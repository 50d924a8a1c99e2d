/**
 * Which addresses a mesh knows and may dial, free of I/O (time is passed
 * in). Three kinds:
 *
 * - seed: given by the user; never forgotten, never evicted;
 * - verified: a dial to it reached a peer's header (a real grapevine peer
 *   that is not us); gossip never evicts one;
 * - unverified: heard of from a peer (gossip, or a peer's own claim) and
 *   not yet reached.
 *
 * Gossip is peer input, so unverified addresses are bounded three ways:
 * each announcing peer may hold at most `perPeer` of them, all together at
 * most `maxUnverified`, and when that share is full a new one takes the
 * place of the oldest one of the peer holding the most (so one flooding
 * peer, or many, cannot crowd out what an honest peer announces). An
 * unverified address that fails once is forgotten and then ignored for
 * `quarantineMs`, so a peer repeating its gossip cannot bring it back into
 * a dial loop; a verified one is forgotten after `forgetAfter` failures in
 * a row.
 */
export type AddressKind = 'seed' | 'verified' | 'unverified'

/** Limits of an address book. */
export interface AddressBookOptions {
  /** Most addresses known at once, all kinds. Default 1024. */
  maxKnown?: number
  /** Most unverified addresses at once. Default half of `maxKnown`. */
  maxUnverified?: number
  /** Most unverified addresses one peer's gossip may hold. Default 32. */
  perPeer?: number
  /** Failed dials in a row after which a verified address is forgotten. Default 8. */
  forgetAfter?: number
  /** How long a forgotten address is ignored when gossiped again, in ms. Default 600 000. */
  quarantineMs?: number
}

interface Entry {
  kind: AddressKind
  /** Who told us of it (unverified only). */
  announcer: string | undefined
  failures: number
  /** Order of admission, to evict the oldest first. */
  seq: number
}

/** What `admit()` decided. */
export interface Admission {
  /** True when the address is now known (newly). */
  readonly added: boolean
  /** Addresses evicted to make room: forget them. */
  readonly evicted: readonly string[]
}

const NONE: Admission = { added: false, evicted: [] }

/** Most forgotten addresses remembered for their quarantine. */
const MAX_QUARANTINED = 8192

export class AddressBook {
  private readonly entries = new Map<string, Entry>()
  private readonly byPeer = new Map<string, Set<string>>()
  private readonly quarantine = new Map<string, number>()
  private unverified = 0
  private seq = 0
  readonly maxKnown: number
  readonly maxUnverified: number
  readonly perPeer: number
  readonly forgetAfter: number
  readonly quarantineMs: number

  constructor (opts: AddressBookOptions = {}) {
    this.maxKnown = opts.maxKnown ?? 1024
    this.maxUnverified = opts.maxUnverified ?? Math.max(1, Math.floor(this.maxKnown / 2))
    this.perPeer = opts.perPeer ?? 32
    this.forgetAfter = opts.forgetAfter ?? 8
    this.quarantineMs = opts.quarantineMs ?? 600_000
  }

  /** Addresses known now. */
  get size (): number {
    return this.entries.size
  }

  /** Unverified addresses known now. */
  get unverifiedCount (): number {
    return this.unverified
  }

  /** The kind of a known address. */
  kind (addr: string): AddressKind | undefined {
    return this.entries.get(addr)?.kind
  }

  /** Unverified addresses announced by `peer`. */
  heldBy (peer: string): number {
    return this.byPeer.get(peer)?.size ?? 0
  }

  /** Add a seed: always admitted, and an unverified entry of it is promoted. */
  seed (addr: string): Admission {
    const e = this.entries.get(addr)
    if (e !== undefined) {
      if (e.kind === 'unverified') this.unlink(addr, e)
      e.kind = 'seed'
      return NONE
    }
    this.quarantine.delete(addr)
    this.entries.set(addr, { kind: 'seed', announcer: undefined, failures: 0, seq: this.seq++ })
    return { added: true, evicted: [] }
  }

  /** `announcer` (a peer id) told us of `addr` at time `now`: admit it if the limits allow. */
  admit (addr: string, announcer: string, now: number): Admission {
    if (this.entries.has(addr)) return NONE
    const until = this.quarantine.get(addr)
    if (until !== undefined) {
      if (now < until) return NONE
      this.quarantine.delete(addr)
    }
    if (this.heldBy(announcer) >= this.perPeer) return NONE
    const evicted: string[] = []
    if (this.unverified >= this.maxUnverified || this.entries.size >= this.maxKnown) {
      // Room only at the expense of a peer holding more than this one would.
      const victim = this.evictionVictim(this.heldBy(announcer) + 2)
      if (victim === undefined) return NONE
      this.remove(victim)
      evicted.push(victim)
    }
    if (this.entries.size >= this.maxKnown) return { added: false, evicted }
    this.entries.set(addr, { kind: 'unverified', announcer, failures: 0, seq: this.seq++ })
    this.unverified++
    let set = this.byPeer.get(announcer)
    if (set === undefined) { set = new Set(); this.byPeer.set(announcer, set) }
    set.add(addr)
    return { added: true, evicted }
  }

  /** A dial to `addr` reached a real peer's header: it is verified, its failures reset. */
  verified (addr: string): void {
    const e = this.entries.get(addr)
    if (e === undefined) return
    if (e.kind === 'unverified') {
      this.unlink(addr, e)
      e.kind = 'verified'
    }
    e.failures = 0
  }

  /**
   * A dial to `addr` did not reach a valid header (refused, closed, timed
   * out, wrong protocol). Returns true when the address should be
   * forgotten now (it is then removed and quarantined).
   */
  failed (addr: string, now: number): boolean {
    const e = this.entries.get(addr)
    if (e === undefined || e.kind === 'seed') return false
    e.failures++
    if (e.kind === 'unverified' || e.failures >= this.forgetAfter) {
      this.forget(addr, now)
      return true
    }
    return false
  }

  /** Forget `addr` (not a seed) and ignore it for `quarantineMs`. */
  forget (addr: string, now: number): void {
    const e = this.entries.get(addr)
    if (e === undefined || e.kind === 'seed') return
    this.remove(addr)
    if (this.quarantine.size >= MAX_QUARANTINED) {
      const oldest = this.quarantine.keys().next().value
      if (oldest !== undefined) this.quarantine.delete(oldest)
    }
    this.quarantine.set(addr, now + this.quarantineMs)
  }

  /** Drop `addr` without quarantine (it turned out to be our own address). */
  remove (addr: string): void {
    const e = this.entries.get(addr)
    if (e === undefined) return
    if (e.kind === 'unverified') this.unlink(addr, e)
    this.entries.delete(addr)
  }

  private unlink (addr: string, e: Entry): void {
    this.unverified--
    if (e.announcer === undefined) return
    const set = this.byPeer.get(e.announcer)
    set?.delete(addr)
    if (set !== undefined && set.size === 0) this.byPeer.delete(e.announcer)
  }

  /** The oldest unverified address of the peer holding the most, if that peer holds at least `atLeast`. */
  private evictionVictim (atLeast: number): string | undefined {
    let top: Set<string> | undefined
    for (const set of this.byPeer.values()) if (top === undefined || set.size > top.size) top = set
    if (top === undefined || top.size < atLeast) return undefined
    let oldest: string | undefined
    let oldestSeq = Infinity
    for (const a of top) {
      const s = this.entries.get(a)?.seq ?? Infinity
      if (s < oldestSeq) { oldestSeq = s; oldest = a }
    }
    return oldest
  }
}
