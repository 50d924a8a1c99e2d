import { join } from 'node:path'
import { type SourceId, isSourceId } from '../wire/types'
import { encodeJSON, payloadAt } from './frame'
import type { FsLayer } from './fs-layer'
import { storageError } from './types'

/** Per source: the newest timestamp stored and how many keys it has. */
export interface SourceCount { max: number, count: number }

/** What a LevelDB store is known to hold: per source, newest timestamp and key count. */
export type Tally = Map<SourceId, SourceCount>

/** A deep copy. */
export function copyTally (t: Tally): Tally {
  return new Map([...t].map(([s, c]) => [s, { ...c }]))
}

/** Per source, the larger of both (`'max'`) or the smaller (`'min'`, absent counting as none). */
export function combineTallies (a: Tally, b: Tally, how: 'max' | 'min'): Tally {
  const out: Tally = new Map()
  for (const s of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(s) ?? { max: 0, count: 0 }
    const y = b.get(s) ?? { max: 0, count: 0 }
    const c = how === 'max'
      ? { max: Math.max(x.max, y.max), count: Math.max(x.count, y.count) }
      : { max: Math.min(x.max, y.max), count: Math.min(x.count, y.count) }
    if (c.count > 0) out.set(s, c)
  }
  return out
}

/** Add one stored key of `source` at `ts` (any order). */
export function addKey (t: Tally, source: SourceId, ts: number): void {
  const c = t.get(source)
  if (c === undefined) t.set(source, { max: ts, count: 1 })
  else { c.count++; if (ts > c.max) c.max = ts }
}

/**
 * Count a put. Keys are unique per `(ts, source)` and a replica stores a
 * source's updates in timestamp order, so a put past the newest is a new
 * key; one at or below it may overwrite and is not counted (a lower count
 * can only miss a loss, never invent one).
 */
export function countPut (t: Tally, source: SourceId, ts: number): void {
  const c = t.get(source)
  if (c === undefined) t.set(source, { max: ts, count: 1 })
  else if (ts > c.max) { c.max = ts; c.count++ }
}

const FILES = ['GRAPEVINE-LEDGER.0', 'GRAPEVINE-LEDGER.1']

/**
 * The ledger of a LevelDB store: a side file, outside LevelDB, recording
 * the tally of what reached the disk, so that records LevelDB drops while
 * recovering (it does so silently) are noticed at the next open. Two
 * checksummed copies written in turn, the newer valid one wins, so a torn
 * write leaves the previous tally: an older tally only misses a loss.
 */
export class Ledger {
  private seq: number

  private constructor (private readonly f: FsLayer, private readonly fds: number[], seq: number, readonly recorded: Tally | undefined) {
    this.seq = seq
  }

  /** Open (or create) the ledger files in `dir`; `recorded` is the newest valid tally, if any. */
  static open (f: FsLayer, dir: string): Ledger {
    const fds: number[] = []
    let best: { seq: number, tally: Tally } | undefined
    try {
      for (const name of FILES) {
        const path = join(dir, name)
        const fd = f.openSync(path, 'a+')
        const buf = f.readFileSync(path)
        f.closeSync(fd)
        fds.push(f.openSync(path, 'r+'))
        const got = parse(buf)
        if (got !== undefined && (best === undefined || got.seq > best.seq)) best = got
      }
    } catch (err) {
      for (const fd of fds) try { f.closeSync(fd) } catch {}
      throw storageError(err, 'open ledger')
    }
    return new Ledger(f, fds, best?.seq ?? 0, best?.tally)
  }

  /** Record `tally`, over the older copy; fsynced when `sync` (before a compaction deletes keys). */
  write (tally: Tally, sync: boolean): void {
    this.seq++
    const buf = encodeJSON({ seq: this.seq, sources: [...tally].map(([s, c]) => [s, c.max, c.count]) })
    const fd = this.fds[this.seq % 2] as number
    try {
      this.f.writeSync(fd, buf, 0, buf.length, 0)
      if (sync) this.f.fsyncSync(fd)
    } catch (err) {
      throw storageError(err, 'write ledger')
    }
  }

  close (): void {
    for (const fd of this.fds) try { this.f.closeSync(fd) } catch {}
  }
}

function parse (buf: Buffer): { seq: number, tally: Tally } | undefined {
  // A shorter copy over a longer one leaves old bytes after it: read the first frame only.
  const p = payloadAt(buf, 0)
  if (p === undefined) return undefined
  let v: unknown
  try { v = JSON.parse(p.toString('utf8')) } catch { return undefined }
  if (typeof v !== 'object' || v === null) return undefined
  const { seq, sources } = v as { seq?: unknown, sources?: unknown }
  if (typeof seq !== 'number' || !Array.isArray(sources)) return undefined
  const tally: Tally = new Map()
  for (const e of sources) {
    if (!Array.isArray(e) || !isSourceId(e[0]) || typeof e[1] !== 'number' || typeof e[2] !== 'number') return undefined
    tally.set(e[0], { max: e[1], count: e[2] })
  }
  return { seq, tally }
}
