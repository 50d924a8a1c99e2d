import type { VectorClock } from '../clock/vector-clock'
import { type SourceId, type Timestamp, type Update } from '../wire/types'
import { KeyIndex } from './key-index'
import { Cursor, type HeapEntry, SourceLog, heapPop, heapPush } from './lww-log'

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
 * (no tuple per key) behind a hash index of the keys (key-index.ts), with
 * one log per source ordered by timestamp. A
 * peer's `history(clock)` starts each source's log at `clock[source]` by
 * binary search and merges the logs, so a reconnect costs time in
 * proportion to what the peer misses, not to the whole map. A log entry
 * whose key has since been won by another update is skipped, and dropped
 * when the log is compacted. Pure: no events, no I/O.
 */
export class LwwStore {
  private readonly keyAt: string[] = []
  private readonly index = new KeyIndex(this.keyAt)
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
    const slot = this.index.find(key)
    return slot >= 0 && isLive(this.valueAt[slot])
  }

  /** The value of `key`: undefined when absent or deleted by `[key]`, null when deleted by `[key, null]`. */
  get (key: string): unknown {
    const slot = this.index.find(key)
    if (slot < 0) return undefined
    const v = this.valueAt[slot]
    return v === TOMBSTONE ? undefined : v
  }

  /** True when `key` was ever written (a tombstone counts). */
  known (key: string): boolean {
    return this.index.find(key) >= 0
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
    const slot = this.index.find(key)
    if (slot < 0) {
      const at = this.keyAt.length
      if (at === this.tsAt.length) this.grow()
      this.keyAt.push(key)
      this.index.add(at)
      this.valueAt.push(stored)
      this.tsAt[at] = ts
      this.srcAt[at] = log.index
      if (value != null) this.liveKeys++
      if (signature !== undefined) (this.sigAt ??= new Map()).set(at, signature)
      log.append(ts, at, this.tsAt)
      return true
    }
    const curTs = this.tsAt[slot] as number
    const cur = this.logs[this.srcAt[slot] as number] as SourceLog
    if (curTs > ts || (curTs === ts && cur.id >= source)) return false
    cur.retire(curTs, slot, this.tsAt)
    if (isLive(this.valueAt[slot])) this.liveKeys--
    if (value != null) this.liveKeys++
    this.valueAt[slot] = stored
    this.tsAt[slot] = ts
    this.srcAt[slot] = log.index
    if (signature !== undefined) (this.sigAt ??= new Map()).set(slot, signature)
    else this.sigAt?.delete(slot)
    log.append(ts, slot, this.tsAt)
    if (cur !== log && cur.needsCompaction()) cur.compact()
    if (log.needsCompaction()) log.compact()
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
    const slot = this.index.find(key)
    return slot < 0 ? undefined : this.tupleAt(slot)
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
    const tsAt = (): Float64Array => this.tsAt
    for (const log of this.logs) {
      const since = clock.get(log.id)
      if (log.length === 0 || log.lastTs <= since) continue
      const c = new Cursor(log, since, tsAt)
      const ts = c.peek()
      if (ts !== undefined) heapPush(heap, { c, ts })
    }
    while (heap.length > 0) {
      const e = heapPop(heap)
      const ts = e.c.peek()
      if (ts === undefined) continue
      // Entries superseded since this one was queued: requeue at its real place.
      // (The popped entry is reused: no allocation per update.)
      if (ts !== e.ts) {
        e.ts = ts
        heapPush(heap, e)
        continue
      }
      yield this.tupleAt(e.c.take())
      const next = e.c.peek()
      if (next !== undefined) {
        e.ts = next
        heapPush(heap, e)
      }
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
