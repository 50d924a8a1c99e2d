import { GrapevineError } from '../errors/grapevine-error'
import { NOW_FIELD, type RefusedNotice } from '../wire/notice'

/** Stream options about time: holding updates refused for drift, and clock skew warnings. */
export interface TimeStreamOptions {
  /** Most peer updates held for clock drift before the stream ends (a reconnect resends). Default 10 000. */
  maxHeld?: number
  /** Longest wait an update is held for; one further ahead ends the stream at once. Default 600 000 (10 min). */
  holdMs?: number
  /** Longest pause between retries of held updates. Default 1 000. */
  holdRetryMs?: number
  /** Warn ('skew', ERR_CLOCK_SKEW) when the peer's header clock is off by more than this. Default 5 000. */
  skewWarnMs?: number
}

/** The time options with their defaults filled in. */
export interface TimeOptions {
  readonly maxHeld: number
  readonly holdMs: number
  readonly retryMs: number
  readonly skewWarnMs: number
}

/** Defaults of `TimeStreamOptions`. */
export function timeOptions (o: TimeStreamOptions): TimeOptions {
  return {
    maxHeld: o.maxHeld ?? 10_000,
    holdMs: o.holdMs ?? 600_000,
    retryMs: o.holdRetryMs ?? 1_000,
    skewWarnMs: o.skewWarnMs ?? 5_000
  }
}

/** What our header says about our wall clock, stamped as it goes out. */
export function timeHeaderFields (host: { wallNow: () => number }): Record<string, number> {
  return { [NOW_FIELD]: Math.round(host.wallNow()) }
}

/**
 * Compare the wall clock in a peer's header with ours. Returns the
 * ERR_CLOCK_SKEW warning when they differ by more than `warnMs` (the
 * header's transit time only makes the peer look behind, never ahead), or
 * undefined (also for peers that send no clock: scuttlebutt@5, dumps).
 */
export function checkSkew (header: Record<string, unknown>, host: { wallNow: () => number, maxDriftMs: number }, warnMs: number): GrapevineError | undefined {
  const now: unknown = header[NOW_FIELD]
  if (typeof now !== 'number' || !Number.isFinite(now)) return undefined
  const offset = now - host.wallNow()
  if (Math.abs(offset) <= warnMs) return undefined
  const peer = typeof header.id === 'string' ? header.id.slice(0, 64) : '?'
  const secs = (Math.abs(offset) / 1000).toFixed(1)
  const effect = offset > host.maxDriftMs
    ? `; its new writes are past our maxDriftMs (${host.maxDriftMs} ms), so we hold them until our clock catches up: fix the clocks`
    : offset < -host.maxDriftMs
      ? `; our writes are past its drift limit, so it will hold them: fix the clocks`
      : ''
  return new GrapevineError('ERR_CLOCK_SKEW', `peer ${peer}'s wall clock is ${secs} s ${offset > 0 ? 'ahead of' : 'behind'} ours${effect}`, { peer, offsetMs: Math.round(offset) })
}

/** The warning a writer gets when a peer tells it that it refused one of its updates. */
export function refusedWarning (n: RefusedNotice, peerHeader: unknown): GrapevineError {
  const h = peerHeader as Record<string, unknown> | undefined
  const peer = h !== undefined && typeof h.id === 'string' ? h.id.slice(0, 64) : '?'
  const what = n.held ? 'holds it until its clock allows it' : 'ended the stream so a reconnect resends it'
  const at = n.name === undefined ? '' : ` of ${n.name}`
  return new GrapevineError('ERR_PEER_REFUSED', `peer ${peer} refused the update${at} by ${n.source} at ${n.ts} (${n.code}) and ${what}; its clock reads ${n.now}`, {
    peer, reason: n.code, source: n.source, ts: n.ts, held: n.held, peerNow: n.now, name: n.name
  })
}
