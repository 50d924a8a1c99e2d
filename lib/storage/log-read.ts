import { VectorClock } from '../clock/vector-clock'
import { compareUpdates } from '../replica/compare'
import type { ClockJSON, SourceId, Update } from '../wire/types'
import { type Salvaged, countLost, salvageFrames } from './salvage'
import { RECORD_FIRST_BYTES, type StoredRecord, clockEntries, decodeAll, decodeOne, isRecordPayload, mergeClock } from './records'
import type { AffectedSource, DamagedRange, StoreDamage } from './types'

// What the log store's two files hold, free of I/O: records, damage, where to cut a torn tail.

/** Everything read back from a snapshot and a log. */
export interface LogRead {
  /** Each stored update once, per source in timestamp order. */
  readonly updates: Update[]
  /** The snapshot's clock. */
  readonly clock: ClockJSON
  /** Records read (covered leftovers of a compaction included): the store's size. */
  readonly records: number
  /** Where the log's intact content ends: a torn tail after it is cut off. */
  readonly logValidEnd: number
  /** Set when either file held damage other than a torn log tail. */
  readonly damage: StoreDamage | undefined
}

interface Item { readonly record: StoredRecord, readonly start: number }
interface FileRead { readonly items: Item[], readonly salvaged: Salvaged }

/** Salvage one file's records (a well-framed foreign record counts as damage). */
function readFile (buf: Buffer): FileRead {
  const opts = { accept: isRecordPayload, firstBytes: RECORD_FIRST_BYTES }
  let salvaged = salvageFrames(buf, opts)
  let records = decodeAll(salvaged.frames.map((f) => f.payload))
  if (records === undefined) {
    // Rare: a frame with a valid CRC that is not ours. Check each one (slow path).
    salvaged = salvageFrames(buf, { ...opts, checkAll: true })
    records = salvaged.frames.map((f) => decodeOne(f.payload) as StoredRecord)
  }
  const items = records.map((record, i) => ({ record, start: (salvaged.frames[i] as { start: number }).start }))
  return { items, salvaged }
}

/**
 * Read a snapshot (undefined if none) and a log. A snapshot is renamed into
 * place only when whole, so any damage in it, its tail included, is
 * corruption; in the log, damage with no intact record after it is a torn
 * write, the normal end of a crash, and is only cut off.
 */
export function readLog (snapshot: Buffer | undefined, log: Buffer): LogRead {
  const ranges: DamagedRange[] = []
  let exact = true
  const addRange = (file: string, start: number, end: number, lost: { records: number, exact: boolean }): void => {
    ranges.push({ file, start, end, bytes: end - start, records: lost.records })
    if (!lost.exact) exact = false
  }
  const snap = snapshot === undefined ? undefined : readFile(snapshot)
  if (snapshot !== undefined && snap !== undefined) {
    for (const g of snap.salvaged.gaps) addRange('snapshot', g.start, g.end, g)
    const end = snap.salvaged.validEnd
    if (end < snapshot.length) addRange('snapshot', end, snapshot.length, countLost(snapshot, end, snapshot.length))
  }
  const snapDamagedAt = ranges.length > 0 ? ranges[0]?.start as number : undefined
  const lg = readFile(log)
  for (const g of lg.salvaged.gaps) addRange('log', g.start, g.end, g)
  const logDamagedAt = lg.salvaged.gaps[0]?.start

  // The order records were made durable in: snapshot updates, then the
  // snapshot's clock (it covers them all), then the log. Everything before
  // the first damage is a gap-free prefix per source; after it, not.
  const prefix = new Map<SourceId, number>()
  const claim = (s: SourceId, ts: number): void => { if ((prefix.get(s) ?? 0) < ts) prefix.set(s, ts) }
  const after: Array<[SourceId, number, boolean]> = [] // source, ts, is an update
  const updates: Update[] = []
  const clock: ClockJSON = {}
  const seen = new VectorClock()
  let records = 0
  for (const { record, start } of snap?.items ?? []) {
    if (!('update' in record)) continue
    const u = record.update
    updates.push(u)
    seen.advance(u[2], u[1])
    records++
    if (snapDamagedAt === undefined || start < snapDamagedAt) claim(u[2], u[1])
    else after.push([u[2], u[1], true])
  }
  for (const { record } of snap?.items ?? []) {
    if (!('clock' in record)) continue
    mergeClock(clock, seen, record.clock)
    for (const [s, ts] of clockEntries(record.clock)) {
      if (snapDamagedAt === undefined) claim(s, ts)
      else after.push([s, ts, false])
    }
  }
  const last = new Map<SourceId, number>()
  let disordered = false
  const keep = (u: Update): void => {
    // After damage a source's records may come again, out of order (re-received from a peer).
    if ((last.get(u[2]) ?? 0) >= u[1]) disordered = true
    else last.set(u[2], u[1])
    updates.push(u)
  }
  for (const u of updates.splice(0)) keep(u)
  for (const { record, start } of lg.items) {
    if (!('update' in record)) continue
    const u = record.update
    records++
    const damaged = snapDamagedAt !== undefined || (logDamagedAt !== undefined && start > logDamagedAt)
    if (damaged) after.push([u[2], u[1], true])
    else claim(u[2], u[1])
    // Records a crash mid-compaction left behind are in the snapshot, unless it is damaged.
    if (snapDamagedAt === undefined && !seen.isNewer(u[2], u[1])) continue
    keep(u)
  }
  const out = disordered ? dedupe(updates) : updates
  if (ranges.length === 0) return { updates: out, clock, records, logValidEnd: lg.salvaged.validEnd, damage: undefined }
  return {
    updates: out,
    clock,
    records,
    logValidEnd: lg.salvaged.validEnd,
    damage: {
      ranges,
      recordsLost: ranges.reduce((n, r) => n + (r.records ?? 1), 0),
      exact,
      bytesSkipped: ranges.reduce((n, r) => n + r.bytes, 0),
      recordsKept: after.filter((a) => a[2]).length,
      affected: affectedSources(prefix, after)
    }
  }
}

/** Each update once (by source and timestamp), in `(ts, source)` order. */
function dedupe (updates: Update[]): Update[] {
  const byKey = new Map<string, Update>()
  for (const u of updates) byKey.set(`${u[1]}\u0000${u[2]}`, u)
  return [...byKey.values()].sort(compareUpdates)
}

/** Sources with something kept past their gap-free prefix. */
function affectedSources (prefix: Map<SourceId, number>, after: Array<[SourceId, number, boolean]>): AffectedSource[] {
  const by = new Map<SourceId, { heldFrom: number, heldTo: number, records: number }>()
  for (const [s, ts, isUpdate] of after) {
    if (ts <= (prefix.get(s) ?? 0)) continue
    const a = by.get(s)
    if (a === undefined) by.set(s, { heldFrom: ts, heldTo: ts, records: isUpdate ? 1 : 0 })
    else {
      if (ts < a.heldFrom) a.heldFrom = ts
      if (ts > a.heldTo) a.heldTo = ts
      if (isUpdate) a.records++
    }
  }
  return [...by].map(([source, a]) => ({ source, intactTo: prefix.get(source) ?? 0, ...a }))
}
