import { EventEmitter } from 'node:events'
import { Backoff, type BackoffOptions, type Timers, realTimers } from './backoff'

/** What a dialer needs from one connection. */
export interface Connection {
  /** Resolves once the connection is closed (never rejects). */
  readonly closed: Promise<void>
  /** Why it closed, if it failed. */
  readonly error?: Error | undefined
  /** Close it. */
  close (): void
}

/** Options of `new Dialer(connect, opts)`. */
export interface DialerOptions extends BackoffOptions {
  /** A connection lasting this long resets the backoff, in ms. Default 10 000. */
  stableMs?: number
  /** Injectable timers (tests). Default: real timers. */
  timers?: Timers
  /** Start dialing at once. Default true. */
  start?: boolean
}

/**
 * Keeps one connection up: dials, and after a failure or a drop waits a
 * jittered, exponentially growing delay (see `Backoff`) before dialing
 * again. A connection that stayed up for `stableMs` resets the backoff, but
 * even then the next dial waits a jittered delay, so clients dropped by the
 * same server restart come back spread out, not in lockstep.
 *
 * Events: 'connect' (conn), 'disconnect' (conn, err | undefined),
 * 'fail' (err) when a dial fails, 'retry' (delayMs, attempt) when a dial is
 * scheduled, 'close' once after `close()`.
 */
export class Dialer<C extends Connection = Connection> extends EventEmitter {
  /** The current connection, if up. */
  current: C | undefined = undefined
  private readonly dialFn: () => Promise<C>
  private readonly backoff: Backoff
  private readonly timers: Timers
  private readonly stableMs: number
  private timer: unknown = undefined
  private dialing = false
  private closedFlag = false
  private pausedFlag = false

  constructor (connect: () => Promise<C>, opts: DialerOptions = {}) {
    super()
    this.dialFn = connect
    this.backoff = new Backoff(opts)
    this.timers = opts.timers ?? realTimers
    this.stableMs = opts.stableMs ?? 10_000
    if (opts.start !== false) this.dialNow()
  }

  /** Failed attempts since the last stable connection. */
  get attempts (): number {
    return this.backoff.attempts
  }

  /** True once `close()` was called. */
  get closed (): boolean {
    return this.closedFlag
  }

  /** True while paused. */
  get paused (): boolean {
    return this.pausedFlag
  }

  /** Dial now if not dialing or connected (use with `start: false`). */
  start (): void {
    if (this.current === undefined) this.dialNow()
  }

  /** Stop redialing (the current connection, if any, stays up). */
  pause (): void {
    this.pausedFlag = true
    this.cancel()
  }

  /** Redial again after `pause()`, after a jittered delay. */
  resume (): void {
    if (!this.pausedFlag || this.closedFlag) return
    this.pausedFlag = false
    if (this.current === undefined && !this.dialing) this.schedule()
  }

  /** Stop for good and close the current connection. */
  close (): void {
    if (this.closedFlag) return
    this.closedFlag = true
    this.cancel()
    this.current?.close()
    this.emit('close')
  }

  private cancel (): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer)
    this.timer = undefined
  }

  private schedule (): void {
    if (this.closedFlag || this.pausedFlag || this.timer !== undefined) return
    const attempt = this.backoff.attempts
    const delay = this.backoff.next()
    this.emit('retry', delay, attempt)
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined
      this.dialNow()
    }, delay)
  }

  private dialNow (): void {
    if (this.closedFlag || this.pausedFlag || this.dialing) return
    this.dialing = true
    this.dialFn().then((conn) => {
      this.dialing = false
      if (this.closedFlag) return conn.close()
      this.current = conn
      const since = this.timers.now()
      this.emit('connect', conn)
      void conn.closed.then(() => {
        if (this.current === conn) this.current = undefined
        if (this.timers.now() - since >= this.stableMs) this.backoff.reset()
        this.emit('disconnect', conn, conn.error)
        this.schedule()
      })
    }, (err: Error) => {
      this.dialing = false
      if (this.closedFlag) return
      this.emit('fail', err)
      this.schedule()
    })
  }
}
