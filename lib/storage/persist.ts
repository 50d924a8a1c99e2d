import { EventEmitter } from 'node:events'
import { VectorClock } from '../clock/vector-clock'
import { GrapevineError, invalidArgument } from '../errors/grapevine-error'
import type { Replica } from '../replica/replica'
import type { Update } from '../wire/types'
import { type HealReport, HeldBack } from './held'
import { type Storage, type StoreDamage, corruptError, storageError } from './types'

/** The origin `persist()` gives held records it hands to the replica: already stored. */
const HELD = Symbol('held')

/** The part of a replica stream `persist()` watches to know when a peer has sent its history. */
interface PeerStream {
  readonly synced: boolean
  readonly peerHeader: { readonly clock?: unknown } | undefined
  once (event: 'synced' | 'close', fn: () => void): unknown
}

function isPeerStream (v: unknown): v is PeerStream {
  return typeof v === 'object' && v !== null && typeof (v as { once?: unknown }).once === 'function' &&
    typeof (v as { synced?: unknown }).synced === 'boolean' && 'peerHeader' in v
}

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
 * compaction, `'corrupt'` (ERR_STORE_CORRUPT, the `StoreDamage` in its
 * `details`) once, just after `persist()` resolves, if the store was
 * damaged, and `'healed'` (a `HealReport`) when the records held back
 * because of that damage are restored.
 */
export class Persistence extends EventEmitter {
  /** Updates read back from the store when it was opened. */
  readonly loaded: number
  /** The last storage error, also emitted as 'error' when someone listens. */
  error: GrapevineError | undefined
  /** Damage the store found at open (also emitted as 'corrupt'), or undefined. */
  readonly damage: StoreDamage | undefined
  private readonly unhook: () => void
  private readonly watched = new WeakSet<object>()
  private held: HeldBack | undefined
  private readonly ratio: number | false
  private readonly min: number
  private threshold: number
  private compacting: Promise<void> | undefined
  private scheduled = false
  private closed = false

  /** @internal use `persist()` */
  constructor (readonly replica: Replica, readonly storage: Storage, loaded: number, opts: PersistOptions, damage?: StoreDamage, held?: HeldBack) {
    super()
    this.loaded = loaded
    this.damage = damage
    this.held = held !== undefined && held.size > 0 ? held : undefined
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

  /** Records held back after damage, waiting for a peer's history (0 once restored). */
  get heldBack (): number {
    return this.held?.records ?? 0
  }

  /**
   * Replace the store's content by the replica's live state now. Records
   * still held back are restored first (as `release()`): a compaction would
   * otherwise drop them, and with them the trace of the damage.
   */
  compact (): Promise<void> {
    if (this.held !== undefined) this.release()
    return this.compactWith([...this.replica.history(new VectorClock())])
  }

  /**
   * Stop waiting for a peer: restore the records held back after damage
   * now (the replica's clock then claims whatever hole remains). Returns
   * the report also emitted as 'healed', or undefined if nothing was held.
   */
  release (): HealReport | undefined {
    return this.restoreHeld(undefined)
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
    if (origin === HELD) return // read from this store: already in it
    if (this.held !== undefined && isPeerStream(origin)) this.watch(origin)
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

  /** @internal Emit 'corrupt' once the caller can listen; compact if nothing is held back. */
  reportDamage (): void {
    if (this.damage === undefined) return
    const err = corruptError(`the store of ${this.replica.id}`, this.damage)
    setImmediate(() => this.emit('corrupt', err))
    // Nothing to wait for: rewrite the store without the damage now.
    if (this.held === undefined && this.ratio !== false) this.compact().catch((e: unknown) => this.fail(e))
  }

  /** Once this peer has sent its history, restore what was held back. */
  private watch (stream: PeerStream): void {
    if (this.watched.has(stream)) return
    this.watched.add(stream)
    const done = (): void => {
      let clock: VectorClock | undefined
      try { clock = VectorClock.fromJSON(stream.peerHeader?.clock) } catch { clock = new VectorClock() }
      this.restoreHeld(clock)
    }
    if (stream.synced) queueMicrotask(done)
    else stream.once('synced', done)
  }

  private restoreHeld (peer: VectorClock | undefined): HealReport | undefined {
    const held = this.held
    if (held === undefined || this.closed) return undefined
    this.held = undefined
    const out = held.release(peer)
    let restored = 0
    for (const u of out.updates) {
      try {
        // Through receive(): published, so peers that lack them get them too.
        const r = this.replica.receive(u, HELD)
        if (r.status === 'applied') restored++
        else if (r.status === 'rejected' && this.replica.restore(u)) restored++
      } catch (err) {
        // An application listener threw: the update is applied; report, go on.
        this.fail(err)
      }
    }
    for (const [s, ts] of out.claims) this.replica.clock.advance(s, ts)
    const report: HealReport = { filled: out.filled, unfilled: out.unfilled, restored }
    this.emit('healed', report)
    // The damage has served its purpose: rewrite the store without it.
    if (this.ratio !== false) this.compact().catch((err: unknown) => this.fail(err))
    return report
  }

  private maybeCompact (): void {
    if (this.closed || this.compacting !== undefined || this.ratio === false) return
    if (this.held !== undefined) return // would drop the held records: see compact()
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
  const damage = loaded.damage
  const held = damage !== undefined ? new HeldBack(damage, replica.id) : undefined
  const stored = VectorClock.fromJSON(loaded.clock)
  for (const u of loaded.updates) {
    stored.advance(u[2], u[1])
    if (held?.hold(u) !== true) replica.restore(u)
  }
  // Sources whose updates were all superseded before a compaction still count as seen.
  let maxTs = loaded.reserved
  for (const [source, ts] of stored) {
    replica.clock.advance(source, held !== undefined ? held.cap(source, ts) : ts)
    if (ts > maxTs) maxTs = ts
  }
  // Never issue at or below anything stored (held records included), reserved or covered by the clock.
  replica.observeOwnClock(maxTs)
  const p = new Persistence(replica, storage, loaded.updates.length, opts, damage, held)
  const missing = [...replica.history(stored)]
  try {
    if (missing.length > 0) await storage.append(missing)
  } catch (err) {
    await p.close().catch(() => {}) // unhook: nothing stores for this replica any more
    throw err
  }
  p.reportDamage()
  return p
}
