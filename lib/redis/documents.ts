import { EventEmitter } from 'node:events'
import { GrapevineError, invalidArgument } from '../errors/grapevine-error'
import type { Replica, ReplicaOptions } from '../replica/replica'
import type { ClockJSON, Update } from '../wire/types'
import { type RedisBackend, backendError } from './backend'
import { RedisDocument } from './document'
import { docKeys } from './entries'
import { type GateOptions, WriteGate } from './gate'
import type { Intake } from './intake'

/** Makes the replica of a document; must pass `opts` to the constructor (`(name, opts) => new Model(opts)`). */
export type DocumentFactory = (name: string, opts: ReplicaOptions) => Replica

/** Options of a relay's documents. */
export interface DocumentsOptions extends GateOptions {
  /** Key prefix in Redis. Default `gv`. */
  prefix?: string
  /** Compact once the log after the snapshot holds more than this many updates... Default 10 000. */
  compactMin?: number
  /** ...and more than this many times the live size of the document. Default 2. */
  compactRatio?: number
  /** Entries read per log and per command. Default 256. */
  readCount?: number
  /** How long one blocking read waits, in ms. Default 2 000. */
  blockMs?: number
}

/** A document held by this relay: its log state and its write gate. */
export interface Held {
  readonly doc: RedisDocument
  readonly gate: WriteGate
}

/** What the documents tell the relay about one client stream. */
export interface DocumentEvents {
  durable (origin: unknown, name: string, clock: ClockJSON): void
  invalid (origin: unknown, err: GrapevineError): void
}

/**
 * The documents of one relay and their side of Redis: load a document
 * (snapshot, then the log after it), follow every log with one blocking
 * XREAD, apply what other relays appended, compact when a log grows, and
 * put back into Redis what it lost. Events: 'error' (a coded
 * GrapevineError), 'compact' (name, updates), 'lost' (name).
 */
export class RedisDocuments extends EventEmitter {
  private readonly held = new Map<string, Held>()
  private readonly loading = new Map<string, Promise<Held>>()
  private readonly prefix: string
  private readonly compactMin: number
  private readonly compactRatio: number
  private readonly readCount: number
  private readonly blockMs: number
  private compacting = false
  private closed = false
  private loop: Promise<void> | undefined

  constructor (
    private readonly backend: RedisBackend,
    private readonly relayId: string,
    private readonly create: DocumentFactory,
    private readonly intake: Intake,
    private readonly events: DocumentEvents,
    private readonly opts: DocumentsOptions = {}
  ) {
    super()
    this.prefix = opts.prefix ?? 'gv'
    this.compactMin = opts.compactMin ?? 10_000
    this.compactRatio = opts.compactRatio ?? 2
    this.readCount = opts.readCount ?? 256
    this.blockMs = opts.blockMs ?? 2000
  }

  /** The document `name`, if loaded. */
  get (name: string): Held | undefined {
    return this.held.get(name)
  }

  /** Loaded documents. */
  entries (): IterableIterator<[string, Held]> {
    return this.held.entries()
  }

  /** Number of documents loaded or loading. */
  get size (): number {
    return this.held.size + this.loading.size
  }

  /** Load `name` (snapshot, then the log after it) once; later calls get the same document. */
  open (name: string): Promise<Held> {
    const h = this.held.get(name)
    if (h !== undefined) return Promise.resolve(h)
    let p = this.loading.get(name)
    if (p === undefined) {
      p = this.load(name).finally(() => this.loading.delete(name))
      this.loading.set(name, p)
    }
    return p
  }

  /** Compact `name` now (if this relay can take the lock); resolves to true when a snapshot was stored. */
  async compactNow (name: string): Promise<boolean> {
    const h = this.held.get(name)
    if (h === undefined || this.compacting) return false
    this.compacting = true
    try {
      return await this.compact(h.doc, true)
    } finally {
      this.compacting = false
    }
  }

  /** Start following the logs. */
  start (): void {
    this.loop ??= this.follow()
  }

  /** Stop following; drop what waits for Redis. */
  async close (): Promise<void> {
    this.closed = true
    for (const h of this.held.values()) h.gate.close()
    this.backend.unblock()
    await this.loop
  }

  private async load (name: string): Promise<Held> {
    const replica = this.create(name, { maxDriftMs: Infinity })
    // Another relay judged these timestamps when it stored them; a clock behind its own must not refuse them.
    if (replica.maxDriftMs !== Infinity) invalidArgument('a relay document factory must pass its opts to the replica constructor ({ maxDriftMs: Infinity })')
    const keys = docKeys(this.prefix, name)
    const doc = new RedisDocument(name, keys, replica)
    const snap = await this.backend.snapshot(keys)
    if (snap !== undefined) doc.applySnapshot(snap)
    await this.catchUp(doc)
    const gate = new WriteGate(replica, this.intake, {
      append: async (updates: Update[]) => { await this.backend.append(keys, this.relayId, updates) },
      up: () => this.backend.up,
      durable: (origin, clock) => this.events.durable(origin, name, clock),
      invalid: (origin, err) => this.events.invalid(origin, err)
    }, this.opts)
    const held = { doc, gate }
    this.held.set(name, held)
    this.backend.unblock()
    return held
  }

  /** Read a log to its end without blocking (loading). */
  private async catchUp (doc: RedisDocument): Promise<void> {
    for (;;) {
      const entries = await this.backend.readFrom(doc.keys, doc.cursor, this.readCount)
      if (entries.length === 0) return
      await this.take(doc, entries)
    }
  }

  /** Apply entries read from a log; on a gap load the snapshot that replaced them; on a loss put the document back. */
  private async take (doc: RedisDocument, entries: Parameters<RedisDocument['apply']>[0], healing = false): Promise<void> {
    const r = doc.apply(entries)
    const gate = this.held.get(doc.name)?.gate
    for (const err of r.errors) {
      // A refusal of an update this relay is appending right now goes to the stream that sent it.
      const { source, ts } = err.details
      const sender = gate !== undefined && typeof source === 'string' && typeof ts === 'number' ? gate.senderOf(source, ts) : undefined
      if (sender !== undefined) this.events.invalid(sender, err)
      else this.fail(err)
    }
    if (r.gap) {
      const snap = await this.backend.snapshot(doc.keys)
      if (snap !== undefined) doc.applySnapshot(snap)
    }
    if (r.lost && !healing) await this.heal(doc)
  }

  /**
   * Redis lost batches of `doc` (a crash before fsync): later batches may
   * now follow a hole, which readers of the log alone would never fill
   * (they skip the lost updates as old once a later one of the same source
   * is applied). Appending them again cannot help for the same reason; a
   * snapshot can: merge Redis's snapshot, read the log to its end, and store
   * our whole state as the snapshot there. Runs inside the log reader, so
   * no other read of the logs interleaves with it.
   */
  private async heal (doc: RedisDocument): Promise<void> {
    this.emit('lost', doc.name)
    this.fail(new GrapevineError('ERR_BACKEND', `Redis lost batches of ${JSON.stringify(doc.name)}; storing this relay's state as its snapshot`, { kind: 'lost', doc: doc.name }))
    for (let attempt = 0; attempt < 5; attempt++) {
      const snap = await this.backend.snapshot(doc.keys)
      if (snap !== undefined) doc.applySnapshot(snap)
      for (;;) {
        const entries = await this.backend.readFrom(doc.keys, doc.cursor, this.readCount)
        if (entries.length === 0) break
        await this.take(doc, entries, true)
      }
      if (await this.compact(doc, true)) return
      // Someone holds the lock or stored a newer snapshot: merge theirs and try again.
      await new Promise((resolve) => setTimeout(resolve, 100 * (attempt + 1)))
    }
    this.fail(new GrapevineError('ERR_BACKEND', `could not store ${JSON.stringify(doc.name)} back into Redis`, { kind: 'lost', doc: doc.name }))
  }

  private async follow (): Promise<void> {
    while (!this.closed) {
      if (!this.backend.up) await this.backend.whenUp()
      if (this.closed) return
      const docs = [...this.held.values()].map((h) => h.doc)
      if (docs.length === 0) {
        await new Promise((resolve) => setTimeout(resolve, 50))
        continue
      }
      let reply
      try {
        reply = await this.backend.tail(docs.map((d) => [d.keys.log, d.cursor] as const), this.readCount, this.blockMs)
      } catch (err) {
        if (!this.closed) this.fail(backendError('reading the logs failed', err))
        await new Promise((resolve) => setTimeout(resolve, 100))
        continue
      }
      try {
        for (const d of docs) {
          const entries = reply.get(d.keys.log)
          if (entries !== undefined && entries.length > 0) await this.take(d, entries)
        }
        this.maybeCompact()
      } catch (err) {
        this.fail(backendError('applying the logs failed', err))
      }
    }
  }

  /** One compaction at a time, for the first document whose log outgrew its bound. */
  private maybeCompact (): void {
    if (this.compacting || this.closed) return
    for (const h of this.held.values()) {
      if (!h.doc.compactionDue(this.compactMin, this.compactRatio)) continue
      this.compacting = true
      this.compact(h.doc).catch((err: unknown) => this.fail(backendError('compaction failed', err))).finally(() => { this.compacting = false })
      return
    }
  }

  private async compact (doc: RedisDocument, force = false): Promise<boolean> {
    const begin = await this.backend.beginCompact(doc.keys, this.relayId, 60_000)
    if (!begin.got || (begin.seq > doc.snapSeq && !force)) {
      // Someone compacts or just did: count the tail from their snapshot and build nothing.
      doc.noteSnapshot(begin.seq, begin.total)
      if (begin.got) await this.backend.release(doc.keys, this.relayId)
      else doc.noteSnapshot(doc.seq, doc.total)
      return false
    }
    const s = doc.snapshot()
    if (!await this.backend.compact(doc.keys, this.relayId, s.at, s.clock, s.updates)) return false
    doc.compacted(s)
    this.emit('compact', doc.name, s.count)
    return true
  }

  private fail (err: GrapevineError): void {
    if (this.listenerCount('error') > 0) this.emit('error', err)
  }
}
