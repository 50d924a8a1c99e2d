import { EventEmitter } from 'node:events'
import { GrapevineError, invalidArgument } from '../errors/grapevine-error'
import type { ReplicaWarning, StreamHost } from '../replica/host'
import { Replica, createId } from '../replica/replica'
import { createPullStream, type PullDuplex } from '../pull/pull-stream'
import { isSourceId, type SourceId, sourceId } from '../wire/types'
import { createBucketStream } from './bucket-stream'
import { MAX_PATH_LENGTH, isMemberName, joinPath, splitPath } from './paths'
import type { BucketStream, BucketStreamHost, BucketStreamOptions, MembershipListener } from './types'

/** Options of `new Bucket()`. */
export interface BucketOptions {
  /** This bucket's id, sent in its stream headers. Default: 24 random hex characters. */
  id?: string
}

/** What a bucket holds: a replica, or another bucket (nested). */
export type BucketMember = Replica | Bucket

interface Held {
  readonly member: BucketMember
  readonly untrack: () => void
  /** For a nested bucket: stop relaying its membership. */
  readonly unwatch?: () => void
}

/**
 * Many named replicas over one stream (the successor of scuttlebucket). A
 * stream's header carries every replica's clock, so a reconnect sends only
 * what each replica is missing; replicas added while a stream is open are
 * announced to the peer; a name the peer does not hold is ignored with an
 * 'unknown' event on the stream. A bucket may hold buckets: their replicas
 * travel on the outer bucket's streams under path names
 * (`outer\u001finner`). Wire protocol: docs/bucket.md.
 *
 * Events: 'add' (name, member), 'remove' (name, member), 'dispose', and
 * the time warnings 'skew', 'held', 'refused' (err) of its streams.
 */
export class Bucket extends EventEmitter {
  readonly id: SourceId
  private readonly members = new Map<string, Held>()
  private readonly nameOf = new Map<BucketMember, string>()
  /** Buckets holding this one. */
  private readonly parents = new Set<Bucket>()
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
   * Hold `member` (a replica or a bucket) under `name` and replicate it over
   * every stream of this bucket, open ones included (they announce it to
   * their peers). A disposed member leaves the bucket by itself.
   */
  add (name: string, member: BucketMember): this {
    this.checkAdd(name, member)
    const untrack = member.track(() => { if (this.get(name) === member) this.remove(name) })
    let unwatch: (() => void) | undefined
    if (member instanceof Bucket) {
      member.parents.add(this)
      unwatch = member.watch({
        add: (path, replica) => this.notifyAdd(joinPath(name, path), replica),
        remove: (path) => this.notifyRemove(joinPath(name, path))
      })
    }
    this.members.set(name, unwatch === undefined ? { member, untrack } : { member, untrack, unwatch })
    this.nameOf.set(member, name)
    if (member instanceof Bucket) {
      for (const [path, replica] of member.flatEntries()) this.notifyAdd(joinPath(name, path), replica)
    } else {
      this.notifyAdd(name, member)
    }
    this.emit('add', name, member)
    return this
  }

  /**
   * Throw ERR_INVALID_ARGUMENT unless `add(name, member)` would succeed.
   * Changes nothing.
   */
  checkAdd (name: string, member: BucketMember): void {
    this.assertLive()
    if (!isMemberName(name)) invalidArgument('name must be a non-empty string of at most 256 characters, not "__proto__", without U+001F')
    if (!(member instanceof Replica) && !(member instanceof Bucket)) invalidArgument('a bucket holds grapevine replicas and buckets')
    if (this.members.has(name)) invalidArgument(`the bucket already holds a member named ${JSON.stringify(name)}`)
    if (member.disposed) invalidArgument(`the ${member instanceof Bucket ? 'bucket' : 'replica'} is disposed`)
    if (this.nameOf.has(member)) invalidArgument('a member can be in a bucket under one name only')
    if (member instanceof Bucket && (member === this || member.isAncestorOf(this))) invalidArgument('a bucket cannot hold itself, directly or through the buckets it holds')
    const below = member instanceof Bucket ? member.longestPath() : 0
    const longest = this.longestPrefix() + name.length + (below > 0 ? 1 + below : 0)
    if (longest > MAX_PATH_LENGTH) invalidArgument(`nested names would reach ${longest} characters; a path name is at most ${MAX_PATH_LENGTH}`)
  }

  /** The member held under `name`, typed by the caller. */
  get<R extends BucketMember = Replica> (name: string): R | undefined {
    // reason: the caller names the type it stored under `name`.
    return this.members.get(name)?.member as R | undefined
  }

  /** True when a member is held under `name`. */
  has (name: string): boolean {
    return this.members.has(name)
  }

  /**
   * Stop replicating `name` (the member itself is left as it is). Open
   * streams tell their peers, which stop sending its updates.
   */
  remove (name: string): boolean {
    const held = this.members.get(name)
    if (held === undefined) return false
    const { member } = held
    this.members.delete(name)
    this.nameOf.delete(member)
    held.untrack()
    if (member instanceof Bucket) {
      held.unwatch?.()
      member.parents.delete(this)
      for (const [path] of member.flatEntries()) this.notifyRemove(joinPath(name, path))
    } else {
      this.notifyRemove(name)
    }
    this.emit('remove', name, member)
    return true
  }

  /** Names held, in insertion order. */
  names (): string[] {
    return [...this.members.keys()]
  }

  /** Number of members held. */
  get size (): number {
    return this.members.size
  }

  /** Every `[name, member]`, in insertion order. */
  * entries (): IterableIterator<[string, BucketMember]> {
    for (const [name, held] of this.members) yield [name, held.member]
  }

  /** `{name: member.toJSON()}` for every member (undefined for one without toJSON), nested buckets included. */
  toJSON (): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    for (const [name, { member }] of this.members) {
      const json = (member as { toJSON?: () => unknown }).toJSON
      Object.defineProperty(out, name, { value: typeof json === 'function' ? json.call(member) : undefined, enumerable: true, writable: true, configurable: true })
    }
    return out
  }

  /** A duplex stream speaking grapevine-bucket/1 for every replica held, nested ones included. */
  createStream (opts: BucketStreamOptions = {}): BucketStream {
    this.assertLive()
    return createBucketStream(this.streamHost(), opts)
  }

  /** The same protocol as a pull-stream duplex `{ source, sink }`. */
  createPullStream (opts: BucketStreamOptions = {}): PullDuplex {
    return createPullStream(this.createStream(opts))
  }

  /** Used by streams and outer buckets: be told of adds and removes of replicas, by path. */
  watch (listener: MembershipListener): () => void {
    this.watchers.add(listener)
    return () => { this.watchers.delete(listener) }
  }

  /** Used by streams and outer buckets: track an attachment so `dispose()` can close it. */
  track (close: () => void): () => void {
    this.open.add(close)
    return () => { this.open.delete(close) }
  }

  /** The wall clock our streams' headers report: the first replica's, nested ones included (they share a machine), else Date.now. */
  wallNow (): number {
    for (const [, replica] of this.flatEntries()) return replica.wallNow()
    return Date.now()
  }

  /** Used by streams: a time warning ('skew', 'held', 'refused') as an event of that name. */
  streamWarning (event: ReplicaWarning, err: GrapevineError): void {
    this.emit(event, err)
  }

  /** Number of streams (and outer buckets) attached. */
  get streams (): number {
    return this.open.size
  }

  /** True once `dispose()` was called. */
  get disposed (): boolean {
    return this.disposedFlag
  }

  /** Close every stream of this bucket, leave outer buckets, and release the members (they are not disposed). Emits 'dispose' once. */
  dispose (): void {
    if (this.disposedFlag) return
    this.disposedFlag = true
    for (const close of [...this.open]) close()
    for (const name of [...this.members.keys()]) this.remove(name)
    this.emit('dispose')
  }

  /** What a stream sees: every replica by its path, nested buckets flattened. */
  private streamHost (): BucketStreamHost {
    const bucket = this
    return {
      get id () { return bucket.id },
      get: (path) => bucket.replicaAt(path),
      entries: () => bucket.flatEntries(),
      watch: (listener) => bucket.watch(listener),
      track: (close) => bucket.track(close),
      wallNow: () => bucket.wallNow(),
      streamWarning: (event, err) => { bucket.streamWarning(event, err) }
    }
  }

  private replicaAt (path: string): Replica | undefined {
    const [name, rest] = splitPath(path)
    const member = this.members.get(name)?.member
    if (member instanceof Bucket) return rest === undefined ? undefined : member.replicaAt(rest)
    return rest === undefined ? member : undefined
  }

  private * flatEntries (): IterableIterator<[string, Replica]> {
    for (const [name, { member }] of this.members) {
      if (member instanceof Bucket) {
        for (const [path, replica] of member.flatEntries()) yield [joinPath(name, path), replica]
      } else {
        yield [name, member]
      }
    }
  }

  private notifyAdd (path: string, replica: StreamHost): void {
    for (const w of [...this.watchers]) w.add(path, replica)
  }

  private notifyRemove (path: string): void {
    for (const w of [...this.watchers]) w.remove(path)
  }

  private isAncestorOf (other: Bucket): boolean {
    for (const p of other.parents) if (p === this || this.isAncestorOf(p)) return true
    return false
  }

  /** Longest path this bucket's names start with, through the buckets holding it (0 at the top). */
  private longestPrefix (): number {
    let longest = 0
    for (const p of this.parents) longest = Math.max(longest, p.longestPrefix() + (p.nameOf.get(this) as string).length + 1)
    return longest
  }

  /** Longest path among the replicas held (0 when none). */
  private longestPath (): number {
    let longest = 0
    for (const [name, { member }] of this.members) {
      if (member instanceof Bucket) {
        const below = member.longestPath()
        if (below > 0) longest = Math.max(longest, name.length + 1 + below)
      } else {
        longest = Math.max(longest, name.length)
      }
    }
    return longest
  }

  private assertLive (): void {
    if (this.disposedFlag) throw new GrapevineError('ERR_DISPOSED', 'bucket is disposed')
  }
}
