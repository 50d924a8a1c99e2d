import { GrapevineError } from '../errors/grapevine-error'
import { checkUpdate } from '../wire/messages'
import { type ClockJSON, type Update, isSourceId } from '../wire/types'

/**
 * What a document looks like in Redis (docs/scale-out.md, "Keys"): pure
 * encoding and decoding, no I/O. Every reply from Redis is `unknown` here
 * until a guard says otherwise: the store is shared, and a key written by
 * something else must become a coded error, never a crash.
 */

/** The Redis keys of one document. The braces are a hash tag: a cluster keeps them in one slot. */
export interface DocKeys {
  /** The stream of batches of updates. */
  readonly log: string
  /** Counters shared by every relay: `seq` (batches appended) and `total` (updates appended). */
  readonly meta: string
  /** The compacted snapshot: the document's history since `{}` up to an entry of the log. */
  readonly snap: string
  /** Held by the relay that compacts, so only one builds a snapshot at a time. */
  readonly lock: string
}

/** The keys of document `name` under `prefix`. */
export function docKeys (prefix: string, name: string): DocKeys {
  const base = `${prefix}:{${name}}`
  return { log: `${base}:log`, meta: `${base}:meta`, snap: `${base}:snap`, lock: `${base}:lock` }
}

/** One entry of a document's log: one batch of updates appended by one relay. */
export interface LogEntry {
  /** The stream id Redis gave it. */
  readonly id: string
  /** Its place among the document's batches: 1, 2, 3... with no gap unless trimmed. */
  readonly seq: number
  /** Updates appended to the document up to and including this batch. */
  readonly total: number
  /** The relay that appended it. */
  readonly relay: string
  /** Its updates, shape-checked; malformed ones are left out and counted. */
  readonly updates: Update[]
  /** Updates of the batch that failed the shape check. */
  readonly malformed: number
}

/** A compacted document: every update of its history since `{}` as of log entry `id`. */
export interface Snapshot {
  /** The log entry it covers up to, inclusive. */
  readonly id: string
  readonly seq: number
  readonly total: number
  /** The document's vector clock then (sources whose updates were all superseded still count). */
  readonly clock: ClockJSON
  readonly updates: Update[]
}

/** The start of a log, before its first entry. */
export const LOG_START = '0-0'

/** Encode a batch for the `u` field of a log entry. */
export function encodeBatch (updates: readonly Update[]): string {
  return JSON.stringify(updates)
}

/** Decode updates from JSON text: shape-checked, malformed ones counted. */
export function decodeUpdates (text: unknown): { updates: Update[], malformed: number } | GrapevineError {
  if (typeof text !== 'string') return corrupt('updates are not a string')
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    return corrupt('updates are not JSON')
  }
  if (!Array.isArray(v)) return corrupt('updates are not an array')
  const updates: Update[] = []
  let malformed = 0
  for (const u of v as unknown[]) {
    const ok = Array.isArray(u) ? checkUpdate(u) : undefined
    if (ok === undefined || ok instanceof GrapevineError) malformed++
    else updates.push(ok)
  }
  return { updates, malformed }
}

/** One raw stream entry (`[id, [field, value, ...]]`) to a LogEntry, or a coded error. */
export function decodeEntry (raw: unknown): LogEntry | GrapevineError {
  if (!Array.isArray(raw) || raw.length !== 2 || typeof raw[0] !== 'string' || !Array.isArray(raw[1])) {
    return corrupt('a log entry is not [id, fields]')
  }
  const id = raw[0]
  const fields = fieldMap(raw[1] as unknown[])
  const seq = Number(fields.get('s'))
  const total = Number(fields.get('t'))
  const relay = fields.get('r')
  if (!Number.isSafeInteger(seq) || seq < 1 || !Number.isSafeInteger(total) || total < 0 || typeof relay !== 'string') {
    return corrupt('a log entry lacks its sequence, total or relay', { id })
  }
  const body = decodeUpdates(fields.get('u'))
  if (body instanceof GrapevineError) return corrupt(body.message, { id })
  return { id, seq, total, relay, updates: body.updates, malformed: body.malformed }
}

/**
 * An XREAD reply (RESP2: `null`, or `[[key, [entry...]], ...]`) to the
 * entries of each key. An entry that does not decode is reported and
 * skipped with its id, so the reader can still move past it.
 */
export function decodeXread (reply: unknown): Map<string, Array<LogEntry | GrapevineError>> {
  const out = new Map<string, Array<LogEntry | GrapevineError>>()
  if (reply === null || reply === undefined) return out
  if (!Array.isArray(reply)) {
    out.set('', [corrupt('XREAD reply is not an array')])
    return out
  }
  for (const item of reply as unknown[]) {
    if (!Array.isArray(item) || typeof item[0] !== 'string' || !Array.isArray(item[1])) continue
    out.set(item[0], (item[1] as unknown[]).map(decodeEntry))
  }
  return out
}

/** The snapshot fields, in the order the compaction script writes them. */
export const SNAPSHOT_FIELDS = ['id', 'seq', 'total', 'clock', 'updates'] as const

/** An HMGET reply of SNAPSHOT_FIELDS to a Snapshot; undefined when there is none yet. */
export function decodeSnapshot (reply: unknown): Snapshot | undefined | GrapevineError {
  if (!Array.isArray(reply) || reply.length !== SNAPSHOT_FIELDS.length) return corrupt('snapshot reply has the wrong shape')
  const [id, seq, total, clock, updates] = reply as unknown[]
  if (id === null || id === undefined) return undefined
  const s = Number(seq)
  const t = Number(total)
  if (typeof id !== 'string' || !Number.isSafeInteger(s) || s < 0 || !Number.isSafeInteger(t) || t < 0) return corrupt('snapshot header is damaged')
  const c = decodeClock(clock)
  if (c === undefined) return corrupt('snapshot clock is damaged')
  const body = decodeUpdates(updates)
  if (body instanceof GrapevineError) return corrupt(`snapshot: ${body.message}`)
  return { id, seq: s, total: t, clock: c, updates: body.updates }
}

/** Encode a snapshot's fields as the compaction script expects them (after id, seq, total). */
export function encodeSnapshotBody (clock: ClockJSON, updates: Iterable<Update>): { clock: string, updates: string, count: number } {
  const list = [...updates]
  return { clock: JSON.stringify(clock), updates: JSON.stringify(list), count: list.length }
}

/** Compare two stream ids (`ms-seq`): negative, zero or positive. */
export function compareIds (a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-')
  const [bm = '0', bs = '0'] = b.split('-')
  const d = Number(am) - Number(bm)
  return d !== 0 ? d : Number(as) - Number(bs)
}

function decodeClock (v: unknown): ClockJSON | undefined {
  if (typeof v !== 'string') return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(v)
  } catch {
    return undefined
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined
  const out: ClockJSON = Object.create(null) as ClockJSON
  for (const [k, ts] of Object.entries(parsed as Record<string, unknown>)) {
    if (!isSourceId(k) || typeof ts !== 'number' || !Number.isFinite(ts) || ts <= 0) return undefined
    out[k] = ts
  }
  return out
}

function fieldMap (flat: unknown[]): Map<string, unknown> {
  const m = new Map<string, unknown>()
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const k = flat[i]
    if (typeof k === 'string') m.set(k, flat[i + 1])
  }
  return m
}

function corrupt (message: string, details: Record<string, unknown> = {}): GrapevineError {
  return new GrapevineError('ERR_BACKEND', `Redis holds a damaged document: ${message}`, { kind: 'corrupt', ...details })
}
