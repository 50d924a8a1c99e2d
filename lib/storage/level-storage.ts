import { join } from 'node:path'
import { VectorClock } from '../clock/vector-clock'
import { GrapevineError } from '../errors/grapevine-error'
import type { ClockJSON, SourceId, Update } from '../wire/types'
import { ClockMark } from './clock-mark'
import { type FsLayer, realFs } from './fs-layer'
import { CLOCK_KEY, type LevelDb, type LevelOp, type Rows, SYNC_KEY, U, U_END, classicLevelDb, encodeValue, isCorruption, isRepairable, keyOf, levelError, parseKey, readRows } from './level-db'
import { assessLevel, parseLevelLog } from './level-check'
import { Ledger, type Tally, addKey, combineTallies, copyTally, countPut } from './level-ledger'
import type { CorruptPolicy } from './log-storage'
import { type Loaded, type Storage, type StorageStats, type StoreDamage, corruptError } from './types'

export { classicLevelDb } from './level-db'
export type { LevelDb, LevelOp } from './level-db'

/** Options of `LevelStorage.open(location, opts)`. */
export interface LevelStorageOptions {
  /**
   * LevelDB `sync` on every batch (fsync before the append resolves).
   * Default false: a process crash loses nothing acknowledged, a power loss
   * may lose the writes since the last `flush()`.
   */
  sync?: boolean
  /** Build the database (tests inject faults). Default: `classicLevelDb(location)`. */
  createDb?: (location: string) => LevelDb
  /** File layer for the clock mark and ledger files. Default: node:fs. */
  fs?: FsLayer
  /**
   * Damage found at open (see docs/persistence.md): `'salvage'` (default)
   * keeps what LevelDB still reads, running its repair if its tables cannot
   * be read, and reports the loss; `'refuse'` throws ERR_STORE_CORRUPT.
   */
  onCorrupt?: CorruptPolicy
}

interface Pending {
  ops: LevelOp[]
  puts: Array<[SourceId, number]>
  waiters: Array<{ resolve: () => void, reject: (e: unknown) => void }>
}

/**
 * LevelDB store through classic-level: one key per update, ordered by
 * `(ts, source)`; appends are grouped into atomic batches written one
 * after the other, so after a crash the store holds a prefix of what was
 * appended. Appends are asynchronous, so the store keeps a clock mark
 * file (`reserve()`) to keep the no-reused-timestamp promise, and a ledger
 * file to notice records LevelDB drops while recovering.
 */
export class LevelStorage implements Storage {
  readonly syncAppend = false
  readonly stats: StorageStats = { records: 0, bytes: 0, truncatedBytes: 0, recordsLost: 0, bytesSkipped: 0 }
  /** Damage found at open; reported again at each open until a compaction (or until the lost records are stored again). */
  damage: StoreDamage | undefined
  private pending: Pending = { ops: [], puts: [], waiters: [] }
  private writing: Promise<void> | undefined
  private closed = false
  /** Set while a compaction runs: no group commit starts then. */
  private exclusive: Promise<void> | undefined
  /** What the open read, handed to the first load(). */
  private cached: Rows | undefined
  /** Keys known written (the ledger's expectation kept while damage is unresolved). */
  private tally: Tally
  /** Batches written since the ledger was: the next flush() syncs and records them. */
  private ledgerStale = false

  private constructor (
    readonly location: string,
    private readonly db: LevelDb,
    private readonly mark: ClockMark,
    private readonly ledger: Ledger,
    private readonly sync: boolean,
    rows: Rows,
    damage: StoreDamage | undefined
  ) {
    this.cached = rows
    this.damage = damage
    this.stats.records = rows.updates.length
    this.stats.recordsLost = damage?.recordsLost ?? 0
    this.stats.bytesSkipped = damage?.bytesSkipped ?? 0
    const actual: Tally = new Map([...rows.actual].map(([s, a]) => [s, { max: a.max, count: a.count }]))
    this.tally = combineTallies(actual, ledger.recorded ?? new Map(), 'max')
  }

  /** Open (creating if needed) the database at `location` and read it. Throws ERR_STORE_LOCKED if open elsewhere. */
  static async open (location: string, opts: LevelStorageOptions = {}): Promise<LevelStorage> {
    const f = opts.fs ?? realFs
    const onCorrupt = opts.onCorrupt ?? 'salvage'
    const db = (opts.createDb ?? classicLevelDb)(location)
    let repaired = false
    try {
      await db.open()
    } catch (err) {
      // A damaged MANIFEST or CURRENT: LevelDB cannot open at all, its repair rebuilds them from the tables.
      if (onCorrupt === 'refuse' || db.repair === undefined || !isRepairable(err)) throw levelError(err, location)
      try {
        await db.repair()
        await db.open()
      } catch (e) {
        throw levelError(e, location)
      }
      repaired = true
    }
    let mark: ClockMark | undefined
    let ledger: Ledger | undefined
    try {
      mark = ClockMark.open(f, location, 'GRAPEVINE-CLOCK', opts.sync === true)
      ledger = Ledger.open(f, location)
      const drops = parseLevelLog(readText(f, join(location, 'LOG')))
      let rows: Rows
      try {
        rows = await readRows(db)
      } catch (err) {
        if (!isCorruption(err) || onCorrupt === 'refuse' || db.repair === undefined) throw levelError(err, location)
        // The tables themselves do not read: LevelDB's repair keeps every block it still can.
        await db.close()
        await db.repair()
        await db.open()
        repaired = true
        rows = await readRows(db)
      }
      const damage = assessLevel({ actual: rows.actual, recorded: ledger.recorded, drops, badRows: rows.badRows, badBytes: rows.badBytes, repaired })
      if (damage !== undefined && onCorrupt === 'refuse') throw corruptError(`store ${location}`, damage)
      return new LevelStorage(location, db, mark, ledger, opts.sync === true, rows, damage)
    } catch (err) {
      mark?.close()
      ledger?.close()
      await db.close().catch(() => {})
      throw levelError(err, location)
    }
  }

  async load (since?: VectorClock): Promise<Loaded> {
    this.check()
    await this.flush()
    let rows = this.cached
    this.cached = undefined
    if (rows === undefined) {
      try { rows = await readRows(this.db) } catch (err) { throw levelError(err, this.location) }
    }
    const updates = since === undefined ? rows.updates : rows.updates.filter((u) => since.isNewer(u[2], u[1]))
    const loaded: Loaded = { updates, clock: rows.clock, reserved: this.mark.value }
    return this.damage === undefined ? loaded : { ...loaded, damage: this.damage }
  }

  append (updates: readonly Update[]): Promise<void> {
    this.check()
    this.cached = undefined
    return new Promise<void>((resolve, reject) => {
      for (const u of updates) {
        this.pending.ops.push({ type: 'put', key: keyOf(u), value: encodeValue(u) })
        this.pending.puts.push([u[2], u[1]])
      }
      this.pending.waiters.push({ resolve, reject })
      this.pump()
    })
  }

  reserve (ts: number): void {
    this.check()
    this.mark.raise(ts)
  }

  async compact (snapshot: Iterable<Update>, clock: ClockJSON): Promise<void> {
    this.check()
    this.cached = undefined
    const keep = new Map<string, Update>()
    for (const u of snapshot) keep.set(keyOf(u), u)
    const covered = VectorClock.fromJSON(clock)
    while (this.exclusive !== undefined) await this.exclusive // one compaction at a time
    // Run alone: hold new group commits back, let the one in flight land.
    let done!: () => void
    this.exclusive = new Promise<void>((resolve) => { done = resolve })
    try {
      while (this.writing !== undefined) await this.writing.catch(() => {})
      const ops: LevelOp[] = []
      const after: Tally = new Map()
      for (const key of await this.db.keys({ gte: U, lt: U_END }).all()) {
        const parsed = parseKey(key)
        const kept = keep.get(key)
        if (kept !== undefined) keep.delete(key)
        // Only what the snapshot's clock covers may go: later appends stay.
        else if (parsed === undefined || !covered.isNewer(parsed[1], parsed[0])) { ops.push({ type: 'del', key }); continue }
        if (parsed !== undefined) addKey(after, parsed[1], parsed[0])
      }
      for (const [key, u] of keep) { ops.push({ type: 'put', key, value: encodeValue(u) }); addKey(after, u[2], u[1]) }
      ops.push({ type: 'put', key: CLOCK_KEY, value: JSON.stringify(clock) })
      // Deleting keys lowers the counts: record the lower tally first, on the disk, so a crash never leaves one too high.
      this.ledger.write(combineTallies(after, this.tally, 'min'), true)
      await this.write({ ops, puts: [], waiters: [] }, false)
      this.tally = after
      this.ledgerStale = true
      if (this.sync) this.writeLedger()
      this.damage = undefined
      this.stats.records = [...after.values()].reduce((n, c) => n + c.count, 0)
    } finally {
      this.exclusive = undefined
      done()
      this.pump()
    }
  }

  /** Resolves once every append issued so far is on the disk (one LevelDB sync; the ledger then records it). */
  async flush (): Promise<void> {
    for (;;) {
      if (this.exclusive !== undefined) {
        await this.exclusive
        continue
      }
      if (this.writing === undefined && this.pending.ops.length === 0) break
      if (this.writing === undefined) this.pump()
      try { await this.writing } catch (err) { throw levelError(err, this.location) }
    }
    if (!this.ledgerStale) return
    // Only what a sync covered may enter the ledger, or a power loss would be taken for damage.
    const tally = copyTally(this.tally)
    this.ledgerStale = false
    try {
      await this.db.batch([{ type: 'put', key: SYNC_KEY, value: '' }], { sync: true })
      this.ledger.write(tally, false)
    } catch (err) {
      this.ledgerStale = true
      throw levelError(err, this.location)
    }
  }

  async close (): Promise<void> {
    if (this.closed) return
    try {
      await this.flush()
    } finally {
      this.closed = true
      this.mark.close()
      this.ledger.close()
      await this.db.close()
    }
  }

  private check (): void {
    if (this.closed) throw new GrapevineError('ERR_STORE_CLOSED', 'store is closed')
  }

  private writeLedger (): void {
    this.ledgerStale = false
    try { this.ledger.write(this.tally, false) } catch { this.ledgerStale = true } // retried at the next flush
  }

  /** Start the next group commit if none is running. */
  private pump (): void {
    if (this.exclusive !== undefined || this.writing !== undefined || this.pending.ops.length === 0) return
    const group = this.pending
    this.pending = { ops: [], puts: [], waiters: [] }
    this.writing = this.write(group).finally(() => {
      this.writing = undefined
      // After a failure wait for the next append or flush rather than spin.
      if (this.pending.waiters.length > 0) this.pump()
    })
    this.writing.catch(() => {})
  }

  private async write (group: Pending, requeue = true): Promise<void> {
    try {
      await this.db.batch(group.ops, { sync: this.sync })
    } catch (err) {
      if (!requeue) throw levelError(err, this.location)
      // Put the group back in front: a later batch must not land before it.
      const e = levelError(err, this.location)
      this.pending = {
        ops: group.ops.concat(this.pending.ops),
        puts: group.puts.concat(this.pending.puts),
        waiters: this.pending.waiters
      }
      for (const w of group.waiters) w.reject(e)
      throw e
    }
    for (const [s, ts] of group.puts) countPut(this.tally, s, ts)
    this.stats.records += group.puts.length
    if (group.puts.length > 0) {
      this.ledgerStale = true
      if (this.sync) this.writeLedger() // the batch is on the disk already
    }
    for (const w of group.waiters) w.resolve()
  }
}

function readText (f: FsLayer, path: string): string {
  try { return f.existsSync(path) ? f.readFileSync(path).toString('utf8') : '' } catch { return '' }
}
