import { EventEmitter } from 'node:events'
import { randomBytes } from 'node:crypto'
import { HybridClock, type WallClock } from '../clock/hybrid-clock'
import { VectorClock } from '../clock/vector-clock'
import { GrapevineError, invalidArgument } from '../errors/grapevine-error'
import { type ClockJSON, type SourceId, type Update, isSourceId, sourceId } from '../wire/types'
import type { ReceiveResult, ReplicaWarning, StreamHost, UpdateListener } from './host'
import { createReplicaStream, type ReplicaStream, type StreamOptions } from '../stream/replica-stream'
import { createPullStream, type PullDuplex } from '../pull/pull-stream'

/** Options every replica constructor accepts. */
export interface ReplicaOptions {
  /** This replica's source id. Default: 24 random hex characters. */
  id?: string
  /** Wall clock in ms, injectable for tests. Default: `Date.now`. */
  now?: WallClock
  /** Reject peer timestamps further than this past the wall clock. Default 60 000. */
  maxDriftMs?: number
  /** Signs each local update; the result goes to index 3. Default: none. */
  sign?: (update: Update) => string
  /**
   * Verifies a peer update before it is applied. Default: accept all.
   * false rejects it as ERR_BAD_SIGNATURE; a returned GrapevineError
   * rejects it with that error's code (e.g. ERR_NOT_ALLOWED).
   */
  verify?: (update: Update) => boolean | GrapevineError
}

/** A fresh random source id. */
export function createId (): SourceId {
  return sourceId(randomBytes(12).toString('hex'))
}

/**
 * Base class of every replicated data type. A subclass implements two
 * methods: `applyUpdate(update)` (validate, then apply; false rejects) and
 * `history(clock)` (what a peer at `clock` is missing, ordered by
 * `(ts, source)`). The base owns the id, the clocks, acceptance order
 * (docs/protocol.md section 4) and the streams.
 */
export abstract class Replica extends EventEmitter implements StreamHost {
  readonly id: SourceId
  readonly clock = new VectorClock()
  readonly maxDriftMs: number
  /** Counts of what the replica did with updates offered by peers. */
  readonly counters = { applied: 0, old: 0, rejected: 0, local: 0 }
  protected readonly hlc: HybridClock
  private readonly listeners$ = new Set<UpdateListener>()
  private readonly writeAhead$ = new Set<UpdateListener>()
  private readonly open = new Set<() => void>()
  private readonly signer: ((update: Update) => string) | undefined
  private readonly verifier: ((update: Update) => boolean | GrapevineError) | undefined
  private disposedFlag = false
  private committed: Array<() => void> = []
  private firing = false

  constructor (opts: ReplicaOptions | string = {}) {
    super()
    const o: ReplicaOptions = typeof opts === 'string' ? { id: opts } : opts
    if (o.id !== undefined && !isSourceId(o.id)) invalidArgument('id must be a non-empty string of at most 256 characters, not "__proto__"')
    this.id = o.id !== undefined ? sourceId(o.id) : createId()
    this.hlc = new HybridClock(o.now)
    this.maxDriftMs = o.maxDriftMs ?? 60_000
    this.signer = o.sign
    this.verifier = o.verify
    this.setMaxListeners(0)
  }

  /** Validate and apply an update. Return false to reject it (nothing may change then). */
  protected abstract applyUpdate (update: Update): boolean

  /** Every update a peer at `clock` is missing, ordered by `(ts, source)`. */
  abstract history (clock: VectorClock): Iterable<Update>

  /** Record a change made here: timestamp it, apply it, send it to every stream. */
  protected localUpdate (change: unknown): Update {
    if (this.disposedFlag) throw new GrapevineError('ERR_DISPOSED', 'replica is disposed')
    const ts = this.hlc.next()
    let update: Update = [change, ts, this.id]
    if (this.signer !== undefined) update = [change, ts, this.id, this.signer(update)]
    if (!this.applyUpdate(update)) {
      invalidArgument('the data type refused this change')
    }
    this.clock.advance(this.id, ts)
    this.counters.local++
    this.publish(update, undefined)
    this.fireCommitted()
    return update
  }

  /**
   * Offer a peer's update. Follows docs/protocol.md section 4: old updates are
   * dropped, far-future and unverified ones rejected, and the clock moves
   * only once the data type has applied the update.
   */
  receive (update: Update, origin: unknown = undefined): ReceiveResult {
    const [, ts, source] = update
    if (!this.clock.isNewer(source, ts)) {
      this.counters.old++
      return OLD
    }
    if (!this.hlc.within(ts, this.maxDriftMs)) {
      const wall = this.hlc.wallNow()
      return this.reject(new GrapevineError('ERR_CLOCK_DRIFT', `timestamp is ${Math.round(ts - wall)} ms ahead of the local clock`, { source, ts }))
    }
    if (this.verifier !== undefined) {
      const verdict = this.verifier(update)
      if (verdict instanceof GrapevineError) return this.reject(verdict)
      if (verdict !== true) return this.reject(new GrapevineError('ERR_BAD_SIGNATURE', 'update signature does not verify', { source, ts }))
    }
    // Observe first, undone if the data type refuses the update.
    const before = this.hlc.last
    const mark = this.committed.length
    this.hlc.observe(ts)
    let ok: boolean
    try {
      ok = this.applyUpdate(update)
    } catch (err) {
      this.hlc.reset(before)
      this.committed.length = mark
      throw err
    }
    if (!ok) {
      this.hlc.reset(before)
      this.committed.length = mark
      return this.reject(new GrapevineError('ERR_INVALID_UPDATE', 'the data type refused this update', { source, ts }))
    }
    this.clock.advance(source, ts)
    this.counters.applied++
    this.publish(update, origin)
    this.fireCommitted()
    return APPLIED
  }

  /** The wall clock (ms) peers' timestamps are judged against: it never steps back. */
  wallNow (): number {
    return this.hlc.wallNow()
  }

  /** Used by streams: emit a time warning ('skew', 'held', 'refused') as a lifecycle event. */
  streamWarning (event: ReplicaWarning, err: GrapevineError): void {
    this.emitControl(event, err)
  }

  /** A peer saw us issue up to `ts` (we lost our tail): issue past it from now on. */
  observeOwnClock (ts: number): void {
    this.hlc.observe(ts)
  }

  /**
   * Apply an update read back from this replica's own storage: no drift or
   * signature check (it was checked when first accepted), not published and
   * not written ahead (it is already stored). Returns false if the data type
   * refuses it or the clock already covers it.
   */
  restore (update: Update): boolean {
    const [, ts, source] = update
    if (!this.clock.isNewer(source, ts)) return false
    if (!this.applyUpdate(update)) return false
    this.hlc.observe(ts)
    this.clock.advance(source, ts)
    this.fireCommitted()
    return true
  }

  /**
   * Register a write-ahead hook: called for every accepted update (local or
   * remote) before any `subscribe()` listener, streams included, sees it.
   * Storage uses it so that an update is stored before it can reach a peer.
   * A hook that throws stops the update there: no listener or stream sees it
   * and the error propagates to the caller (out of `set()` for a local write;
   * out of `receive()` for a peer's, so hooks report those another way).
   * Returns the unregister function.
   */
  writeAhead (hook: UpdateListener): () => void {
    this.writeAhead$.add(hook)
    return () => { this.writeAhead$.delete(hook) }
  }

  /** Subscribe to every accepted update (local or remote). Returns the unsubscribe function. */
  subscribe (listener: UpdateListener): () => void {
    this.listeners$.add(listener)
    return () => { this.listeners$.delete(listener) }
  }

  /** Used by streams: track an open stream so `dispose()` can close it. */
  track (close: () => void): () => void {
    this.open.add(close)
    this.emitControl('stream', this.open.size)
    return () => {
      if (this.open.delete(close)) this.emitControl('unstream', this.open.size)
    }
  }

  /** Number of streams currently attached. */
  get streams (): number {
    return this.open.size
  }

  /** True once `dispose()` was called. */
  get disposed (): boolean {
    return this.disposedFlag
  }

  /** A copy of the vector clock as a plain object. */
  getClock (): ClockJSON {
    return this.clock.toJSON()
  }

  /** A duplex stream speaking protocol v1 (see docs/protocol.md). */
  createStream (opts: StreamOptions = {}): ReplicaStream {
    if (this.disposedFlag) throw new GrapevineError('ERR_DISPOSED', 'replica is disposed')
    return createReplicaStream(this, opts)
  }

  /** Read-only stream that dumps everything at once (to a file, say). */
  createReadStream (opts: StreamOptions = {}): ReplicaStream {
    return this.createStream({ ...opts, writable: false, readable: true, startClock: opts.startClock ?? {} })
  }

  /** Write-only stream: applies what it is given (a dump, or a peer's stream). */
  createWriteStream (opts: StreamOptions = {}): ReplicaStream {
    return this.createStream({ ...opts, writable: true, readable: false })
  }

  /** The same protocol as a pull-stream duplex `{ source, sink }`. */
  createPullStream (opts: StreamOptions = {}): PullDuplex {
    return createPullStream(this.createStream(opts))
  }

  /**
   * A new replica of the same type, already holding this one's state and
   * kept in sync by a stream. It gets its own id: two writers sharing one id
   * could issue equal timestamps and diverge.
   */
  clone (): this {
    const Ctor = this.constructor as new (opts: ReplicaOptions) => this
    const copy = new Ctor({ maxDriftMs: this.maxDriftMs })
    for (const u of this.history(new VectorClock())) copy.receive(u, undefined)
    const a = this.createStream()
    const b = copy.createStream()
    a.pipe(b).pipe(a)
    return copy
  }

  /** Close every stream and stop. Emits 'dispose' once. */
  dispose (): void {
    if (this.disposedFlag) return
    this.disposedFlag = true
    for (const close of [...this.open]) close()
    this.emitControl('dispose')
  }

  /**
   * Emit a lifecycle event ('update', 'stream', 'unstream', 'dispose').
   * A data type whose own events are user data (Events) routes these elsewhere.
   */
  protected emitControl (name: string, ...args: unknown[]): void {
    EventEmitter.prototype.emit.call(this, name, ...args)
  }

  /**
   * Run `fire` (a data type's event) once the update being applied is
   * committed: state changed, clock advanced, stored and forwarded. So a
   * listener sees a consistent replica, and one that throws cannot leave it
   * half-changed. Events queued by a listener's own writes fire after the
   * current ones.
   */
  protected afterCommit (fire: () => void): void {
    this.committed.push(fire)
  }

  /** Fire queued events; the first exception is rethrown after all fired. */
  private fireCommitted (): void {
    if (this.firing || this.committed.length === 0) return
    this.firing = true
    let failed = false
    let failure: unknown
    try {
      for (let i = 0; i < this.committed.length; i++) {
        try {
          (this.committed[i] as () => void)()
        } catch (err) {
          if (!failed) failure = err
          failed = true
        }
      }
    } finally {
      this.committed = []
      this.firing = false
    }
    if (failed) throw failure
  }

  private publish (update: Update, origin: unknown): void {
    // Write-ahead first: once a stream has the update it may be on the wire.
    for (const fn of this.writeAhead$) fn(update, origin)
    for (const fn of this.listeners$) fn(update, origin)
    this.emitControl('update', update, origin)
  }

  private reject (error: GrapevineError): ReceiveResult {
    this.counters.rejected++
    return { status: 'rejected', error }
  }
}

const OLD: ReceiveResult = { status: 'old' }
const APPLIED: ReceiveResult = { status: 'applied' }
