import type { ClockJSON } from '../wire/types'
import { isSourceId } from '../wire/types'

/**
 * What a Redis relay tells its clients besides the replication protocol,
 * as side lines (`"gv-relay {...}"`, see lib/net/side-lines.ts) that any
 * protocol v1 peer ignores. Pure encoding and decoding.
 */

/** The side-line tag of relay notices. */
export const RELAY_TAG = 'gv-relay'

/** Header field a Redis relay adds to its stream headers. */
export const RELAY_HEADER = 'gvRelay'

/** A notice from a relay. */
export type RelayNotice =
  /** These updates of yours are in Redis: per source, every update up to this timestamp. */
  | { readonly kind: 'ack', readonly doc: string | undefined, readonly clock: ClockJSON }
  /** The relay's Redis went down (it refuses writes) or came back. */
  | { readonly kind: 'backend', readonly up: boolean, readonly code: string | undefined, readonly message: string | undefined }

/** The text of an acknowledgement side line. */
export function encodeAck (doc: string | undefined, clock: ClockJSON): string {
  return JSON.stringify(doc === undefined ? { ack: clock } : { ack: clock, doc })
}

/** The text of a backend-state side line. */
export function encodeBackend (up: boolean, err?: { code: string, message: string }): string {
  return JSON.stringify(up ? { backend: 'up' } : { backend: 'down', code: err?.code, message: err?.message })
}

/** Decode a side line's text; undefined if it is not a notice we know. */
export function decodeNotice (text: string): RelayNotice | undefined {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    return undefined
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined
  const o = v as Record<string, unknown>
  if (o.ack !== undefined) {
    const clock = toClock(o.ack)
    if (clock === undefined || (o.doc !== undefined && typeof o.doc !== 'string')) return undefined
    return { kind: 'ack', doc: o.doc as string | undefined, clock }
  }
  if (o.backend === 'up' || o.backend === 'down') {
    return {
      kind: 'backend',
      up: o.backend === 'up',
      code: typeof o.code === 'string' ? o.code : undefined,
      message: typeof o.message === 'string' ? o.message : undefined
    }
  }
  return undefined
}

function toClock (v: unknown): ClockJSON | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined
  const out: ClockJSON = Object.create(null) as ClockJSON
  for (const [k, ts] of Object.entries(v as Record<string, unknown>)) {
    if (!isSourceId(k) || typeof ts !== 'number' || !Number.isFinite(ts)) return undefined
    out[k] = ts
  }
  return out
}
