import { type SourceId, type Timestamp, isSourceId, isTimestamp } from './types'

/**
 * Header field a grapevine peer sends to say it reads notices. A notice
 * goes only to a peer that said so: scuttlebutt@5 would take any object
 * for a second header and send its whole history again.
 */
export const NOTICES_FIELD = 'notices'

/**
 * The `proto` a grapevine replica stream puts in its header: the peer
 * decodes UTF-8 across chunks, so it may be sent raw UTF-8 (scuttlebutt@5
 * peers get ASCII-only lines).
 */
export const REPLICA_PROTO = 'grapevine/1'

/** Header field carrying the sender's wall clock (ms) when the header went out. */
export const NOW_FIELD = 'now'

/**
 * An advisory message from peer to peer, after the header:
 * `{"notice":"refused","code":"ERR_CLOCK_DRIFT","source":s,"ts":t,"held":true,"now":ms}`.
 * 'refused' tells a writer that this peer did not apply its update (held
 * until acceptable, or the stream ends so a reconnect resends it).
 */
export interface RefusedNotice {
  readonly notice: 'refused'
  /** The code of the refusal (today ERR_CLOCK_DRIFT). */
  readonly code: string
  readonly source: SourceId
  readonly ts: Timestamp
  /** True: held until acceptable; false: the stream ends so a reconnect resends. */
  readonly held: boolean
  /** The refusing peer's wall clock, ms. */
  readonly now: number
  /** Replica name, on bucket streams. */
  readonly name?: string
}

/** True for an object that is a notice rather than a header (no clock, a string `notice`). */
export function isNoticeShape (v: Record<string, unknown>): boolean {
  return typeof v.notice === 'string' && !('clock' in v)
}

/** Check a peer's notice; undefined when it is not one we understand (notices are advisory: ignore it). */
export function decodeNotice (v: Record<string, unknown>): RefusedNotice | undefined {
  if (v.notice !== 'refused') return undefined
  const { code, source, ts, held, now, name } = v
  if (typeof code !== 'string' || code.length > 64 || !/^ERR_[A-Z_]+$/.test(code)) return undefined
  if (!isSourceId(source) || !isTimestamp(ts) || typeof held !== 'boolean') return undefined
  if (typeof now !== 'number' || !Number.isFinite(now)) return undefined
  if (name !== undefined && !isSourceId(name)) return undefined
  const out: RefusedNotice = { notice: 'refused', code, source, ts, held, now }
  return name === undefined ? out : { ...out, name }
}

/** True when a peer's header says it reads notices. */
export function readsNotices (header: Record<string, unknown>): boolean {
  return header[NOTICES_FIELD] === 1
}
