import { GrapevineError } from '../errors/grapevine-error'
import { type ClockJSON, type SourceId, type Timestamp, isSourceId, isTimestamp } from '../wire/types'

/**
 * A vector clock `{ source: latest ts }`. Backed by a Map so that any source
 * id, `constructor` and `toString` included, is plain data.
 */
export class VectorClock {
  private readonly entries: Map<SourceId, Timestamp>

  constructor (entries?: Iterable<readonly [SourceId, Timestamp]>) {
    this.entries = new Map(entries)
  }

  /** The latest timestamp seen from `source`, or 0 when none. */
  get (source: SourceId): number {
    return this.entries.get(source) ?? 0
  }

  /** Move `source` forward to `ts`; never moves it back. Returns whether it moved. */
  advance (source: SourceId, ts: Timestamp): boolean {
    const cur = this.entries.get(source)
    if (cur !== undefined && cur >= ts) return false
    this.entries.set(source, ts)
    return true
  }

  /** True when an update `(source, ts)` is newer than what this clock has seen. */
  isNewer (source: SourceId, ts: number): boolean {
    const cur = this.entries.get(source)
    return cur === undefined || cur < ts
  }

  /** Pointwise maximum with another clock, in place. */
  merge (other: VectorClock): this {
    for (const [s, ts] of other.entries) this.advance(s, ts)
    return this
  }

  /** Number of sources known. */
  get size (): number {
    return this.entries.size
  }

  /** Iterate `[source, ts]` pairs. */
  [Symbol.iterator] (): IterableIterator<[SourceId, Timestamp]> {
    return this.entries.entries()
  }

  /** An independent copy. */
  clone (): VectorClock {
    return new VectorClock(this.entries)
  }

  /** A fresh plain object, safe to serialise; never shared with anything. */
  toJSON (): ClockJSON {
    const out: ClockJSON = {}
    for (const [s, ts] of this.entries) {
      // defineProperty: a key named like an Object.prototype member stays data.
      Object.defineProperty(out, s, { value: ts, enumerable: true, writable: true, configurable: true })
    }
    return out
  }

  /**
   * Build a clock from peer data. Entries whose value is `null` or `0` mean
   * "nothing seen" and are skipped; anything else that is not a valid
   * source/timestamp pair is an ERR_PROTOCOL error.
   */
  static fromJSON (value: unknown, maxSources = Infinity): VectorClock {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new GrapevineError('ERR_PROTOCOL', 'clock must be an object')
    }
    const clock = new VectorClock()
    const keys = Object.keys(value)
    if (keys.length > maxSources) {
      throw new GrapevineError('ERR_TOO_MANY_SOURCES', `clock names ${keys.length} sources, limit is ${maxSources}`)
    }
    for (const key of keys) {
      const ts: unknown = (value as Record<string, unknown>)[key]
      if (ts === null || ts === 0) continue
      if (!isSourceId(key)) throw new GrapevineError('ERR_PROTOCOL', 'clock has an invalid source id', { source: key.slice(0, 64) })
      if (!isTimestamp(ts)) throw new GrapevineError('ERR_PROTOCOL', 'clock value is not a valid timestamp', { source: key })
      clock.entries.set(key, ts)
    }
    return clock
  }
}
