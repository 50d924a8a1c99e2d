import { EventEmitter } from 'node:events'
import type { Duplex } from 'node:stream'
import { createBucketStream } from '../bucket/bucket-stream'
import type { BucketStreamHost, MembershipListener } from '../bucket/types'
import { GrapevineError, invalidArgument } from '../errors/grapevine-error'
import { Model } from '../models/model'
import type { Link } from '../net/link'
import { type NetOptions, type ReplicaServer, serve } from '../net/serve'
import { createId, type Replica } from '../replica/replica'
import type { ReplicaWarning, StreamHost } from '../replica/host'
import { createReplicaStream, type ReplicaStream, type StreamOptions } from '../stream/replica-stream'
import { type SourceId, isSourceId, sourceId } from '../wire/types'
import { type BackendOptions, RedisBackend } from './backend'
import { type DocumentFactory, type DocumentsOptions, type Held, RedisDocuments } from './documents'
import { Intake } from './intake'
import { RELAY_HEADER, RELAY_TAG, encodeAck, encodeBackend } from './notices'

/** Options of `serveWithRedis()` / `RedisRelay.start()`. */
export interface RedisRelayOptions extends DocumentsOptions, BackendOptions {
  /** The Redis URL, `redis://host:port[/db]`. */
  redis: string
  /** Makes each document's replica. Default `(name, opts) => new Model(opts)`. */
  create?: DocumentFactory
  /** Serve a Bucket (each name a document, loaded when a client names it). Default false: one document. */
  bucket?: boolean
  /** The document served in single-document mode. Default `default`. */
  document?: string
  /** Most documents held in bucket mode; names past it are refused. Default 100 000. */
  maxDocuments?: number
  /** This relay's id (in stream headers and log entries). Default random. */
  id?: string
  /** Options of every listener (TLS, liveness, stream limits). */
  net?: NetOptions
}

/** Counters of a relay. */
export interface RelayStats {
  documents: number
  links: number
  /** Updates taken from clients and waiting for Redis. */
  pending: number
  /** Acknowledgements sent to clients. */
  acks: number
  /** Client streams refused (Redis down or overloaded) and closed. */
  refused: number
  /** Stored updates the data type refused. */
  invalid: number
}

/**
 * A stateless relay whose documents live in Redis (docs/scale-out.md):
 * serve it on any number of addresses, run as many relay processes as you
 * like against the same Redis, and a client connected to any of them sees
 * every write made through any other. Events: 'up' and 'down' (err) as
 * Redis comes and goes, 'compact' (name, updates), 'warning' (event,
 * err) for a bucket stream's time warnings, 'error' (a coded
 * GrapevineError, only when listened to; also kept as `relay.error`).
 */
export class RedisRelay extends EventEmitter {
  readonly id: SourceId
  readonly backend: RedisBackend
  readonly documents: RedisDocuments
  readonly servers: ReplicaServer[] = []
  /** The last error reported. */
  error: GrapevineError | undefined
  readonly stats: RelayStats = { documents: 0, links: 0, pending: 0, acks: 0, refused: 0, invalid: 0 }
  private readonly intake: Intake
  private readonly links = new Map<unknown, Link>()
  private readonly open = new Set<ReplicaStream>()
  private readonly bucket: boolean
  private readonly single: string
  private readonly maxDocuments: number
  private closedFlag = false

  /** Use `RedisRelay.start()` or `serveWithRedis()`. */
  constructor (private readonly opts: RedisRelayOptions) {
    super()
    if (opts.id !== undefined && !isSourceId(opts.id)) invalidArgument('id must be a non-empty string of at most 256 characters')
    this.id = opts.id !== undefined ? sourceId(opts.id) : createId()
    this.bucket = opts.bucket === true
    this.single = opts.document ?? 'default'
    this.maxDocuments = opts.maxDocuments ?? 100_000
    this.backend = new RedisBackend(opts.redis, { name: `grapevine-relay-${this.id}`, ...opts })
    this.intake = new Intake((origin, err) => this.refuse(origin, err))
    const create = opts.create ?? ((_name: string, o) => new Model(o))
    this.documents = new RedisDocuments(this.backend, this.id, create, this.intake, {
      durable: (origin, name, clock) => this.ack(origin, name, clock),
      invalid: (origin, err) => {
        this.stats.invalid++
        if (origin instanceof EventEmitter) origin.emit('invalid', err)
      }
    }, opts)
    this.documents.on('error', (err: GrapevineError) => this.fail(err))
    this.documents.on('compact', (name: string, n: number) => this.emit('compact', name, n))
    this.backend.on('down', (err: GrapevineError) => {
      this.fail(err)
      this.broadcast(encodeBackend(false, err))
      this.emit('down', err)
    })
    this.backend.on('up', () => {
      this.broadcast(encodeBackend(true))
      this.emit('up')
    })
  }

  /** Connect to Redis (waiting while it is down), load the single document, follow the logs. */
  static async start (opts: RedisRelayOptions): Promise<RedisRelay> {
    const relay = new RedisRelay(opts)
    await relay.backend.connect()
    if (!relay.bucket) await relay.documents.open(relay.single)
    relay.documents.start()
    return relay
  }

  /** True while Redis is reachable. */
  get up (): boolean {
    return this.backend.up
  }

  /** The replica of a loaded document (the single one by default). */
  document<R extends Replica = Replica> (name: string = this.single): R | undefined {
    // reason: the caller names the type its factory makes.
    return this.documents.get(name)?.doc.replica as R | undefined
  }

  /** A client stream: a replica stream of the document, or a bucket stream of many. */
  createStream (opts: StreamOptions = {}): ReplicaStream {
    if (this.closedFlag) throw new GrapevineError('ERR_DISPOSED', 'relay is closed')
    const o = { ...opts, headerFields: { ...opts.headerFields, [RELAY_HEADER]: 1 } }
    let stream: ReplicaStream
    if (this.bucket) {
      const members = new Members(this.id, (event, err) => { if (this.listenerCount('warning') > 0) this.emit('warning', event, err) })
      stream = createBucketStream(members, o)
      stream.on('unknown', (name: string) => { void this.admit(members, stream, name) })
    } else {
      const held = this.documents.get(this.single)
      if (held === undefined) throw new GrapevineError('ERR_DISPOSED', 'relay is not started')
      stream = createReplicaStream(held.gate, o)
    }
    this.open.add(stream)
    stream.once('close', () => this.open.delete(stream))
    return stream
  }

  /** Listen on `address` (tcp://, tls://, ws://, wss://); acknowledgements go out as side lines. */
  async listen (address: string, net: NetOptions = {}): Promise<ReplicaServer> {
    const server = await serve(this, address, { ...this.opts.net, ...net })
    server.on('link', (l: Link) => {
      this.links.set(l.stream, l)
      this.stats.links = this.links.size
      if (!this.backend.up) l.sendSideLine(RELAY_TAG, encodeBackend(false, { code: 'ERR_BACKEND', message: 'Redis is unreachable' }))
    })
    server.on('unlink', (l: Link) => {
      this.links.delete(l.stream)
      this.stats.links = this.links.size
    })
    this.servers.push(server)
    return server
  }

  /** Compact a document now (the single one by default); true when a snapshot was stored. */
  compact (name: string = this.single): Promise<boolean> {
    return this.documents.compactNow(name)
  }

  /** Current counters. */
  snapshotStats (): RelayStats {
    let pending = 0
    for (const [, h] of this.documents.entries()) pending += h.gate.pending
    return { ...this.stats, documents: this.documents.size, pending }
  }

  /** Stop listening, close every client, drop what waits for Redis, disconnect. */
  async close (): Promise<void> {
    if (this.closedFlag) return
    this.closedFlag = true
    await Promise.all(this.servers.map((s) => s.close()))
    for (const s of [...this.open]) s.destroy()
    await this.documents.close()
    await this.backend.close()
  }

  /** A bucket stream named a document: load it, then add it to that stream (retrying while Redis is down). */
  private async admit (members: Members, stream: ReplicaStream, name: string): Promise<void> {
    if (members.asked.has(name)) return
    members.asked.add(name)
    if (this.documents.get(name) === undefined && this.documents.size >= this.maxDocuments) {
      stream.emit('invalid', new GrapevineError('ERR_TOO_MANY_NAMES', `this relay holds ${this.maxDocuments} documents already`, { name }))
      return
    }
    for (;;) {
      let held: Held
      try {
        held = await this.documents.open(name)
      } catch (err) {
        this.fail(err instanceof GrapevineError ? err : new GrapevineError('ERR_BACKEND', String(err)))
        if (stream.destroyed || this.closedFlag) return
        await this.backend.whenUp()
        await new Promise((resolve) => setTimeout(resolve, 100))
        if (stream.destroyed || this.closedFlag) return
        continue
      }
      if (!stream.destroyed) members.add(name, held.gate)
      return
    }
  }

  private ack (origin: unknown, name: string, clock: Record<string, number>): void {
    const l = this.links.get(origin)
    if (l === undefined) return
    this.stats.acks++
    l.sendSideLine(RELAY_TAG, encodeAck(this.bucket ? name : undefined, clock))
  }

  private refuse (origin: unknown, err: GrapevineError): void {
    this.stats.refused++
    // The writer keeps its update; closing makes it reconnect (maybe to another relay) and resend what is missing.
    const l = this.links.get(origin)
    if (l !== undefined) l.close(err)
    else if (origin instanceof EventEmitter && 'destroy' in origin) (origin as Duplex).destroy(err)
  }

  private broadcast (text: string): void {
    for (const l of this.links.values()) l.sendSideLine(RELAY_TAG, text)
  }

  private fail (err: GrapevineError): void {
    this.error = err
    if (this.listenerCount('error') > 0) this.emit('error', err)
  }
}

/**
 * The documents one bucket stream replicates: those its peer named, added
 * once loaded. A relay does not push every document it holds to every
 * client, only what each asked for.
 */
class Members implements BucketStreamHost {
  readonly asked = new Set<string>()
  private readonly members = new Map<string, StreamHost>()
  private readonly watchers = new Set<MembershipListener>()

  constructor (readonly id: SourceId, private readonly warn: (event: ReplicaWarning, err: GrapevineError) => void) {}

  get (name: string): StreamHost | undefined { return this.members.get(name) }
  entries (): Iterable<readonly [string, StreamHost]> { return this.members.entries() }
  watch (listener: MembershipListener): () => void {
    this.watchers.add(listener)
    return () => { this.watchers.delete(listener) }
  }

  track (): () => void { return () => {} }
  wallNow (): number { return Date.now() }
  streamWarning (event: ReplicaWarning, err: GrapevineError): void { this.warn(event, err) }

  add (name: string, host: StreamHost): void {
    if (this.members.has(name)) return
    this.members.set(name, host)
    for (const w of [...this.watchers]) w.add(name, host)
  }
}

/** Start a relay on Redis and listen on one or more addresses. */
export async function serveWithRedis (listen: string | readonly string[], opts: RedisRelayOptions): Promise<RedisRelay> {
  const relay = await RedisRelay.start(opts)
  try {
    for (const a of typeof listen === 'string' ? [listen] : listen) await relay.listen(a)
  } catch (err) {
    await relay.close()
    throw err
  }
  return relay
}
