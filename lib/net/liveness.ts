import { GrapevineError } from '../errors/grapevine-error'
import { type Timers, realTimers } from './backoff'

/** Options of liveness checking on a link; 0 disables a check. */
export interface LivenessOptions {
  /** Send a heartbeat after this long without sending anything, in ms. Default 5 000. */
  heartbeatMs?: number
  /**
   * Fail when nothing at all arrived for this long, in ms. Default 15 000
   * (3 heartbeats). Only enforced on a peer whose header announces that it
   * sends heartbeats (`heartbeatMs`), and then widened to at least twice the
   * peer's interval: a peer that never heartbeats (scuttlebutt@5, a plain
   * pipe) is not cut for being quiet.
   */
  idleTimeoutMs?: number
  /** Fail when the peer's header has not arrived after this long, in ms. Default 10 000. */
  handshakeTimeoutMs?: number
  /** Injectable timers (tests). Default: real, unref'd timers. */
  timers?: Timers
}

/** What the liveness core asks its shell to do. */
export interface LivenessHooks {
  /** Send one heartbeat now. */
  heartbeat (): void
  /** The peer is dead or stuck: close the link with this error. */
  timeout (err: GrapevineError): void
}

/** Header field announcing our heartbeat interval, so the peer may hold us to it. */
export const HEARTBEAT_FIELD = 'heartbeatMs'

/** The heartbeat interval a peer's header announces, if any (peer input: checked). */
export function announcedHeartbeat (header: unknown): number | undefined {
  if (typeof header !== 'object' || header === null) return undefined
  const v = (header as Record<string, unknown>)[HEARTBEAT_FIELD]
  return typeof v === 'number' && v > 0 && Number.isFinite(v) ? v : undefined
}

/** Header fields to pass to `createStream({ headerFields })` when linking with these options. */
export function livenessHeaderFields (opts: LivenessOptions = {}): Record<string, unknown> {
  const hb = opts.heartbeatMs ?? 5_000
  return hb > 0 ? { [HEARTBEAT_FIELD]: hb } : {}
}

/** The heartbeat line: JSON `null`, ignored by grapevine and scuttlebutt@5 peers (never a blank line). */
export const HEARTBEAT = Buffer.from('null\n', 'utf8')

/**
 * Deadlines of one link, free of I/O: the shell reports what it sent and
 * received, and this decides when to heartbeat and when to give up. One
 * timer at a time, set for the nearest deadline, so a busy link costs no
 * timer churn per chunk.
 */
export class Liveness {
  readonly heartbeatMs: number
  /** The idle deadline in force (0: none); settled when the peer's header arrives. */
  idleTimeoutMs: number
  readonly handshakeTimeoutMs: number
  private readonly timers: Timers
  private readonly hooks: LivenessHooks
  private readonly startedAt: number
  private lastSent: number
  private lastReceived: number
  private handshaken = false
  private canBeat = false
  private timer: unknown = undefined
  private due = Infinity
  private stopped = false
  private confirming = false

  constructor (hooks: LivenessHooks, opts: LivenessOptions = {}) {
    this.hooks = hooks
    this.timers = opts.timers ?? realTimers
    this.heartbeatMs = opts.heartbeatMs ?? 5_000
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 15_000
    this.handshakeTimeoutMs = opts.handshakeTimeoutMs ?? 10_000
    this.startedAt = this.lastSent = this.lastReceived = this.timers.now()
    this.schedule()
  }

  /** Something went out (heartbeats may start once the header is out). */
  sent (): void {
    this.lastSent = this.timers.now()
    if (!this.canBeat) {
      this.canBeat = true
      this.schedule()
    }
  }

  /** Bytes arrived from the peer. */
  received (): void {
    this.lastReceived = this.timers.now()
  }

  /**
   * The peer's header arrived: the handshake deadline no longer applies.
   * `peerHeartbeatMs` is the interval the peer announced (undefined: none),
   * which decides the idle deadline from now on.
   */
  handshake (peerHeartbeatMs?: number): void {
    if (this.handshaken) return
    this.handshaken = true
    if (peerHeartbeatMs === undefined || !(peerHeartbeatMs > 0) || !Number.isFinite(peerHeartbeatMs)) this.idleTimeoutMs = 0
    else if (this.idleTimeoutMs > 0) this.idleTimeoutMs = Math.max(this.idleTimeoutMs, 2 * peerHeartbeatMs)
  }

  /** Stop every timer (the link closed). */
  stop (): void {
    this.stopped = true
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer)
    this.timer = undefined
  }

  private nextDeadline (): number {
    let t = Infinity
    if (this.heartbeatMs > 0 && this.canBeat) t = Math.min(t, this.lastSent + this.heartbeatMs)
    if (this.idleTimeoutMs > 0) t = Math.min(t, this.lastReceived + this.idleTimeoutMs)
    if (this.handshakeTimeoutMs > 0 && !this.handshaken) t = Math.min(t, this.startedAt + this.handshakeTimeoutMs)
    return t
  }

  private schedule (): void {
    if (this.stopped) return
    const t = this.nextDeadline()
    if (t === Infinity || (this.timer !== undefined && t >= this.due)) return
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer)
    this.due = t
    this.timer = this.timers.setTimeout(() => this.check(), Math.max(0, t - this.timers.now()))
  }

  private check (): void {
    this.timer = undefined
    this.due = Infinity
    if (this.stopped) return
    const now = this.timers.now()
    const handshakeLate = this.handshakeTimeoutMs > 0 && !this.handshaken && now - this.startedAt >= this.handshakeTimeoutMs
    const idleLate = this.idleTimeoutMs > 0 && now - this.lastReceived >= this.idleTimeoutMs
    if ((handshakeLate || idleLate) && !this.confirming) {
      // Timers run before the loop polls for I/O: after a busy stretch (a
      // blocked loop, hundreds of catch-ups) the peer's header or bytes may
      // be sitting unread. Look again once the loop has read its sockets.
      this.confirming = true
      this.due = now
      this.timer = this.timers.setTimeout(() => this.check(), 0)
      return
    }
    this.confirming = false
    if (handshakeLate) {
      return this.fail('handshake', this.handshakeTimeoutMs, `no header from the peer within ${this.handshakeTimeoutMs} ms`)
    }
    if (idleLate) {
      return this.fail('idle', this.idleTimeoutMs, `nothing received from the peer for ${this.idleTimeoutMs} ms (peer gone or link half-open)`)
    }
    if (this.heartbeatMs > 0 && this.canBeat && now - this.lastSent >= this.heartbeatMs) {
      this.lastSent = now
      this.hooks.heartbeat()
    }
    this.schedule()
  }

  private fail (kind: 'handshake' | 'idle', ms: number, message: string): void {
    this.stop()
    this.hooks.timeout(new GrapevineError('ERR_TIMEOUT', message, { kind, ms }))
  }
}
