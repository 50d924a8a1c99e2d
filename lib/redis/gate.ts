import type { VectorClock } from '../clock/vector-clock'
import { GrapevineError } from '../errors/grapevine-error'
import type { ReceiveResult, ReplicaWarning, StreamHost, UpdateListener } from '../replica/host'
import type { Replica } from '../replica/replica'
import type { ClockJSON, SourceId, Update } from '../wire/types'
import type { Intake } from './intake'

/** What a gate needs from the relay around it. */
export interface GateHooks {
  /** Store a batch in Redis; resolves once Redis has it. */
  append (updates: Update[]): Promise<void>
  /** True while the backend is believed up. */
  up (): boolean
  /** `origin`'s updates of a stored batch: per source, the highest timestamp. */
  durable (origin: unknown, clock: ClockJSON): void
  /** A stored update the data type refused, or whose listeners threw. */
  invalid (origin: unknown, err: GrapevineError): void
}

/** Settings of a gate. */
export interface GateOptions {
  /** Reject client timestamps further than this past the wall clock. Default 60 000. */
  maxDriftMs?: number
  /** Most updates in one appended batch. Default 2 048. */
  maxBatch?: number
  /** Updates waiting for Redis before writers are refused (load shedding). Default 100 000. */
  maxPending?: number
  /** Wall clock, injectable for tests. Default: the replica's (it never steps back). */
  now?: () => number
}

interface Batch {
  readonly updates: Update[]
  /** The stream each update came from, for the no-echo rule. */
  readonly origins: unknown[]
  /** `ts source` of each update, so one arriving twice is stored once. */
  readonly seen: Set<string>
  /** Per origin, per source, the highest timestamp it sent in this batch. */
  readonly acks: Map<unknown, Map<SourceId, number>>
}

const OLD: ReceiveResult = { status: 'old' }
const APPLIED: ReceiveResult = { status: 'applied' }

/**
 * The write-ahead door of one document on a relay: the StreamHost that
 * client streams talk to. A client's update is not applied when it
 * arrives: it is appended to Redis first, in batches, one batch in flight
 * at a time, and only once Redis has it is it applied to the replica,
 * forwarded to the other streams and acknowledged to its writer. So the
 * replica (its state, its clock, what it sends) only ever holds what Redis
 * holds. A failed append refuses every writer with updates waiting behind
 * it: an update of a source stored after an earlier one of the same
 * source was lost would be a hole no vector clock can describe
 * (docs/scale-out.md, "The prefix rule").
 */
export class WriteGate implements StreamHost {
  private readonly queue: Batch[] = []
  private inFlight = false
  /** Who sent each update of the batch in flight: its refusal may come from the log before the append's reply. */
  private senders = new Map<string, unknown>()
  private scheduled = false
  private closed = false
  private waiting = 0
  /** How far ahead of the wall clock a client timestamp may be. */
  readonly maxDriftMs: number
  private readonly maxBatch: number
  private readonly maxPending: number
  private readonly now: () => number

  constructor (readonly replica: Replica, private readonly intake: Intake, private readonly hooks: GateHooks, opts: GateOptions = {}) {
    this.maxDriftMs = opts.maxDriftMs ?? 60_000
    this.maxBatch = opts.maxBatch ?? 2048
    this.maxPending = opts.maxPending ?? 100_000
    this.now = opts.now ?? (() => replica.wallNow())
  }

  get id (): SourceId { return this.replica.id }
  get clock (): VectorClock { return this.replica.clock }
  /** Updates accepted from clients and not yet stored. */
  get pending (): number { return this.waiting }
  /** True while nothing waits for Redis. */
  get idle (): boolean { return this.waiting === 0 && !this.inFlight }

  history (clock: VectorClock): Iterable<Update> { return this.replica.history(clock) }
  subscribe (listener: UpdateListener): () => void { return this.replica.subscribe(listener) }
  track (close: () => void): () => void { return this.replica.track(close) }
  observeOwnClock (ts: number): void { this.replica.observeOwnClock(ts) }
  /** The wall clock client timestamps are judged against (a stream holds a too-early update until it passes). */
  wallNow (): number { return this.now() }
  streamWarning (event: ReplicaWarning, err: GrapevineError): void { this.replica.streamWarning(event, err) }

  /**
   * A client's update: old ones are dropped, far-future ones rejected; the
   * rest wait for Redis. Says 'applied' for an update that was only taken
   * in, so the stream counts it and does not echo it; the data type judges
   * it once it is stored, and a refusal then goes to `hooks.invalid`.
   */
  receive (update: Update, origin: unknown): ReceiveResult {
    const [, ts, source] = update
    if (!this.replica.clock.isNewer(source, ts)) return OLD
    const refused = this.intake.refusal(origin)
    if (refused !== undefined) return { status: 'rejected', error: refused }
    const wall = this.now()
    if (ts > wall + this.maxDriftMs) {
      return { status: 'rejected', error: new GrapevineError('ERR_CLOCK_DRIFT', `timestamp is ${Math.round(ts - wall)} ms ahead of the local clock`, { source, ts }) }
    }
    if (this.closed || !this.hooks.up()) return this.refuse(origin, new GrapevineError('ERR_BACKEND', 'Redis is unreachable: this relay takes no writes now', { kind: 'down' }))
    if (this.waiting >= this.maxPending) return this.refuse(origin, new GrapevineError('ERR_BACKEND', `more than ${this.maxPending} updates wait for Redis`, { kind: 'overload' }))
    this.enqueue(update, origin)
    return APPLIED
  }

  /**
   * The stream that sent update `ts` of `source` in the batch being
   * appended, if any. Redis may hand the batch to this relay's log reader
   * before the append's reply arrives, so the reader, not the gate, may be
   * the one to apply (or refuse) it first.
   */
  senderOf (source: string, ts: number): unknown {
    return this.senders.get(`${ts} ${source}`)
  }

  /** Stop: what waits is dropped (its writers still hold it and resend it to the next relay). */
  close (): void {
    this.closed = true
    for (const b of this.queue.splice(this.inFlight ? 1 : 0)) this.waiting -= b.updates.length
  }

  private refuse (origin: unknown, err: GrapevineError): ReceiveResult {
    this.intake.refuse(origin, err)
    return { status: 'rejected', error: err }
  }

  private enqueue (update: Update, origin: unknown): void {
    let b = this.queue[this.queue.length - 1]
    if (b === undefined || (this.inFlight && this.queue.length === 1) || b.updates.length >= this.maxBatch) {
      b = { updates: [], origins: [], seen: new Set(), acks: new Map() }
      this.queue.push(b)
    }
    const [, ts, source] = update
    const key = `${ts} ${source}`
    if (!b.seen.has(key)) {
      b.seen.add(key)
      b.updates.push(update)
      b.origins.push(origin)
      this.waiting++
    }
    let ack = b.acks.get(origin)
    if (ack === undefined) b.acks.set(origin, ack = new Map())
    if ((ack.get(source) ?? 0) < ts) ack.set(source, ts)
    if (!this.inFlight && !this.scheduled) {
      this.scheduled = true
      // Gather what the rest of this turn brings into the same batch.
      setImmediate(() => { this.scheduled = false; this.flush() })
    }
  }

  private flush (): void {
    if (this.inFlight || this.closed) return
    const b = this.queue[0]
    if (b === undefined) return
    this.inFlight = true
    this.senders = new Map(b.updates.map((u, i) => [`${u[1]} ${u[2]}`, b.origins[i]]))
    this.hooks.append(b.updates).then(() => this.stored(b), (err: unknown) => this.failed(err))
  }

  private stored (b: Batch): void {
    this.inFlight = false
    this.senders.clear()
    this.queue.shift()
    this.waiting -= b.updates.length
    for (let i = 0; i < b.updates.length; i++) {
      const origin = b.origins[i]
      try {
        const r = this.replica.receive(b.updates[i] as Update, origin)
        if (r.status === 'rejected') this.hooks.invalid(origin, r.error)
      } catch (err) {
        // A listener of the application threw: the update is applied and stored; report it.
        this.hooks.invalid(origin, new GrapevineError('ERR_LISTENER', `a listener threw while applying a stored update: ${err instanceof Error ? err.message : String(err)}`))
      }
    }
    for (const [origin, ack] of b.acks) this.hooks.durable(origin, Object.fromEntries(ack))
    this.flush()
  }

  private failed (err: unknown): void {
    this.inFlight = false
    this.senders.clear()
    const e = err instanceof GrapevineError ? err : new GrapevineError('ERR_BACKEND', `append failed: ${String(err)}`, { kind: 'down' })
    // Everything behind the failed batch may continue a source it started: refuse all of it.
    for (const b of this.queue.splice(0)) {
      this.waiting -= b.updates.length
      for (const origin of b.acks.keys()) this.intake.refuse(origin, e)
    }
  }
}
