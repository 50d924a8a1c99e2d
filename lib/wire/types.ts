/** A replica's id, as it appears as the source of its updates. */
export type SourceId = string & { readonly __brand: 'SourceId' }
/** A hybrid-logical-clock timestamp: milliseconds, a finite JSON number. */
export type Timestamp = number & { readonly __brand: 'Timestamp' }

/**
 * One replicated change: `[change, ts, source]`, or with a signature at
 * index 3. `change` is data-type specific JSON.
 */
export type Update<C = unknown> =
  | readonly [change: C, ts: Timestamp, source: SourceId]
  | readonly [change: C, ts: Timestamp, source: SourceId, signature: string]

/** A clock on the wire: `{ source: latest ts }`. */
export type ClockJSON = Record<string, number>

/** The first message of each direction of a stream. */
export interface Header {
  readonly id: string
  readonly clock: ClockJSON
  readonly meta?: unknown
  /** Extra fields a newer peer may send; ignored unless understood. */
  readonly [extra: string]: unknown
}

/** Messages as the session sees them, after validation. */
export type Message =
  | { readonly kind: 'header', readonly header: Header }
  | { readonly kind: 'update', readonly update: Update }
  | { readonly kind: 'sync' }
  | { readonly kind: 'ignored', readonly value: unknown }

/** The value sent as the sync marker. */
export const SYNC = 'SYNC'

/** Brand a string as a SourceId (no checks: use `isSourceId` for peer data). */
export function sourceId (s: string): SourceId {
  return s as SourceId
}

/** Brand a number as a Timestamp (no checks: use `isTimestamp` for peer data). */
export function timestamp (n: number): Timestamp {
  return n as Timestamp
}

/** Longest source id accepted, in UTF-16 code units. */
export const MAX_SOURCE_LENGTH = 256

/** A valid source id: non-empty, at most 256 characters, never `__proto__`. */
export function isSourceId (v: unknown): v is SourceId {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_SOURCE_LENGTH && v !== '__proto__'
}

/** A valid timestamp: a finite number greater than zero. */
export function isTimestamp (v: unknown): v is Timestamp {
  return typeof v === 'number' && Number.isFinite(v) && v > 0
}
