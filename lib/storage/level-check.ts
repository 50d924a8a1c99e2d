import type { SourceId } from '../wire/types'
import type { Tally } from './level-ledger'
import type { AffectedSource, DamagedRange, StoreDamage } from './types'

// What a LevelDB store lost, free of I/O: its ledger against what it holds, and LevelDB's own log.

/** A drop LevelDB wrote to its info log (`LOG`) while recovering a damaged write-ahead log. */
export interface LevelDrop { readonly file: string, readonly bytes: number }

const DROP = /\(ignoring error\) (.*?): dropping (\d+) bytes; Corruption/

/**
 * Drops named in LevelDB's info log. LevelDB starts a fresh `LOG` at every
 * open, so these are the drops of the recovery that just ran.
 */
export function parseLevelLog (text: string): LevelDrop[] {
  const out: LevelDrop[] = []
  for (const line of text.split('\n')) {
    const m = DROP.exec(line)
    if (m !== null) out.push({ file: (m[1] as string).split('/').pop() as string, bytes: Number(m[2]) })
  }
  return out
}

/** What a LevelDB store found at open. */
export interface LevelFindings {
  /** Per source, the valid rows read: newest and oldest timestamps, count. */
  readonly actual: Map<SourceId, { min: number, max: number, count: number }>
  /** The ledger's tally of what had reached the disk, if the store had one. */
  readonly recorded: Tally | undefined
  readonly drops: readonly LevelDrop[]
  /** Rows whose value failed its checksum, did not parse, or did not match its key. */
  readonly badRows: number
  readonly badBytes: number
  /** LevelDB's repair ran because its tables could not be read. */
  readonly repaired: boolean
}

/**
 * The damage, if any. Without paranoid checks (classic-level does not
 * expose them) LevelDB drops what it cannot read and says so only in its
 * `LOG`; the ledger shows which sources lost records. A source short of
 * records may have a hole somewhere, unless only its newest were lost and
 * nothing was dropped mid-log or repaired (a cut log loses a tail per
 * source): where the hole is is unknown, so none of its records is certain
 * (`intactTo: 0`).
 */
export function assessLevel (x: LevelFindings): StoreDamage | undefined {
  const missing: Array<{ source: SourceId, records: number, newestStored: number, newestExpected: number }> = []
  for (const [source, e] of x.recorded ?? []) {
    const a = x.actual.get(source) ?? { min: 0, max: 0, count: 0 }
    let records = Math.max(0, e.count - a.count)
    if (a.max < e.max) records = Math.max(records, 1)
    if (records > 0) missing.push({ source, records, newestStored: a.max, newestExpected: e.max })
  }
  // With a ledger, LevelDB's drops matter only if they took records that had reached the disk:
  // a power loss can tear the log's last block too, and a torn tail is no damage.
  const ledger = x.recorded !== undefined
  const broken = x.repaired || x.badRows > 0
  const dropped = x.drops.length > 0
  if (missing.length === 0 && !broken && (ledger || !dropped)) return undefined
  const ranges: DamagedRange[] = x.drops.map((d) => ({ file: d.file, bytes: d.bytes }))
  if (x.badRows > 0) ranges.push({ file: 'tables', bytes: x.badBytes, records: x.badRows })
  const holey = new Set<SourceId>()
  for (const m of missing) if (broken || dropped || m.newestStored >= m.newestExpected) holey.add(m.source)
  // Something dropped but no ledger to say whose: every source may have lost some.
  if (!ledger && (broken || dropped)) for (const s of x.actual.keys()) holey.add(s)
  const affected: AffectedSource[] = []
  for (const source of holey) {
    const a = x.actual.get(source)
    if (a !== undefined) affected.push({ source, intactTo: 0, heldFrom: a.min, heldTo: a.max, records: a.count })
  }
  let kept = 0
  for (const a of x.actual.values()) kept += a.count
  return {
    ranges,
    recordsLost: Math.max(missing.reduce((n, m) => n + m.records, 0), x.badRows, !ledger && dropped ? 1 : 0),
    // The ledger's counts are lower bounds: exact only in saying nothing it knew of is missing.
    exact: ledger && missing.length === 0 && x.badRows === 0,
    bytesSkipped: x.drops.reduce((n, d) => n + d.bytes, 0) + x.badBytes,
    recordsKept: kept,
    affected,
    missing,
    ...(x.repaired ? { repaired: true } : {})
  }
}
