import { VectorClock } from '../clock/vector-clock'
import { type ClockJSON, type SourceId, type Timestamp, type Update, isSourceId, isTimestamp } from '../wire/types'

// Decoding the log's record payloads, free of I/O.

/** A decoded record: an update, or a compaction's clock. */
export type StoredRecord = { update: Update } | { clock: ClockJSON }

/** Bytes a record payload starts with (`[` of an update, `{` of a clock record). */
export const RECORD_FIRST_BYTES: readonly number[] = [0x5B, 0x7B]

/** Decode every payload, or undefined if one is not a record we wrote. */
export function decodeAll (payloads: readonly Buffer[]): StoredRecord[] | undefined {
  const values = parseMany(payloads)
  if (values === undefined) return undefined
  const out: StoredRecord[] = []
  for (const v of values) {
    const r = toRecord(v)
    if (r === undefined) return undefined
    out.push(r)
  }
  return out
}

/** Decode one payload (undefined if it is not a record we wrote). */
export function decodeOne (p: Buffer): StoredRecord | undefined {
  let v: unknown
  try { v = JSON.parse(p.toString('utf8')) } catch { return undefined }
  return toRecord(v)
}

/** True when `p` is a record we wrote: what resynchronisation requires of a frame. */
export function isRecordPayload (p: Buffer): boolean {
  return decodeOne(p) !== undefined
}

function toRecord (v: unknown): StoredRecord | undefined {
  if (isStoredUpdate(v)) return { update: v }
  if (isClockRecord(v)) return { clock: v.clock }
  return undefined
}

/** One JSON.parse for all records (much faster than one per record); undefined if any is bad. */
function parseMany (payloads: readonly Buffer[]): unknown[] | undefined {
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

/** The entries of a stored clock record, skipping any that are not a valid clock. */
export function clockEntries (c: ClockJSON): Array<[SourceId, Timestamp]> {
  try { return [...VectorClock.fromJSON(c)] } catch { return [] }
}

/** Merge a stored clock record into `into` and `seen`. */
export function mergeClock (into: ClockJSON, seen: VectorClock, c: ClockJSON): void {
  for (const [s, ts] of clockEntries(c)) {
    seen.advance(s, ts)
    const cur = Object.hasOwn(into, s) ? into[s] as number : 0
    if (cur < ts) Object.defineProperty(into, s, { value: ts, enumerable: true, writable: true, configurable: true })
  }
}
