import * as zlib from 'node:zlib'
import { ClassicLevel } from 'classic-level'
import { VectorClock } from '../clock/vector-clock'
import { GrapevineError } from '../errors/grapevine-error'
import { type ClockJSON, type SourceId, type Update, isSourceId, isTimestamp, sourceId } from '../wire/types'
import { crc32 } from './frame'
import type { LevelFindings } from './level-check'
import { errnoOf, storageError } from './types'

/** One LevelDB batch operation, as this store writes them. */
export type LevelOp = { type: 'put', key: string, value: string } | { type: 'del', key: string }

/** The part of a classic-level database this store uses (tests wrap it to inject faults). */
export interface LevelDb {
  open (): Promise<void>
  close (): Promise<void>
  batch (ops: LevelOp[], opts: { sync: boolean }): Promise<void>
  iterator (opts: { gte: string, lt: string }): { all (): Promise<Array<[string, string]>> }
  keys (opts: { gte: string, lt: string }): { all (): Promise<string[]> }
  /** LevelDB's repair (the database closed): rebuild it from whatever files and blocks still read. */
  repair?: () => Promise<void>
}

/**
 * A classic-level database seen through `LevelDb`. Batches go through the
 * chained-batch API: for large groups it costs a fraction of the array form,
 * which copies and re-encodes every operation in JavaScript.
 */
export function classicLevelDb (location: string): LevelDb {
  const db = new ClassicLevel<string, string>(location)
  return {
    open: () => db.open(),
    close: () => db.close(),
    iterator: (o) => db.iterator(o),
    keys: (o) => db.keys(o),
    batch: async (ops, o) => {
      const b = db.batch()
      for (const op of ops) {
        if (op.type === 'put') b.put(op.key, op.value)
        else b.del(op.key)
      }
      await b.write(o)
    },
    repair: () => ClassicLevel.repair(location)
  }
}

export const U = 'u!'
export const U_END = 'u~'
export const CLOCK_KEY = 'c!clock'
/** Written with `sync` by flush(): forces every batch before it to the disk. */
export const SYNC_KEY = 'c!sync'

/** Sortable key of an update: big-endian float64 ts (order-preserving for ts > 0), then source. */
export function keyOf (u: Update): string {
  TS.writeDoubleBE(u[1], 0)
  return `${U}${TS.toString('hex')}!${u[2]}`
}

const TS = Buffer.alloc(8)

/** `[ts, source]` back from a key, or undefined if it is not one of ours. */
export function parseKey (key: string): [number, SourceId] | undefined {
  const hex = key.slice(U.length, U.length + 16)
  if (!key.startsWith(U) || key[U.length + 16] !== '!' || !/^[0-9a-f]{16}$/.test(hex)) return undefined
  const ts = Buffer.from(hex, 'hex').readDoubleBE(0)
  const source = key.slice(U.length + 17)
  if (!isTimestamp(ts) || !isSourceId(source)) return undefined
  return [ts, sourceId(source)]
}

/**
 * A stored value: the CRC-32 of the update's JSON (6 base64url characters),
 * then the JSON. classic-level reads without verifying LevelDB's block
 * checksums, so a flipped bit in a table could otherwise read back as a
 * different update.
 */
export function encodeValue (u: Update): string {
  const json = JSON.stringify(u)
  return crcTag(json) + json
}

const TAG = 6

function crcTag (json: string): string {
  CRC.writeUInt32BE(crcOfString(json), 0)
  return CRC.toString('base64url')
}

/** The CRC a 6-character base64url tag holds, decoded by hand (it runs once per row at open), or -1. */
function tagValue (value: string): number {
  let n = 0
  for (let i = 0; i < TAG; i++) {
    const d = B64.indexOf(value[i] as string)
    if (d < 0) return -1
    n = n * 64 + d
  }
  // 36 bits, of which the last 4 are padding.
  return n % 16 === 0 ? n / 16 : -1
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const CRC = Buffer.alloc(4)
const nativeCrc = (zlib as unknown as { crc32?: (s: string) => number }).crc32
/** CRC-32 of a string's UTF-8 bytes; node:zlib takes the string itself, without a copy into a Buffer. */
const crcOfString = typeof nativeCrc === 'function' ? (s: string) => nativeCrc(s) : (s: string) => crc32(Buffer.from(s, 'utf8'))

/** The update stored under `key`, or undefined if the row is damaged (or not ours). */
export function decodeRow (key: string, value: string): Update | undefined {
  let json = value
  // Values written before checksums were added are plain JSON (they start with '[', never base64url).
  if (!value.startsWith('[')) {
    json = value.slice(TAG)
    if (tagValue(value) !== crcOfString(json)) return undefined
  }
  let u: unknown
  try { u = JSON.parse(json) } catch { return undefined }
  return isStored(u) && keyOf(u) === key ? u : undefined
}

function isStored (v: unknown): v is Update {
  return Array.isArray(v) && (v.length === 3 || (v.length === 4 && typeof v[3] === 'string')) && isTimestamp(v[1]) && isSourceId(v[2])
}

/** What a full read of the database found. */
export interface Rows { updates: Update[], clock: ClockJSON, actual: LevelFindings['actual'], badRows: number, badBytes: number }

/** Read and check every row: damaged ones are counted, never returned. */
export async function readRows (db: LevelDb): Promise<Rows> {
  const rows = await db.iterator({ gte: U, lt: U_END }).all()
  const out: Rows = { updates: [], clock: {}, actual: new Map(), badRows: 0, badBytes: 0 }
  for (const [key, value] of rows) {
    const u = decodeRow(key, value)
    if (u === undefined) {
      out.badRows++
      out.badBytes += key.length + value.length
      continue
    }
    out.updates.push(u)
    const a = out.actual.get(u[2])
    if (a === undefined) out.actual.set(u[2], { min: u[1], max: u[1], count: 1 })
    else { a.count++; if (u[1] > a.max) a.max = u[1]; if (u[1] < a.min) a.min = u[1] }
  }
  const c = await db.iterator({ gte: CLOCK_KEY, lt: `${CLOCK_KEY}~` }).all()
  try {
    // A damaged clock only under-claims: peers send again what it covered.
    if (c.length > 0) out.clock = VectorClock.fromJSON(JSON.parse((c[0] as [string, string])[1])).toJSON()
  } catch {}
  return out
}

/** An open that failed on LevelDB's own damage (a MANIFEST or CURRENT that does not read), not on a lock or the disk. */
export function isRepairable (err: unknown): boolean {
  const cause = typeof err === 'object' && err !== null ? (err as { cause?: unknown }).cause : undefined
  const msg = cause instanceof Error ? cause.message : ''
  return isCorruption(err) || (errnoOf(cause) === 'LEVEL_IO_ERROR' && /MANIFEST|CURRENT/.test(msg) && /No such file/i.test(msg))
}

export function isCorruption (err: unknown): boolean {
  const cause = typeof err === 'object' && err !== null ? (err as { cause?: unknown }).cause : undefined
  return errnoOf(err) === 'LEVEL_CORRUPTION' || errnoOf(cause) === 'LEVEL_CORRUPTION'
}

/** Map classic-level errors (LEVEL_LOCKED inside LEVEL_DATABASE_NOT_OPEN, LEVEL_CORRUPTION) to coded errors. */
export function levelError (err: unknown, location: string): GrapevineError {
  if (err instanceof GrapevineError) return err
  const cause = typeof err === 'object' && err !== null ? (err as { cause?: unknown }).cause : undefined
  if (errnoOf(err) === 'LEVEL_LOCKED' || errnoOf(cause) === 'LEVEL_LOCKED') {
    return new GrapevineError('ERR_STORE_LOCKED', `store ${location} is locked by another process or handle`, { dir: location })
  }
  if (isCorruption(err)) {
    const msg = cause instanceof Error ? cause.message : err instanceof Error ? err.message : String(err)
    return new GrapevineError('ERR_STORE_CORRUPT', `store ${location} is damaged: ${msg}`, { where: `store ${location}`, cause: msg })
  }
  return storageError(cause instanceof Error && /space/i.test(cause.message) ? cause : err, 'leveldb')
}
