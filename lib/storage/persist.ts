import { EventEmitter } from 'node:events'
import { VectorClock } from '../clock/vector-clock'
import { GrapevineError, invalidArgument } from '../errors/grapevine-error'
import type { Replica } from '../replica/replica'
import type { Update } from '../wire/types'
import { type Storage, storageError } from './types'

/** Options of `persist(replica, storage, opts)`. */
export interface PersistOptions {
  /**
   * Compact when the store holds more than `compactRatio` times as many
   * records as the live state (`replica.history(empty)`). Default 2;
   * `false` never compacts on its own (call `compact()`).
   */
  compactRatio?: number | false
  /** Never compact a store of fewer records than this. Default 1000. */
  compactMin?: number
}

/**
 * A replica bound to a store. Events: `'error'` (a coded GrapevineError)
 * when storing a peer's update fails (a local write that cannot be stored
 * throws from the write call instead), `'compact'` (records) after each
 * compaction.
 */
export class Persistence extends EventEmitter {
  /** Updates read back from the store when it was opened. */
  readonly loaded: number
  /** The last storage error, also emitted as 'error' when someone listens. */
  error: GrapevineError | undefined
  private readonly unhook: () => void
  private readonly ratio: number | false
  private readonly min: number
  private threshold: number
  private compacting: Promise<void> | undefined
  private scheduled = false
  private closed = false

  /** @internal use `persist()` */
  constructor (readonly replica: Replica, readonly storage: Storage, loaded: number, opts: PersistOptions) {
    super()
    this.loaded = loaded
    this.ratio = opts.compactRatio ?? 2
    this.min = opts.compactMin ?? 1000
    // The live size is unknown until counted: the first append past compactMin counts it.
    this.threshold = this.ratio === false ? Infinity : this.min
    this.unhook = replica.writeAhead((update, origin) => this.store(update, origin))
  }

  /** Resolve once every update stored so far is durable. */
  flush (): Promise<void> {
    return this.storage.flush()
  }

  /** Replace the store's content by the replica's live state now. */
  compact (): Promise<void> {
    return this.compactWith([...this.replica.history(new VectorClock())])
  }

  /** Stop storing, flush and close the store. The replica itself stays usable. */
  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.unhook()
    if (this.compacting !== undefined) await this.compacting.catch(() => {})
    await this.storage.close()
  }

  private store (update: Update, origin: unknown): void {
    const local = origin === undefined && update[2] === this.replica.id
    try {
      // Before anything can reach a stream: never reuse a timestamp a peer saw.
      if (update[2] === this.replica.id && this.storage.reserve !== undefined) this.storage.reserve(update[1])
      this.storage.append([update]).catch((err: unknown) => this.fail(err))
    } catch (err) {
      const e = storageError(err, 'store update')
      if (local) throw e // the caller's write fails; streams never see it
      this.fail(e)
      return
    }
    if (this.ratio !== false && this.storage.stats.records > this.threshold && !this.scheduled) {
      this.scheduled = true
      // A microtask: runs once the current write returns, even in a loop that never yields to I/O.
      queueMicrotask(() => { this.scheduled = false; this.maybeCompact() })
    }
  }

  /** `snapshot` must be the replica's whole history, taken now (with the clock below). */
  private compactWith (snapshot: Update[]): Promise<void> {
    if (this.compacting !== undefined) return this.compacting
    const clock = this.replica.getClock()
    this.compacting = this.storage.compact(snapshot, clock).then(() => {
      this.threshold = this.nextThreshold(snapshot.length)
      this.emit('compact', snapshot.length)
    }, (err: unknown) => {
      // Back off (a full disk, say): do not retry on every write.
      this.threshold = this.nextThreshold(this.storage.stats.records)
      throw err
    }).finally(() => { this.compacting = undefined })
    return this.compacting
  }

  private maybeCompact (): void {
    if (this.closed || this.compacting !== undefined || this.ratio === false) return
    const snapshot = [...this.replica.history(new VectorClock())]
    if (this.storage.stats.records > Math.max(this.min, this.ratio * snapshot.length)) {
      this.compactWith(snapshot).catch((err: unknown) => this.fail(err))
    } else {
      this.threshold = this.nextThreshold(snapshot.length)
    }
  }

  private nextThreshold (live: number): number {
    return this.ratio === false ? Infinity : Math.max(this.min, this.ratio * live)
  }

  private fail (err: unknown): void {
    const e = storageError(err, 'store')
    this.error = e
    if (this.listenerCount('error') > 0) this.emit('error', e)
  }
}

/**
 * Bind `replica` to `storage`: load what the store holds into the replica,
 * store what the replica holds that the store lacks, then store every
 * update the replica accepts, before any stream sees it. Call it before
 * creating streams (it throws ERR_INVALID_ARGUMENT if some are open), and
 * await it before connecting: a replica that replicates before its state
 * is loaded would advertise an empty clock. If it fails, it closes `storage`.
 */
export async function persist (replica: Replica, storage: Storage, opts: PersistOptions = {}): Promise<Persistence> {
  try {
    return await bind(replica, storage, opts)
  } catch (err) {
    // The caller often has no other handle on the store (`persist(r, await open())`): release it.
    await storage.close().catch(() => {})
    throw err
  }
}

async function bind (replica: Replica, storage: Storage, opts: PersistOptions): Promise<Persistence> {
  if (replica.streams > 0) invalidArgument('persist() must run before the replica has streams')
  const loaded = await storage.load()
  if (replica.streams > 0) invalidArgument('a stream was created while persist() was loading')
  const stored = VectorClock.fromJSON(loaded.clock)
  for (const u of loaded.updates) {
    replica.restore(u)
    stored.advance(u[2], u[1])
  }
  // Sources whose updates were all superseded before a compaction still count as seen.
  let maxTs = loaded.reserved
  for (const [source, ts] of stored) {
    replica.clock.advance(source, ts)
    if (ts > maxTs) maxTs = ts
  }
  // Never issue at or below anything stored, reserved or covered by the clock.
  replica.observeOwnClock(maxTs)
  const p = new Persistence(replica, storage, loaded.updates.length, opts)
  const missing = [...replica.history(stored)]
  try {
    if (missing.length > 0) await storage.append(missing)
  } catch (err) {
    await p.close().catch(() => {}) // unhook: nothing stores for this replica any more
    throw err
  }
  return p
}
