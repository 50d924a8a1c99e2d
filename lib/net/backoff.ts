import { invalidArgument } from '../errors/grapevine-error'

/** Timer functions, injectable so tests can run on a fake clock. */
export interface Timers {
  /** Schedule `fn` after `ms`; returns a handle for `clearTimeout`. */
  setTimeout (fn: () => void, ms: number): unknown
  /** Cancel a handle returned by `setTimeout`. */
  clearTimeout (handle: unknown): void
  /** Current time in ms. */
  now (): number
}

/** The real timers (unref'd so a waiting reconnect never keeps a process alive by itself). */
export const realTimers: Timers = {
  setTimeout (fn, ms) {
    const t = setTimeout(fn, ms)
    t.unref()
    return t
  },
  clearTimeout (handle) { clearTimeout(handle as NodeJS.Timeout) },
  now: () => Date.now()
}

/** Options of `new Backoff(opts)`. */
export interface BackoffOptions {
  /** First ceiling in ms. Default 100. */
  baseMs?: number
  /** Largest ceiling in ms (the cap). Default 30 000. */
  maxMs?: number
  /** Growth of the ceiling per failed attempt. Default 2. */
  factor?: number
  /** Uniform random number in [0, 1). Default `Math.random`. */
  random?: () => number
}

/**
 * Exponential backoff with full jitter: the n-th delay is uniform in
 * [0, min(maxMs, baseMs * factor^n)). Full jitter (rather than a fixed or
 * "equal" jitter) spreads clients that failed at the same moment over the
 * whole window, so they do not come back in lockstep. Pure: no timers.
 */
export class Backoff {
  readonly baseMs: number
  readonly maxMs: number
  readonly factor: number
  private readonly random: () => number
  private n = 0

  constructor (opts: BackoffOptions = {}) {
    this.baseMs = opts.baseMs ?? 100
    this.maxMs = opts.maxMs ?? 30_000
    this.factor = opts.factor ?? 2
    this.random = opts.random ?? Math.random
    if (!(this.baseMs > 0)) invalidArgument('baseMs must be > 0')
    if (!(this.maxMs >= this.baseMs)) invalidArgument('maxMs must be >= baseMs')
    if (!(this.factor >= 1)) invalidArgument('factor must be >= 1')
  }

  /** Failed attempts since the last reset. */
  get attempts (): number {
    return this.n
  }

  /** The ceiling of the next delay (before jitter). */
  get ceiling (): number {
    // Stop growing once capped so factor^n never overflows to Infinity.
    const grown = this.baseMs * Math.pow(this.factor, Math.min(this.n, 1024))
    return Math.min(this.maxMs, grown)
  }

  /** The delay before the next attempt, and count the attempt. */
  next (): number {
    const delay = Math.floor(this.random() * this.ceiling)
    this.n++
    return delay
  }

  /** Start again from `baseMs` (after a connection proved stable). */
  reset (): void {
    this.n = 0
  }
}
