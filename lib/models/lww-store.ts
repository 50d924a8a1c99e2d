import type { VectorClock } from '../clock/vector-clock'
import { type SourceId, type Timestamp, type Update } from '../wire/types'

/** A deleted key's value: kept so the delete replicates. */
const TOMBSTONE: unique symbol = Symbol('tombstone')

/**
 * A value that holds a key: anything but a delete. `null` is a delete that
 * keeps its wire form (`[key, null]`, how scuttlebutt peers delete), so
 * history sends back the bytes it received and signatures stay valid.
 */
function isLive (v: unknown): boolean {
  return v !== TOMBSTONE && v !== null
}

/**
 * The winning update per key of a last-writer-wins map, stored in columns
 * (no tuple per key), with one log per source ordered by timestamp. A
 * peer's `history(clock)` starts each source's log at `clock[source]` by
 * binary search and merges the logs, so a reconnect costs time in
 * proportion to what the peer misses, not to the whole map. A log entry
 * whose key has since been won by another update is skipped, and dropped
 * when the log is compacted. Pure: no events, no I/O.
 */
export class LwwStore {
  private readonly slotOf = new Map<string, number>()
  private keyAt: string[] = []
  private valueAt: unknown[] = []
  private tsAt = new Float64Array(16)
  private srcAt = new Uint32Array(16)
  private sigAt: Map<number, string> | undefined
  private readonly logs: SourceLog[] = []
  private readonly logOf = new Map<string, SourceLog>()
  private lastLog: SourceLog | undefined
  private liveKeys = 0

  /** Keys holding a value. */
  get size (): number {
    return this.liveKeys
  }

  /** Keys held, deleted ones included. */
  get keyCount (): number {
    return this.keyAt.length
  }

  /** True when `key` holds a value. */
  has (key: string): boolean {
    const slot = this.slotOf.get(key)
    return slot !== undefined && isLive(this.valueAt[slot])
  }

  /** The value of `key`: undefined when absent or deleted by `[key]`, null when deleted by `[key, null]`. */
  get (key: string): unknown {
    const slot = this.slotOf.get(key)
    if (slot === undefined) return undefined
    const v = this.valueAt[slot]
    return v === TOMBSTONE ? undefined : v
  }

  /** True when `key` was ever written (a tombstone counts). */
  known (key: string): boolean {
    return this.slotOf.has(key)
  }

  /**
   * Offer an update for `key` (`value` undefined or null means delete). It wins when
   * its `(ts, source)` is greater than the current winner's; returns
   * whether it did.
   */
  put (key: string, value: unknown, ts: Timestamp, source: SourceId, signature: string | undefined): boolean {
    // Runs of updates from one source are the rule: skip the lookup for them.
    const last = this.lastLog
    const log = last !== undefined && last.id === source ? last : this.logFor(source)
    const stored = value === undefined ? TOMBSTONE : value
    const slot = this.slotOf.get(key)
    if (slot === undefined) {
      const at = this.keyAt.length
      if (at === this.tsAt.length) this.grow()
      this.slotOf.set(key, at)
      this.keyAt.push(key)
      this.valueAt.push(stored)
      this.tsAt[at] = ts
      this.srcAt[at] = log.index
      if (value != null) this.liveKeys++
      if (signature !== undefined) (this.sigAt ??= new Map()).set(at, signature)
      log.append(ts, at)
      return true
    }
    const curTs = this.tsAt[slot] as number
    const cur = this.logs[this.srcAt[slot] as number] as SourceLog
    if (curTs > ts || (curTs === ts && cur.id >= source)) return false
    cur.stale++
    if (isLive(this.valueAt[slot])) this.liveKeys--
    if (value != null) this.liveKeys++
    this.valueAt[slot] = stored
    this.tsAt[slot] = ts
    this.srcAt[slot] = log.index
    if (signature !== undefined) (this.sigAt ??= new Map()).set(slot, signature)
    else this.sigAt?.delete(slot)
    log.append(ts, slot)
    if (cur !== log && cur.needsCompaction()) cur.compact(this)
    if (log.needsCompaction()) log.compact(this)
    return true
  }

  /** Key/value pairs of the keys holding a value, in first-write order. */
  * entries (): IterableIterator<[string, unknown]> {
    for (let i = 0; i < this.keyAt.length; i++) {
      const v = this.valueAt[i]
      if (isLive(v)) yield [this.keyAt[i] as string, v]
    }
  }

  /** The winning update of `key` as a wire tuple, or undefined. */
  update (key: string): Update | undefined {
    const slot = this.slotOf.get(key)
    return slot === undefined ? undefined : this.tupleAt(slot)
  }

  /**
   * Every winning update a peer at `clock` misses, ordered by `(ts, source)`.
   * Lazy: an entry superseded while this is read is skipped; updates written
   * meanwhile may be left out (a stream sends those live).
   */
  * history (clock: VectorClock): Generator<Update> {
    // A min-heap of source cursors by (next ts, source id): n log k for n
    // updates from k sources, so thousands of sources stay cheap.
    const heap: HeapEntry[] = []
    for (const log of this.logs) {
      const since = clock.get(log.id)
      if (log.length === 0 || log.lastTs <= since) continue
      const c = new Cursor(log, since)
      const ts = c.peek(this)
      if (ts !== undefined) heapPush(heap, { c, ts })
    }
    while (heap.length > 0) {
      const e = heapPop(heap)
      const ts = e.c.peek(this)
      if (ts === undefined) continue
      // Entries superseded since this one was queued: requeue at its real place.
      if (ts !== e.ts) {
        heapPush(heap, { c: e.c, ts })
        continue
      }
      yield this.tupleAt(e.c.take())
      const next = e.c.peek(this)
      if (next !== undefined) heapPush(heap, { c: e.c, ts: next })
    }
  }

  /** True when the log entry `(ts, slot)` of source `index` is still its key's winner. */
  current (slot: number, ts: number, index: number): boolean {
    return this.tsAt[slot] === ts && this.srcAt[slot] === index
  }

  private tupleAt (slot: number): Update {
    const key = this.keyAt[slot] as string
    const v = this.valueAt[slot]
    const change = v === TOMBSTONE ? [key] : [key, v]
    const ts = this.tsAt[slot] as Timestamp
    const source = (this.logs[this.srcAt[slot] as number] as SourceLog).id
    const sig = this.sigAt?.get(slot)
    return sig === undefined ? [change, ts, source] : [change, ts, source, sig]
  }

  private logFor (source: SourceId): SourceLog {
    let log = this.logOf.get(source)
    if (log === undefined) {
      log = new SourceLog(source, this.logs.length)
      this.logs.push(log)
      this.logOf.set(source, log)
    }
    this.lastLog = log
    return log
  }

  private grow (): void {
    const ts = new Float64Array(this.tsAt.length * 2)
    ts.set(this.tsAt)
    this.tsAt = ts
    const src = new Uint32Array(this.srcAt.length * 2)
    src.set(this.srcAt)
    this.srcAt = src
  }
}

/** One source's winning updates: `(ts, slot)` pairs in increasing ts. */
class SourceLog {
  ts = new Float64Array(8)
  slots = new Uint32Array(8)
  length = 0
  /** Entries whose key has been won since. */
  stale = 0
  /** Bumped by each compaction, so cursors know their positions moved. */
  version = 0

  constructor (readonly id: SourceId, readonly index: number) {}

  get lastTs (): number {
    return this.length === 0 ? 0 : this.ts[this.length - 1] as number
  }

  append (ts: number, slot: number): void {
    if (this.length === this.ts.length) this.resize(this.ts.length * 2)
    let at = this.length
    // Timestamps of a source arrive in increasing order; keep the log sorted if not.
    if (at > 0 && (this.ts[at - 1] as number) >= ts) {
      at = this.firstAfter(ts)
      this.ts.copyWithin(at + 1, at, this.length)
      this.slots.copyWithin(at + 1, at, this.length)
      this.version++
    }
    this.ts[at] = ts
    this.slots[at] = slot
    this.length++
  }

  needsCompaction (): boolean {
    return this.stale > 64 && this.stale * 2 > this.length
  }

  /** Drop entries whose key has a newer winner. */
  compact (store: LwwStore): void {
    let w = 0
    for (let r = 0; r < this.length; r++) {
      const ts = this.ts[r] as number
      const slot = this.slots[r] as number
      if (!store.current(slot, ts, this.index)) continue
      this.ts[w] = ts
      this.slots[w] = slot
      w++
    }
    this.length = w
    this.stale = 0
    this.version++
    if (this.ts.length > 64 && w * 4 < this.ts.length) this.resize(Math.max(64, w * 2))
  }

  /** Index of the first entry with a timestamp greater than `ts`. */
  firstAfter (ts: number): number {
    let lo = 0
    let hi = this.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((this.ts[mid] as number) <= ts) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  private resize (cap: number): void {
    const ts = new Float64Array(cap)
    ts.set(this.ts.subarray(0, this.length))
    this.ts = ts
    const slots = new Uint32Array(cap)
    slots.set(this.slots.subarray(0, this.length))
    this.slots = slots
  }
}

interface HeapEntry { readonly c: Cursor, readonly ts: number }

function before (a: HeapEntry, b: HeapEntry): boolean {
  return a.ts < b.ts || (a.ts === b.ts && a.c.log.id < b.c.log.id)
}

function heapPush (h: HeapEntry[], e: HeapEntry): void {
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

function heapPop (h: HeapEntry[]): HeapEntry {
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
class Cursor {
  private pos: number
  private version: number

  constructor (readonly log: SourceLog, private after: number) {
    this.pos = log.firstAfter(after)
    this.version = log.version
  }

  /** Timestamp of the next entry that is still current, or undefined at the end. */
  peek (store: LwwStore): number | undefined {
    const log = this.log
    if (this.version !== log.version) {
      this.pos = log.firstAfter(this.after)
      this.version = log.version
    }
    while (this.pos < log.length) {
      const ts = log.ts[this.pos] as number
      if (store.current(log.slots[this.pos] as number, ts, log.index)) return ts
      this.after = ts
      this.pos++
    }
    return undefined
  }

  /** Consume the entry `peek` returned; its slot. */
  take (): number {
    this.after = this.log.ts[this.pos] as number
    return this.log.slots[this.pos++] as number
  }
}
