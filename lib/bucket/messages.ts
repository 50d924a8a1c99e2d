import { VectorClock } from '../clock/vector-clock'
import { GrapevineError } from '../errors/grapevine-error'
import { type DecodedHeader, checkUpdate, decodeMessage } from '../wire/messages'
import { type ClockJSON, type Update, SYNC, isSourceId } from '../wire/types'
import { type RefusedNotice, decodeNotice, isNoticeShape } from '../wire/notice'

/** The `proto` a bucket stream puts in its header. */
export const BUCKET_PROTO = 'grapevine-bucket/1'

/** Payload of `[name, "DROP"]`: the sender no longer holds `name`. */
export const DROP = 'DROP'

/** A bucket name: the same rule as a source id (non-empty, at most 256 characters, never `__proto__`). */
export function isBucketName (v: unknown): v is string {
  return isSourceId(v)
}

/** Limits applied while decoding a bucket stream. */
export interface BucketDecodeLimits {
  /** Most sources in any one clock. */
  maxSources: number
  /** Most names in the header's `buckets`. */
  maxNames: number
}

/** A decoded grapevine-bucket/1 message: the one place peer JSON becomes typed data. */
export type BucketMessage =
  | { readonly kind: 'header', readonly header: DecodedHeader, readonly buckets: ReadonlyMap<string, VectorClock>, readonly more: number }
  | { readonly kind: 'update', readonly name: string, readonly update: Update }
  | { readonly kind: 'announce', readonly name: string, readonly clock: VectorClock, readonly reply: boolean, readonly handshake: boolean }
  | { readonly kind: 'sync', readonly name: string | undefined }
  | { readonly kind: 'drop', readonly name: string }
  | { readonly kind: 'notice', readonly notice: RefusedNotice }
  | { readonly kind: 'ignored' }

const IGNORED: BucketMessage = { kind: 'ignored' }
const GLOBAL_SYNC: BucketMessage = { kind: 'sync', name: undefined }

/**
 * Turn a parsed JSON value into a bucket message or a coded error. Objects
 * are headers, `"SYNC"` ends the handshake histories, arrays are tagged
 * `[name, payload]` messages; other scalars are ignored (future use).
 * ERR_INVALID_UPDATE marks a bad tagged message (the stream may go on);
 * any other code is fatal to the stream.
 */
export function decodeBucketMessage (value: unknown, limits: BucketDecodeLimits): BucketMessage | GrapevineError {
  if (Array.isArray(value)) return decodeTagged(value, limits)
  if (typeof value === 'object' && value !== null) {
    if (isNoticeShape(value as Record<string, unknown>)) {
      const notice = decodeNotice(value as Record<string, unknown>)
      return notice === undefined ? IGNORED : { kind: 'notice', notice }
    }
    return decodeHeader(value, limits)
  }
  if (value === SYNC) return GLOBAL_SYNC
  return IGNORED
}

function decodeHeader (value: object, limits: BucketDecodeLimits): BucketMessage | GrapevineError {
  const base = decodeMessage(value, limits.maxSources)
  if (base instanceof GrapevineError) return base
  if (base.kind !== 'header') return protocol('header expected')
  const h = base.header
  if (h.proto !== BUCKET_PROTO) return protocol(`peer does not speak ${BUCKET_PROTO}`, { proto: String(h.proto).slice(0, 64) })
  const raw = h.buckets
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return protocol('header must have a "buckets" object')
  const names = Object.keys(raw)
  const more = h.more ?? 0
  if (typeof more !== 'number' || !Number.isSafeInteger(more) || more < 0) return protocol('header "more" must be a count')
  if (names.length + more > limits.maxNames) {
    return new GrapevineError('ERR_TOO_MANY_NAMES', `header names ${names.length + more} replicas, limit is ${limits.maxNames}`)
  }
  const buckets = new Map<string, VectorClock>()
  for (const name of names) {
    if (!isBucketName(name)) return protocol('header names an invalid replica name', { name: (name as string).slice(0, 64) })
    const clock = parseClock((raw as Record<string, unknown>)[name], limits.maxSources)
    if (clock instanceof GrapevineError) return clock
    buckets.set(name, clock)
  }
  return { kind: 'header', header: base, buckets, more }
}

function decodeTagged (v: readonly unknown[], limits: BucketDecodeLimits): BucketMessage | GrapevineError {
  if (v.length !== 2) return invalid(`tagged message must be [name, payload], got ${v.length} elements`)
  const name = v[0]
  if (!isBucketName(name)) return invalid('tag must be a non-empty string of at most 256 characters, not "__proto__"')
  const payload = v[1]
  if (Array.isArray(payload)) {
    const u = checkUpdate(payload)
    return u instanceof GrapevineError ? u : { kind: 'update', name, update: u }
  }
  if (payload === SYNC) return { kind: 'sync', name }
  if (payload === DROP) return { kind: 'drop', name }
  if (typeof payload === 'object' && payload !== null) {
    const p = payload as Record<string, unknown>
    if (p.reply !== undefined && typeof p.reply !== 'boolean') return protocol('announce "reply" must be a boolean', { name })
    if (p.handshake !== undefined && typeof p.handshake !== 'boolean') return protocol('announce "handshake" must be a boolean', { name })
    if (p.reply === true && p.handshake === true) return protocol('an announce is a reply or part of the handshake, not both', { name })
    const clock = parseClock(p.clock, limits.maxSources)
    if (clock instanceof GrapevineError) return clock
    return { kind: 'announce', name, clock, reply: p.reply === true, handshake: p.handshake === true }
  }
  return invalid('tagged payload must be an update, an announce, "SYNC" or "DROP"')
}

function parseClock (value: unknown, maxSources: number): VectorClock | GrapevineError {
  try {
    return VectorClock.fromJSON(value, maxSources)
  } catch (err) {
    if (err instanceof GrapevineError) return err
    throw err
  }
}

/** `[name, update]`. */
export function tagUpdate (name: string, update: Update): readonly [string, Update] {
  return [name, update]
}

/** What an announce is: fresh (a name just added), a reply, or part of the handshake. */
export type AnnounceKind = 'fresh' | 'reply' | 'handshake'

/** `[name, {"clock": ..., "reply"?: true, "handshake"?: true}]`: "I hold `name` at this clock". */
export function announce (name: string, clock: ClockJSON, kind: AnnounceKind): readonly [string, Record<string, unknown>] {
  if (kind === 'reply') return [name, { clock, reply: true }]
  if (kind === 'handshake') return [name, { clock, handshake: true }]
  return [name, { clock }]
}

/** The `buckets` of a header, and the names that did not fit (sent as handshake announces). */
export interface SplitBuckets {
  readonly buckets: Record<string, ClockJSON>
  readonly rest: ReadonlyArray<readonly [string, ClockJSON]>
}

/**
 * Put clocks in a header's `buckets` (a plain object whose keys stay data
 * whatever they are called) until about `maxBytes` of JSON; the rest go
 * after the header, so no line has to hold every clock.
 */
export function splitBuckets (entries: Iterable<readonly [string, ClockJSON]>, maxBytes: number): SplitBuckets {
  const buckets: Record<string, ClockJSON> = {}
  const rest: Array<readonly [string, ClockJSON]> = []
  let bytes = 0
  for (const [name, clock] of entries) {
    if (rest.length === 0) {
      bytes += JSON.stringify(name).length + JSON.stringify(clock).length + 2
      if (bytes <= maxBytes) {
        Object.defineProperty(buckets, name, { value: clock, enumerable: true, writable: true, configurable: true })
        continue
      }
    }
    rest.push([name, clock])
  }
  return { buckets, rest }
}

function invalid (message: string): GrapevineError {
  return new GrapevineError('ERR_INVALID_UPDATE', message)
}

function protocol (message: string, details: Record<string, unknown> = {}): GrapevineError {
  return new GrapevineError('ERR_PROTOCOL', message, details)
}
