import { EventEmitter } from 'node:events'
import { GrapevineError, invalidArgument } from '../errors/grapevine-error'
import { createId, type Replica } from '../replica/replica'
import type { ReplicaWarning } from '../replica/host'
import { createPullStream, type PullDuplex } from '../pull/pull-stream'
import { isSourceId, type SourceId, sourceId } from '../wire/types'
import { createBucketStream } from './bucket-stream'
import type { BucketStream, BucketStreamHost, BucketStreamOptions, MembershipListener } from './types'
import { isBucketName } from './messages'

/** Options of `new Bucket()`. */
export interface BucketOptions {
  /** This bucket's id, sent in its stream headers. Default: 24 random hex characters. */
  id?: string
}

/**
 * Many named replicas over one stream (the successor of scuttlebucket). A
 * stream's header carries every replica's clock, so a reconnect sends only
 * what each replica is missing; replicas added while a stream is open are
 * announced to the peer; a name the peer does not hold is ignored with an
 * 'unknown' event on the stream. Wire protocol: docs/bucket.md.
 *
 * Events: 'add' (name, replica), 'remove' (name, replica), 'dispose', and
 * the time warnings 'skew', 'held', 'refused' (err) of its streams.
 */
export class Bucket extends EventEmitter implements BucketStreamHost {
  readonly id: SourceId
  private readonly members = new Map<string, { replica: Replica, untrack: () => void }>()
  private readonly held = new Set<Replica>()
  private readonly watchers = new Set<MembershipListener>()
  private readonly open = new Set<() => void>()
  private disposedFlag = false

  constructor (opts: BucketOptions | string = {}) {
    super()
    const o: BucketOptions = typeof opts === 'string' ? { id: opts } : opts
    if (o.id !== undefined && !isSourceId(o.id)) invalidArgument('id must be a non-empty string of at most 256 characters, not "__proto__"')
    this.id = o.id !== undefined ? sourceId(o.id) : createId()
  }

  /**
   * Hold `replica` under `name` and replicate it over every stream of this
   * bucket, open ones included (they announce it to their peers). A
   * disposed replica leaves the bucket by itself.
   */
  add (name: string, replica: Replica): this {
    this.assertLive()
    if (!isBucketName(name)) invalidArgument('name must be a non-empty string of at most 256 characters, not "__proto__"')
    if (this.members.has(name)) invalidArgument(`the bucket already holds a replica named ${JSON.stringify(name)}`)
    if (replica.disposed) invalidArgument('replica is disposed')
    if (this.held.has(replica)) invalidArgument('a replica can be in a bucket under one name only')
    const untrack = replica.track(() => { if (this.get(name) === replica) this.remove(name) })
    this.members.set(name, { replica, untrack })
    this.held.add(replica)
    for (const w of [...this.watchers]) w.add(name, replica)
    this.emit('add', name, replica)
    return this
  }

  /** The replica held under `name`, typed by the caller. */
  get<R extends Replica = Replica> (name: string): R | undefined {
    // reason: the caller names the type it stored under `name`.
    return this.members.get(name)?.replica as R | undefined
  }

  /** True when a replica is held under `name`. */
  has (name: string): boolean {
    return this.members.has(name)
  }

  /**
   * Stop replicating `name` (the replica itself is left as it is). Open
   * streams tell their peers, which stop sending its updates.
   */
  remove (name: string): boolean {
    const m = this.members.get(name)
    if (m === undefined) return false
    this.members.delete(name)
    this.held.delete(m.replica)
    m.untrack()
    for (const w of [...this.watchers]) w.remove(name)
    this.emit('remove', name, m.replica)
    return true
  }

  /** Names held, in insertion order. */
  names (): string[] {
    return [...this.members.keys()]
  }

  /** Number of replicas held. */
  get size (): number {
    return this.members.size
  }

  /** Every `[name, replica]`, in insertion order. */
  * entries (): IterableIterator<[string, Replica]> {
    for (const [name, m] of this.members) yield [name, m.replica]
  }

  /** A duplex stream speaking grapevine-bucket/1 for every replica held. */
  createStream (opts: BucketStreamOptions = {}): BucketStream {
    this.assertLive()
    return createBucketStream(this, opts)
  }

  /** The same protocol as a pull-stream duplex `{ source, sink }`. */
  createPullStream (opts: BucketStreamOptions = {}): PullDuplex {
    return createPullStream(this.createStream(opts))
  }

  /** Used by streams: be told of adds and removes. */
  watch (listener: MembershipListener): () => void {
    this.watchers.add(listener)
    return () => { this.watchers.delete(listener) }
  }

  /** Used by streams: track an open stream so `dispose()` can close it. */
  track (close: () => void): () => void {
    this.open.add(close)
    return () => { this.open.delete(close) }
  }

  /** The wall clock our streams' headers report: the first member's (they share a machine), else Date.now. */
  wallNow (): number {
    for (const m of this.members.values()) return m.replica.wallNow()
    return Date.now()
  }

  /** Used by streams: a time warning ('skew', 'held', 'refused') as an event of that name. */
  streamWarning (event: ReplicaWarning, err: GrapevineError): void {
    this.emit(event, err)
  }

  /** Number of streams currently attached. */
  get streams (): number {
    return this.open.size
  }

  /** True once `dispose()` was called. */
  get disposed (): boolean {
    return this.disposedFlag
  }

  /** Close every stream of this bucket and release the replicas (they are not disposed). Emits 'dispose' once. */
  dispose (): void {
    if (this.disposedFlag) return
    this.disposedFlag = true
    for (const close of [...this.open]) close()
    for (const name of [...this.members.keys()]) this.remove(name)
    this.emit('dispose')
  }

  private assertLive (): void {
    if (this.disposedFlag) throw new GrapevineError('ERR_DISPOSED', 'bucket is disposed')
  }
}
