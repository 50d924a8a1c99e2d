import type { SourceId } from '../wire/types'

/**
 * One source's winning updates in increasing ts, one float64 each: the
 * slot (>= 0) while it is its key's winner, its timestamp negated once
 * superseded. A current entry's timestamp is its slot's, so an in-order
 * append is one write and "still current?" one sign test; a superseded
 * entry keeps its timestamp so binary searches stay exact until compaction
 * drops it.
 */
export class SourceLog {
  entries = new Float64Array(8)
  length = 0
  lastTs = 0
  /** Entries whose key has been won since. */
  stale = 0
  /** Bumped by each compaction or out-of-order insert, so cursors know their positions moved. */
  version = 0

  constructor (readonly id: SourceId, readonly index: number) {}

  append (ts: number, slot: number, tsAt: Float64Array): void {
    if (this.length === this.entries.length) this.resize(this.entries.length * 2)
    if (ts > this.lastTs) {
      this.entries[this.length++] = slot
      this.lastTs = ts
      return
    }
    // Timestamps of a source arrive in increasing order; keep the log sorted if not.
    const at = this.firstAfter(ts, tsAt)
    this.entries.copyWithin(at + 1, at, this.length)
    this.entries[at] = slot
    this.length++
    this.version++
  }

  /** The entry of `slot` at `ts` lost its key: keep only its timestamp. */
  retire (ts: number, slot: number, tsAt: Float64Array): void {
    for (let p = this.firstAfter(ts, tsAt) - 1; p >= 0; p--) {
      const e = this.entries[p] as number
      if (e === slot) {
        this.entries[p] = -ts
        this.stale++
        return
      }
      if (entryTs(e, tsAt) !== ts) return
    }
  }

  needsCompaction (): boolean {
    return this.stale > 64 && this.stale * 2 > this.length
  }

  /** Drop entries whose key has a newer winner. */
  compact (): void {
    let w = 0
    for (let r = 0; r < this.length; r++) {
      const e = this.entries[r] as number
      if (e >= 0) this.entries[w++] = e
    }
    this.length = w
    this.stale = 0
    this.version++
    if (this.entries.length > 64 && w * 4 < this.entries.length) this.resize(Math.max(64, w * 2))
  }

  /** Index of the first entry with a timestamp greater than `ts`. */
  firstAfter (ts: number, tsAt: Float64Array): number {
    let lo = 0
    let hi = this.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (entryTs(this.entries[mid] as number, tsAt) <= ts) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  private resize (cap: number): void {
    const e = new Float64Array(cap)
    e.set(this.entries.subarray(0, this.length))
    this.entries = e
  }
}

/** Timestamp of a log entry: its slot's while current, kept negated once superseded. */
function entryTs (e: number, tsAt: Float64Array): number {
  return e >= 0 ? tsAt[e] as number : -e
}

/** A cursor in the history heap, keyed by the timestamp of its next entry. */
export interface HeapEntry { readonly c: Cursor, ts: number }

function before (a: HeapEntry, b: HeapEntry): boolean {
  return a.ts < b.ts || (a.ts === b.ts && a.c.log.id < b.c.log.id)
}

export function heapPush (h: HeapEntry[], e: HeapEntry): void {
  let i = h.length
  h.push(e)
  while (i > 0) {
    const p = (i - 1) >> 1
    if (!before(e, h[p] as HeapEntry)) break
    h[i] = h[p] as HeapEntry
    i = p
  }
  h[i] = e
}

export function heapPop (h: HeapEntry[]): HeapEntry {
  const top = h[0] as HeapEntry
  const last = h.pop() as HeapEntry
  if (h.length > 0) {
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      if (l >= h.length) break
      const r = l + 1
      const m = r < h.length && before(h[r] as HeapEntry, h[l] as HeapEntry) ? r : l
      if (!before(h[m] as HeapEntry, last)) break
      h[i] = h[m] as HeapEntry
      i = m
    }
    h[i] = last
  }
  return top
}

/** A position in one source log, robust to compaction while a history is read. */
export class Cursor {
  private pos: number
  private version: number

  /** `tsAt` gives the store's current column (it is replaced when it grows). */
  constructor (readonly log: SourceLog, private after: number, private readonly tsAt: () => Float64Array) {
    this.pos = log.firstAfter(after, tsAt())
    this.version = log.version
  }

  /** Timestamp of the next entry that is still current, or undefined at the end. */
  peek (): number | undefined {
    const log = this.log
    const tsAt = this.tsAt()
    if (this.version !== log.version) {
      this.pos = log.firstAfter(this.after, tsAt)
      this.version = log.version
    }
    while (this.pos < log.length) {
      const e = log.entries[this.pos] as number
      if (e >= 0) return tsAt[e] as number
      this.after = -e
      this.pos++
    }
    return undefined
  }

  /** Consume the entry `peek` returned; its slot. */
  take (): number {
    const slot = this.log.entries[this.pos++] as number
    this.after = this.tsAt()[slot] as number
    return slot
  }
}
