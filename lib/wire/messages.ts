import { VectorClock } from '../clock/vector-clock'
import { GrapevineError } from '../errors/grapevine-error'
import { type Header, type Update, SYNC, isSourceId, isTimestamp } from './types'
import { type RefusedNotice, decodeNotice, isNoticeShape } from './notice'

/** A header after validation, with its clock parsed. */
export interface DecodedHeader {
  readonly kind: 'header'
  readonly header: Header
  readonly clock: VectorClock
}

/** A decoded wire message: the one place peer JSON becomes typed data. */
export type WireMessage =
  | DecodedHeader
  | { readonly kind: 'update', readonly update: Update }
  | { readonly kind: 'sync' }
  | { readonly kind: 'notice', readonly notice: RefusedNotice }
  | { readonly kind: 'ignored' }

const IGNORED: WireMessage = { kind: 'ignored' }
const SYNC_MSG: WireMessage = { kind: 'sync' }

/** Shape check of an update (docs/protocol.md section 2). */
export function checkUpdate (v: readonly unknown[]): Update | GrapevineError {
  if (v.length !== 3 && v.length !== 4) return invalid(`update must have 3 or 4 elements, got ${v.length}`)
  if (!isTimestamp(v[1])) return invalid('update timestamp must be a finite number above zero')
  if (!isSourceId(v[2])) return invalid('update source must be a non-empty string of at most 256 characters, not "__proto__"')
  if (v.length === 4 && typeof v[3] !== 'string') return invalid('update signature (index 3) must be a string')
  return v as unknown as Update
}

/**
 * Turn a parsed JSON value into a message or a coded error. Arrays are
 * updates, objects headers (or notices: no clock, a string `notice`),
 * "SYNC" the sync marker; other scalars, and notices we do not understand,
 * are ignored (reserved for future use).
 */
export function decodeMessage (value: unknown, maxSources = Infinity): WireMessage | GrapevineError {
  if (Array.isArray(value)) {
    const u = checkUpdate(value)
    return u instanceof GrapevineError ? u : { kind: 'update', update: u }
  }
  if (typeof value === 'object' && value !== null) {
    const o = value as Record<string, unknown>
    if (isNoticeShape(o)) {
      const notice = decodeNotice(o)
      return notice === undefined ? IGNORED : { kind: 'notice', notice }
    }
    return decodeHeader(o, maxSources)
  }
  if (value === SYNC) return SYNC_MSG
  return IGNORED
}

function decodeHeader (h: Record<string, unknown>, maxSources: number): DecodedHeader | GrapevineError {
  if (typeof h.id !== 'string') return new GrapevineError('ERR_PROTOCOL', 'header must have a string id')
  if (!('clock' in h)) return new GrapevineError('ERR_PROTOCOL', 'header must have a clock')
  try {
    return { kind: 'header', header: h as Header, clock: VectorClock.fromJSON(h.clock, maxSources) }
  } catch (err) {
    if (err instanceof GrapevineError) return err
    throw err
  }
}

function invalid (message: string): GrapevineError {
  return new GrapevineError('ERR_INVALID_UPDATE', message)
}
