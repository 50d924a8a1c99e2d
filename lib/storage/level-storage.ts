import { ClassicLevel } from 'classic-level'
import { VectorClock } from '../clock/vector-clock'
import { GrapevineError } from '../errors/grapevine-error'
import { type ClockJSON, type SourceId, type Update, isSourceId, isTimestamp, sourceId } from '../wire/types'
import { ClockMark } from './clock-mark'
import { type FsLayer, realFs } from './fs-layer'
import { type Loaded, type Storage, type StorageStats, errnoOf, storageError } from './types'

/** One LevelDB batch operation, as this store writes them. */
export type LevelOp = { type: 'put', key: string, value: string } | { type: 'del', key: string }

/** The part of a classic-level database this store uses (tests wrap it to inject faults). */
export interface LevelDb {
  open (): Promise<void>
  close (): Promise<void>
  batch (ops: LevelOp[], opts: { sync: boolean }): Promise<void>
  iterator (opts: { gte: string, lt: string }): { all (): Promise<Array<[string, string]>> }
  keys (opts: { gte: string, lt: string }): { all (): Promise<string[]> }
}

/** Options of `LevelStorage.open(location, opts)`. */
export interface LevelStorageOptions {
  /**
   * LevelDB `sync` on every batch (fsync before the append resolves).
   * Default false: a process crash loses nothing acknowledged, a power loss
   * may lose the last writes.
   */
  sync?: boolean
  /** Build the database (tests inject faults). Default: `classicLevelDb(location)`. */
  createDb?: (location: string) => LevelDb
  /** File layer for the clock mark file. Default: node:fs. */
  fs?: FsLayer
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
    }
  }
}

const U = 'u!'
const U_END = 'u~'
const CLOCK_KEY = 'c!clock'

/** Sortable key of an update: big-endian float64 ts (order-preserving for ts > 0), then source. */
function keyOf (u: Update): string {
  const b = Buffer.allocUnsafe(8)
  b.writeDoubleBE(u[1], 0)
  return `${U}${b.toString('hex')}!${u[2]}`
}

/** `[ts, source]` back from a key. */
function parseKey (key: string): [number, SourceId] {
  const ts = Buffer.from(key.slice(U.length, U.length + 16), 'hex').readDoubleBE(0)
  return [ts, sourceId(key.slice(U.length + 17))]
}

interface Pending { ops: LevelOp[], puts: number, waiters: Array<{ resolve: () => void, reject: (e: unknown) => void }> }

/**
 * LevelDB store through classic-level: one key per update, ordered by
 * `(ts, source)`; appends are grouped into atomic batches written one
 * after the other, so after a crash the store holds a prefix of what was
 * appended. Appends are asynchronous, so the store keeps a clock mark
 * file (`reserve()`) to keep the no-reused-timestamp promise.
 */
export class LevelStorage implements Storage {
  readonly syncAppend = false
  readonly stats: StorageStats = { records: 0, bytes: 0, truncatedBytes: 0, recordsLost: 0, bytesSkipped: 0 }
  private pending: Pending = { ops: [], puts: 0, waiters: [] }
  private writing: Promise<void> | undefined
  private closed = false
  /** Set while a compaction runs: no group commit starts then. */
  private exclusive: Promise<void> | undefined

  private constructor (
    readonly location: string,
    private readonly db: LevelDb,
    private readonly mark: ClockMark,
    private readonly sync: boolean
  ) {}

  /** Open (creating if needed) the database at `location`. Throws ERR_STORE_LOCKED if open elsewhere. */
  static async open (location: string, opts: LevelStorageOptions = {}): Promise<LevelStorage> {
    const db = (opts.createDb ?? classicLevelDb)(location)
    try {
      await db.open()
    } catch (err) {
      throw levelError(err, location)
    }
    let mark: ClockMark
    try {
      mark = ClockMark.open(opts.fs ?? realFs, location, 'GRAPEVINE-CLOCK', opts.sync === true)
    } catch (err) {
      await db.close()
      throw err
    }
    // `stats.records` is counted by the first load(), which persist() always does.
    return new LevelStorage(location, db, mark, opts.sync === true)
  }

  async load (since?: VectorClock): Promise<Loaded> {
    this.check()
    await this.flush()
    const updates: Update[] = []
    const rows = await this.db.iterator({ gte: U, lt: U_END }).all()
    this.stats.records = rows.length
    for (const [, value] of rows) {
      const u: unknown = JSON.parse(value)
      if (!isStored(u)) throw new GrapevineError('ERR_STORE_CORRUPT', `a record in ${this.location} is not an update`)
      if (since === undefined || since.isNewer(u[2], u[1])) updates.push(u)
    }
    const c = await this.db.iterator({ gte: CLOCK_KEY, lt: `${CLOCK_KEY}~` }).all()
    const clock = c.length > 0 ? VectorClock.fromJSON(JSON.parse((c[0] as [string, string])[1])).toJSON() : {}
    return { updates, clock, reserved: this.mark.value }
  }

  append (updates: readonly Update[]): Promise<void> {
    this.check()
    return new Promise<void>((resolve, reject) => {
      for (const u of updates) this.pending.ops.push({ type: 'put', key: keyOf(u), value: JSON.stringify(u) })
      this.pending.puts += updates.length
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
      for (const key of await this.db.keys({ gte: U, lt: U_END }).all()) {
        if (keep.delete(key)) continue
        // Only what the snapshot's clock covers may go: later appends stay.
        const [ts, source] = parseKey(key)
        if (!covered.isNewer(source, ts)) ops.push({ type: 'del', key })
      }
      for (const [key, u] of keep) ops.push({ type: 'put', key, value: JSON.stringify(u) })
      ops.push({ type: 'put', key: CLOCK_KEY, value: JSON.stringify(clock) })
      await this.write({ ops, puts: 0, waiters: [] }, false)
      this.stats.records = (await this.db.keys({ gte: U, lt: U_END }).all()).length
    } finally {
      this.exclusive = undefined
      done()
      this.pump()
    }
  }

  async flush (): Promise<void> {
    for (;;) {
      if (this.exclusive !== undefined) {
        await this.exclusive
        continue
      }
      if (this.writing === undefined && this.pending.ops.length === 0) return
      if (this.writing === undefined) this.pump()
      try { await this.writing } catch (err) { throw levelError(err, this.location) }
    }
  }

  async close (): Promise<void> {
    if (this.closed) return
    try {
      await this.flush()
    } finally {
      this.closed = true
      this.mark.close()
      await this.db.close()
    }
  }

  private check (): void {
    if (this.closed) throw new GrapevineError('ERR_STORE_CLOSED', 'store is closed')
  }

  /** Start the next group commit if none is running. */
  private pump (): void {
    if (this.exclusive !== undefined || this.writing !== undefined || this.pending.ops.length === 0) return
    const group = this.pending
    this.pending = { ops: [], puts: 0, waiters: [] }
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
        puts: group.puts + this.pending.puts,
        waiters: this.pending.waiters
      }
      for (const w of group.waiters) w.reject(e)
      throw e
    }
    this.stats.records += group.puts
    for (const w of group.waiters) w.resolve()
  }
}

function isStored (v: unknown): v is Update {
  return Array.isArray(v) && (v.length === 3 || v.length === 4) && isTimestamp(v[1]) && isSourceId(v[2])
}

/** Map classic-level errors (LEVEL_LOCKED inside LEVEL_DATABASE_NOT_OPEN) to coded errors. */
function levelError (err: unknown, location: string): GrapevineError {
  if (err instanceof GrapevineError) return err
  const cause = typeof err === 'object' && err !== null ? (err as { cause?: unknown }).cause : undefined
  if (errnoOf(err) === 'LEVEL_LOCKED' || errnoOf(cause) === 'LEVEL_LOCKED') {
    return new GrapevineError('ERR_STORE_LOCKED', `store ${location} is locked by another process or handle`, { dir: location })
  }
  return storageError(cause instanceof Error && /space/i.test(cause.message) ? cause : err, 'leveldb')
}
