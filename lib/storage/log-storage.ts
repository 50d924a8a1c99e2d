import { join } from 'node:path'
import { VectorClock } from '../clock/vector-clock'
import { GrapevineError, invalidArgument } from '../errors/grapevine-error'
import type { ClockJSON, Update } from '../wire/types'
import { encodeJSON } from './frame'
import { readLog } from './log-read'
import { type FsLayer, acquireLock, fsyncDir, realFs, writeAll, writeFileAtomic } from './fs-layer'
import { type Loaded, type Storage, type StorageStats, type StoreDamage, corruptError, storageError } from './types'

/**
 * When appended bytes are forced to the disk. Every policy survives a
 * process crash (kill -9): an append is written to the OS before it
 * returns. They differ on power loss or a kernel crash:
 * - `'always'`: fsync after every append; loses nothing acknowledged.
 * - `{ intervalMs }`: one fsync per interval; loses at most the last
 *   `intervalMs` of writes; `append()` resolves after the fsync.
 * - `'never'`: the OS writes back when it likes (Linux: about 30 s);
 *   `append()` resolves at once, `flush()` still forces an fsync.
 */
export type FsyncPolicy = 'always' | 'never' | { readonly intervalMs: number }

/** Options of `LogStorage.open(dir, opts)`. */
export interface LogStorageOptions {
  /** Fsync policy. Default `{ intervalMs: 100 }`. */
  fsync?: FsyncPolicy
  /** File-system layer (tests inject failures). Default: node:fs. */
  fs?: FsLayer
  /**
   * What to do when a file holds damage that is not a torn tail (intact
   * records after it). `'salvage'` (default): keep every intact record,
   * report the damage in `store.damage`, `stats` and `load().damage`.
   * `'refuse'`: `open()` throws ERR_STORE_CORRUPT with the facts in
   * `details` and changes nothing on disk.
   */
  onCorrupt?: CorruptPolicy
}

/** What a store does with damage found at open (see `LogStorageOptions.onCorrupt`). */
export type CorruptPolicy = 'salvage' | 'refuse'

const LOG = 'log'
const SNAPSHOT = 'snapshot'

interface Waiter { resolve: () => void, reject: (err: unknown) => void }

/**
 * Append-only log store: a directory holding `snapshot` (the last
 * compaction, replaced atomically), `log` (framed records appended since)
 * and `LOCK`. See docs/persistence.md for the format.
 */
export class LogStorage implements Storage {
  readonly syncAppend = true
  readonly stats: StorageStats = { records: 0, bytes: 0, truncatedBytes: 0, recordsLost: 0, bytesSkipped: 0 }
  /**
   * Damage found at open, other than a torn tail: it stays in the files,
   * and is reported again at every open, until a compaction rewrites them.
   */
  damage: StoreDamage | undefined
  private size = 0
  private snapshotBytes = 0
  private dirty = false
  private closed = false
  private broken = false
  private timer: NodeJS.Timeout | undefined
  private waiters: Waiter[] = []
  private flushing: Promise<void> | undefined
  private cached: Loaded | undefined
  /** Records of failed appends, written before the next append's so the log never has a hole. */
  private backlog: Buffer[] = []
  private backlogRecords = 0

  private constructor (
    readonly dir: string,
    private readonly f: FsLayer,
    private readonly policy: FsyncPolicy,
    private readonly fd: number,
    private readonly unlock: () => void,
    private readonly onCorrupt: CorruptPolicy
  ) {}

  /** Open (creating if needed) the store in `dir`: lock it, read past damage, cut a torn log tail. */
  static async open (dir: string, opts: LogStorageOptions = {}): Promise<LogStorage> {
    const f = opts.fs ?? realFs
    const policy = opts.fsync ?? { intervalMs: 100 }
    if (typeof policy === 'object' && !(policy.intervalMs > 0)) invalidArgument('fsync.intervalMs must be > 0')
    const onCorrupt = opts.onCorrupt ?? 'salvage'
    if (onCorrupt !== 'salvage' && onCorrupt !== 'refuse') invalidArgument("onCorrupt must be 'salvage' or 'refuse'")
    try { f.mkdirSync(dir, { recursive: true }) } catch (err) { throw storageError(err, 'create store directory') }
    const unlock = acquireLock(f, dir)
    let fd: number | undefined
    try {
      const logPath = join(dir, LOG)
      const existed = f.existsSync(logPath)
      fd = f.openSync(logPath, 'a+')
      if (!existed) fsyncDir(f, dir)
      const store = new LogStorage(dir, f, policy, fd, unlock, onCorrupt)
      store.cached = store.read(true)
      return store
    } catch (err) {
      if (fd !== undefined) try { f.closeSync(fd) } catch {}
      unlock()
      throw storageError(err, 'open store')
    }
  }

  async load (since?: VectorClock): Promise<Loaded> {
    this.check()
    const all = this.cached ?? this.read(false)
    this.cached = undefined
    if (since === undefined) return all
    return { ...all, updates: all.updates.filter((u) => since.isNewer(u[2], u[1])) }
  }

  append (updates: readonly Update[]): Promise<void> {
    this.check()
    if (updates.length === 0 && this.backlog.length === 0) return Promise.resolve()
    this.cached = undefined
    for (const u of updates) this.backlog.push(encodeJSON(u))
    this.backlogRecords += updates.length
    const buf = this.backlog.length === 1 ? this.backlog[0] as Buffer : Buffer.concat(this.backlog)
    try {
      if (this.broken) this.repair()
      writeAll(this.f, this.fd, buf)
    } catch (err) {
      // Cut the partial record so the store stays a sequence of whole
      // records; the updates stay queued and go first next time.
      try { this.repair() } catch { this.broken = true }
      throw storageError(err, 'append')
    }
    this.backlog = []
    this.size += buf.length
    this.stats.records += this.backlogRecords
    this.backlogRecords = 0
    this.stats.bytes = this.snapshotBytes + this.size
    this.dirty = true
    return this.durable()
  }

  async compact (snapshot: Iterable<Update>, clock: ClockJSON): Promise<void> {
    this.check()
    this.cached = undefined
    const parts: Buffer[] = [encodeJSON({ clock })]
    let n = 0
    for (const u of snapshot) { parts.push(encodeJSON(u)); n++ }
    const buf = Buffer.concat(parts)
    try {
      writeFileAtomic(this.f, this.dir, SNAPSHOT, buf)
      // A crash before this truncate leaves log records the snapshot covers: skipped on load.
      this.f.ftruncateSync(this.fd, 0)
      this.f.fsyncSync(this.fd)
    } catch (err) {
      throw storageError(err, 'compact')
    }
    this.size = 0
    this.snapshotBytes = buf.length
    this.damage = undefined // the damaged bytes are gone with the old files
    this.stats.records = n
    this.stats.bytes = buf.length
    this.dirty = false
  }

  flush (): Promise<void> {
    if (this.closed) return Promise.resolve()
    return this.sync()
  }

  async close (): Promise<void> {
    if (this.closed) return
    try {
      if (this.backlog.length > 0) await this.append([])
      await this.flush()
    } finally {
      this.closed = true
      if (this.timer !== undefined) clearTimeout(this.timer)
      try { this.f.closeSync(this.fd) } catch {}
      this.unlock()
    }
  }

  private check (): void {
    if (this.closed) throw new GrapevineError('ERR_STORE_CLOSED', 'store is closed')
  }

  private repair (): void {
    this.f.ftruncateSync(this.fd, this.size)
    this.broken = false
  }

  /** The promise an append returns, per policy. */
  private durable (): Promise<void> {
    if (this.policy === 'never') return Promise.resolve()
    if (this.policy === 'always') {
      try { this.f.fsyncSync(this.fd) } catch (err) { return Promise.reject(storageError(err, 'fsync')) }
      this.dirty = false
      return Promise.resolve()
    }
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject })
      if (this.timer === undefined) {
        const ms = (this.policy as { intervalMs: number }).intervalMs
        this.timer = setTimeout(() => { this.timer = undefined; this.sync().catch(() => {}) }, ms)
      }
    })
  }

  /** fsync now; resolves every waiter whose bytes it covers. */
  private sync (): Promise<void> {
    if (this.flushing !== undefined) return this.flushing.then(() => this.sync())
    if (!this.dirty && this.waiters.length === 0) return Promise.resolve()
    const waiters = this.waiters
    this.waiters = []
    this.dirty = false
    this.flushing = new Promise<void>((resolve, reject) => {
      this.f.fdatasync(this.fd, (err) => {
        this.flushing = undefined
        if (err !== null) {
          this.dirty = true // still not on the disk: the next flush tries again
          const e = storageError(err, 'fsync')
          for (const w of waiters) w.reject(e)
          reject(e)
        } else {
          for (const w of waiters) w.resolve()
          resolve()
        }
      })
    })
    return this.flushing
  }

  /** Read snapshot then log; at open, cut a torn log tail and take note of damage. */
  private read (atOpen: boolean): Loaded {
    const snapPath = join(this.dir, SNAPSHOT)
    const snap = this.f.existsSync(snapPath) ? this.f.readFileSync(snapPath) : undefined
    let buf = this.f.readFileSync(join(this.dir, LOG))
    if (!atOpen) buf = buf.subarray(0, this.size)
    const got = readLog(snap, buf)
    if (atOpen) {
      if (got.damage !== undefined && this.onCorrupt === 'refuse') throw corruptError(`store ${this.dir}`, got.damage)
      if (got.logValidEnd < buf.length) {
        // A torn tail: keep exactly the whole records before it.
        try {
          this.f.ftruncateSync(this.fd, got.logValidEnd)
          this.f.fsyncSync(this.fd)
        } catch (err) {
          throw storageError(err, 'truncate torn tail')
        }
        this.stats.truncatedBytes = buf.length - got.logValidEnd
      }
      this.size = got.logValidEnd
      this.snapshotBytes = snap?.length ?? 0
      this.damage = got.damage
      this.stats.records = got.records
      this.stats.bytes = this.snapshotBytes + got.logValidEnd
      this.stats.recordsLost = got.damage?.recordsLost ?? 0
      this.stats.bytesSkipped = got.damage?.bytesSkipped ?? 0
    }
    const loaded: Loaded = { updates: got.updates, clock: got.clock, reserved: 0 }
    return got.damage === undefined ? loaded : { ...loaded, damage: got.damage }
  }
}
