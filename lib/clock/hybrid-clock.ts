import { type Timestamp, timestamp } from '../wire/types'

/** A source of wall-clock time in milliseconds (injectable for tests). */
export type WallClock = () => number

/**
 * Smallest step between two local timestamps. A power of two, so
 * `ms + k * TICK` stays exact in a double for today's epoch values
 * (41 bits of milliseconds plus 10 bits of fraction fit in 53).
 */
export const TICK = 1 / 1024

/**
 * Hybrid logical clock issuing millisecond timestamps as plain numbers, so
 * they stay compatible with scuttlebutt's floats. Each timestamp is at least
 * the wall clock and strictly greater than every timestamp this clock has
 * issued or observed; a wall clock that steps back cannot make a later write
 * lose.
 */
export class HybridClock {
  private lastTs = 0
  private refWall = -Infinity
  private refMono = 0
  /** The latest `wallNow()` reading; it never decreases. */
  private seen = -Infinity

  constructor (private readonly wall: WallClock = Date.now) {
    this.wallNow()
  }

  /** Issue the next timestamp. */
  next (): Timestamp {
    const wall = this.wall()
    this.track(wall)
    const ts = wall > this.lastTs ? wall : this.lastTs + TICK
    // Far beyond today's epoch TICK could vanish in rounding: step by ulp.
    this.lastTs = ts > this.lastTs ? ts : nextUp(this.lastTs)
    return timestamp(this.lastTs)
  }

  /** Move past a timestamp seen elsewhere (never moves back). */
  observe (ts: number): void {
    if (ts > this.lastTs) this.lastTs = ts
  }

  /** The latest timestamp issued or observed. */
  get last (): number {
    return this.lastTs
  }

  /** Restore a previously read `last` (used to undo an observe on rejection). */
  reset (last: number): void {
    this.lastTs = last
  }

  /**
   * Current time for judging peers' timestamps: the wall clock, except that
   * a wall clock stepping back is ignored (the last good reading carried
   * forward by the monotonic clock), so a local step back does not make
   * honest peers look like they write from the future. Peers cannot move
   * this reference: it depends on local clocks only.
   */
  wallNow (): number {
    const w = this.track(this.wall())
    if (w > this.seen) this.seen = w
    return w
  }

  /**
   * True when `ts` is at most `ms` past `wallNow()`. `wallNow()` never
   * decreases, so a timestamp within `ms` of an earlier reading is within
   * it now: the clock is read only for timestamps near the limit, not once
   * per update of a sync.
   */
  within (ts: number, ms: number): boolean {
    return ts <= this.seen + ms || ts <= this.wallNow() + ms
  }

  private track (w: number): number {
    const m = performance.now()
    const carried = this.refWall + (m - this.refMono)
    if (w >= carried) {
      this.refWall = w
      this.refMono = m
      return w
    }
    return carried
  }
}

function nextUp (x: number): number {
  const buf = new Float64Array([x])
  const bits = new BigInt64Array(buf.buffer)
  bits[0] = (bits[0] as bigint) + 1n
  return buf[0] as number
}
