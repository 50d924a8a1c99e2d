import { VectorClock } from '../clock/vector-clock'
import { type ClockJSON, type SourceId, type Update, isSourceId, isTimestamp } from '../wire/types'
import { HEADER_BYTES } from './frame'

// Decoding the log's record payloads, free of I/O.

/** Records decoded from a scan: updates, clock records, and where decoding stopped. */
export interface Parsed { updates: Update[], clocks: ClockJSON[], bad: boolean, validBytes: number }

/** Decode payloads until the first one that is not a record we wrote. */
export function parseAll (payloads: Buffer[]): Parsed {
  const out: Parsed = { updates: [], clocks: [], bad: false, validBytes: 0 }
  const values = parseMany(payloads)
  for (let i = 0; i < payloads.length; i++) {
    const v = values !== undefined ? values[i] : parseOne(payloads[i] as Buffer)
    if (isStoredUpdate(v)) out.updates.push(v)
    else if (isClockRecord(v)) out.clocks.push(v.clock)
    else { out.bad = true; return out }
    out.validBytes += (payloads[i] as Buffer).length + HEADER_BYTES
  }
  return out
}

const BAD = Symbol('bad')

function parseOne (p: Buffer): unknown {
  try { return JSON.parse(p.toString('utf8')) } catch { return BAD }
}

/** One JSON.parse for all records (much faster than one per record); undefined if any is bad. */
function parseMany (payloads: Buffer[]): unknown[] | undefined {
  if (payloads.length === 0) return []
  const parts: Buffer[] = [Buffer.from('[')]
  for (let i = 0; i < payloads.length; i++) {
    if (i > 0) parts.push(COMMA)
    parts.push(payloads[i] as Buffer)
  }
  parts.push(Buffer.from(']'))
  try {
    const all: unknown = JSON.parse(Buffer.concat(parts).toString('utf8'))
    // A record holding "1,2" would parse as two: counts must match.
    return Array.isArray(all) && all.length === payloads.length ? all : undefined
  } catch {
    return undefined
  }
}

const COMMA = Buffer.from(',')

function isStoredUpdate (v: unknown): v is Update {
  return Array.isArray(v) && (v.length === 3 || (v.length === 4 && typeof v[3] === 'string')) &&
    isTimestamp(v[1]) && isSourceId(v[2])
}

function isClockRecord (v: unknown): v is { clock: ClockJSON } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) &&
    typeof (v as { clock?: unknown }).clock === 'object' && (v as { clock?: unknown }).clock !== null
}

/** Merge a stored clock record into `into` and `seen`. */
export function mergeClock (into: ClockJSON, seen: VectorClock, c: ClockJSON): void {
  let vc: VectorClock
  try { vc = VectorClock.fromJSON(c) } catch { return }
  for (const [s, ts] of vc) {
    seen.advance(s as SourceId, ts)
    const cur = Object.hasOwn(into, s) ? into[s] as number : 0
    if (cur < ts) Object.defineProperty(into, s, { value: ts, enumerable: true, writable: true, configurable: true })
  }
}
