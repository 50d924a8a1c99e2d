/** Longest probe run tolerated before the index falls back to a Map. */
const MAX_PROBES = 256

/**
 * Maps string keys to the slots of a columnar store: an open-addressing
 * hash table of slot numbers in one Int32Array, with each slot's hash kept
 * beside it, so growing never rehashes a string. Against a `Map` it saves
 * about 20 bytes per key and one of the two lookups of an insert (find,
 * then add where find stopped). Keys come from peers, so the hash is seeded
 * per index; should a run of probes still grow past MAX_PROBES (colliding
 * keys), the index moves to a `Map` for good: slower, never quadratic.
 * Keys are only ever added. Pure: no I/O.
 */
export class KeyIndex {
  /** Slot + 1 per table cell; 0 is empty. */
  private table = new Int32Array(32)
  private mask = 31
  private hashAt = new Int32Array(16)
  private count = 0
  private readonly seed: number
  /** Where the last `find` that missed stopped, and the hash it computed. */
  private cell = 0
  private hash = 0
  private fallback: Map<string, number> | undefined

  /** `keys[slot]` is the key of each slot added so far; the index reads it, never writes it. */
  constructor (private readonly keys: readonly string[], seed = (Math.random() * 0x100000000) | 0) {
    this.seed = seed
  }

  /** The slot of `key`, or -1. After -1, `add` may record `key` in one step. */
  find (key: string): number {
    if (this.fallback !== undefined) {
      const s = this.fallback.get(key)
      return s === undefined ? -1 : s
    }
    const h = hashString(key, this.seed)
    const table = this.table
    const mask = this.mask
    let i = h & mask
    for (let probes = 0; ; probes++) {
      const e = table[i] as number
      if (e === 0) break
      const s = e - 1
      if (this.hashAt[s] === h && this.keys[s] === key) return s
      i = (i + 1) & mask
      if (probes >= MAX_PROBES) {
        this.toMap()
        return this.find(key)
      }
    }
    this.cell = i
    this.hash = h
    return -1
  }

  /** Record the key at `slot` (the next slot), right after `find` missed it. */
  add (slot: number): void {
    this.count++
    if (this.fallback !== undefined) {
      this.fallback.set(this.keys[slot] as string, slot)
      return
    }
    if (slot >= this.hashAt.length) {
      const hs = new Int32Array(this.hashAt.length * 2)
      hs.set(this.hashAt)
      this.hashAt = hs
    }
    this.hashAt[slot] = this.hash
    this.table[this.cell] = slot + 1
    // At most half full, so a miss ends after a couple of probes.
    if (this.count * 2 > this.mask) this.grow()
  }

  /** True once colliding keys moved the index to a Map. */
  get degraded (): boolean {
    return this.fallback !== undefined
  }

  private grow (): void {
    const cap = (this.mask + 1) * 2
    const table = new Int32Array(cap)
    const mask = cap - 1
    const hs = this.hashAt
    for (let s = 0; s < this.count; s++) {
      let i = (hs[s] as number) & mask
      while (table[i] !== 0) i = (i + 1) & mask
      table[i] = s + 1
    }
    this.table = table
    this.mask = mask
  }

  private toMap (): void {
    const m = new Map<string, number>()
    for (let s = 0; s < this.count; s++) m.set(this.keys[s] as string, s)
    this.fallback = m
    this.table = new Int32Array(0)
    this.hashAt = new Int32Array(0)
  }
}

/** FNV-1a over UTF-16 units from a seed, then a final avalanche so the low bits depend on every unit. */
export function hashString (s: string, seed: number): number {
  let h = seed ^ 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  return h
}
