import { Readable, Writable } from 'node:stream'
import duplexify from 'duplexify'
import { GrapevineError } from '../errors/grapevine-error'
import type { StreamHost } from '../replica/host'
import { Session } from '../session/session'
import { createDecoder, createEncoder, type OutBatch } from '../stream/codec'
import { emptyStats } from '../stream/stats'
import { TokenBucket } from '../limits/token-bucket'
import { DEFAULT_LIMITS } from '../wire/line-decoder'
import type { ClockJSON } from '../wire/types'
import { createInbound } from './inbound'
import { BUCKET_PROTO, DROP, announce, splitBuckets } from './messages'
import { BucketOutbox } from './outboxes'
import type { BucketStream, BucketStreamHost, BucketStreamOptions, BucketStreamStats } from './types'

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/**
 * Build the grapevine-bucket/1 duplex (docs/bucket.md): the core codec,
 * session state machine and one core Outbox per name, wired to streams.
 *
 * Events: 'header' (header), 'synced' and 'sync' (once, when the histories
 * of the handshake are exchanged), 'replicaSynced' (name) when a replica
 * started after the handshake has received its history, 'drop' (name) when
 * the peer stopped holding one, 'unknown' (name) for a name this side does
 * not hold, 'invalid' (err), 'error' (err) once, 'close'.
 */
export function createBucketStream (bucket: BucketStreamHost, opts: BucketStreamOptions = {}): BucketStream {
  const readable = opts.readable !== false
  const writable = opts.writable !== false
  const tail = opts.tail !== false
  const batchSize = opts.batchSize ?? 256
  const maxInvalid = opts.maxInvalid ?? 1000
  const decodeLimits = { maxSources: opts.maxSources ?? 100_000, maxNames: opts.maxNames ?? 100_000 }
  const limits = {
    maxLineBytes: opts.maxLineBytes ?? DEFAULT_LIMITS.maxLineBytes,
    maxDepth: opts.maxDepth ?? DEFAULT_LIMITS.maxDepth
  }
  const stats: BucketStreamStats = { ...emptyStats(), unknown: 0, announcesSent: 0, announcesReceived: 0 }
  const session = new Session({ readable: true, writable })
  const outbox = new BucketOutbox({ maxQueue: opts.maxQueue, maxQueueBytes: opts.maxQueueBytes })
  const pace = opts.maxMessagesPerSecond !== undefined ? new TokenBucket(opts.maxMessagesPerSecond) : undefined
  Object.defineProperty(stats, 'queueOverflows', { get: () => outbox.overflows, enumerable: true })
  const subscriptions = new Map<string, () => void>()
  let headerSent = false
  let ending = false
  let waiting = false
  let closed = false
  let readyToEnd = false

  const dup = duplexify()
  const stream = dup as unknown as BucketStream

  /** Start following `name`: its outbox (unstarted) and its live updates. */
  const follow = (name: string, host: StreamHost): void => {
    outbox.open(name, host)
    subscriptions.set(name, host.subscribe((update, origin) => {
      if (origin === stream || !readable) return
      outbox.offer(name, update)
      if (waiting) kick()
    }))
  }
  const unfollow = (name: string): void => {
    subscriptions.get(name)?.()
    subscriptions.delete(name)
    outbox.close(name)
  }

  const members: Array<readonly [string, StreamHost]> = [...bucket.entries()]
  for (const [name, host] of members) follow(name, host)
  // Clocks that do not fit in the header line follow it as handshake announces.
  const split = splitBuckets(members.map(([name, host]) => [name, host.clock.toJSON()]), opts.maxHeaderBytes ?? 256 * 1024)
  const header: Record<string, unknown> = { ...opts.headerFields, id: bucket.id, clock: {}, proto: BUCKET_PROTO, buckets: split.buckets }
  if (split.rest.length > 0) header.more = split.rest.length
  if (opts.meta !== undefined) header.meta = opts.meta
  let continued = 0

  const sendAnnounce = (name: string, host: StreamHost, reply: boolean): void => {
    const make = (): unknown => {
      stats.announcesSent++
      return announce(name, host.clock.toJSON(), reply ? 'reply' : 'fresh')
    }
    if (reply) outbox.enqueueReply(name, make)
    else outbox.enqueue(make)
    if (waiting) kick()
  }

  const fill = (): void => {
    if (closed || ending) return
    const batch: unknown[] = []
    if (!headerSent) {
      headerSent = true
      batch.push(header)
    }
    while (continued < split.rest.length && batch.length < batchSize) {
      const [name, clock] = split.rest[continued++] as readonly [string, ClockJSON]
      batch.push(announce(name, clock, 'handshake'))
    }
    if (continued === split.rest.length) stats.updatesSent += outbox.take(batchSize, batch, onSyncPlaced)
    if (batch.length === 0) {
      waiting = true
      return
    }
    waiting = false
    if (!out.push(batch as OutBatch)) return
    // push() may call read() again synchronously; otherwise keep filling.
    if (!waiting && (outbox.hasWork || readyToEnd)) queueMicrotask(kick)
  }

  const out = new Readable({ objectMode: true, highWaterMark: 2, read () { fill() } })
  const kick = (): void => {
    if (readyToEnd && !ending) {
      ending = true
      out.push(null)
      return
    }
    if (waiting) fill()
  }

  const onSyncPlaced = (): void => {
    queueMicrotask(() => {
      if (closed) return
      stream.emit('syncSent')
      if (session.sentSync().type === 'synced') onSynced()
    })
  }
  const onSynced = (): void => {
    s.synced = true
    stream.emit('synced')
    stream.emit('sync')
    if (!tail) endOutgoing()
  }
  const endOutgoing = (): void => {
    if (readyToEnd) return
    readyToEnd = true
    queueMicrotask(kick)
  }

  const encoder = createEncoder((n) => { stats.bytesSent += n })
  const decoder = createDecoder(limits, (n) => { stats.bytesReceived += n }, (err) => fatal(err))
  const sink = new Writable({
    objectMode: true,
    write (values: unknown[], _enc, cb) {
      let i = 0
      const run = (): void => {
        while (i < values.length && !closed) {
          // Rate limit: hold the callback, so the decoder and the socket back up.
          const wait = pace !== undefined ? pace.take() : 0
          if (wait > 0) {
            stats.throttled++
            setTimeout(run, wait)
            return
          }
          try {
            handle(values[i++])
          } catch (err) {
            // A listener (of a data type, or of this stream's events) threw:
            // the application's fault, not the peer's. Surface it on this
            // stream; it must not escape into the socket's data handler.
            const e = new GrapevineError('ERR_LISTENER', `a listener threw while handling a peer message: ${err instanceof Error ? err.message : String(err)}`)
            Object.defineProperty(e, 'cause', { value: err })
            fatal(e)
          }
        }
        cb()
      }
      run()
    },
    final (cb) {
      endOutgoing()
      cb()
    }
  })
  decoder.pipe(sink)
  out.pipe(encoder)
  dup.setWritable(decoder)
  dup.setReadable(encoder)

  const s = stream as unknown as Mutable<Pick<BucketStream, 'stats' | 'peerHeader' | 'synced' | 'error' | 'name'>>
  s.stats = stats
  s.peerHeader = undefined
  s.synced = false
  s.error = undefined
  s.name = opts.name

  const fatal = (err: Error): void => {
    if (closed) return
    s.error = err
    stream.destroy(err)
  }
  // Always one listener, so a fault on an unwatched stream cannot crash the process.
  stream.on('error', (err: Error) => { if (s.error === undefined) s.error = err })

  const handle = createInbound({
    bucket,
    session,
    outbox,
    stats,
    stream,
    readable,
    limits: decodeLimits,
    strict: opts.strict === true,
    maxInvalid,
    follow,
    unfollow,
    reply: (name, host) => sendAnnounce(name, host, true),
    setPeerHeader: (header) => { s.peerHeader = header },
    onSynced,
    wake: kick,
    fatal
  })

  const unwatch = bucket.watch({
    add (name, host) {
      if (closed) return
      follow(name, host)
      sendAnnounce(name, host, false)
    },
    remove (name) {
      if (closed) return
      unfollow(name)
      outbox.enqueue(() => [name, DROP])
      if (waiting) kick()
    }
  })
  const untrack = bucket.track(() => {
    if (closed) return
    endOutgoing()
    stream.end()
  })

  let finished = false
  let ended = false
  const maybeClose = (): void => {
    if (finished && ended && !closed) stream.destroy()
  }
  stream.on('finish', () => { finished = true; maybeClose() })
  stream.on('end', () => { ended = true; maybeClose() })
  stream.once('close', () => {
    closed = true
    unwatch()
    untrack()
    for (const name of [...subscriptions.keys()]) unfollow(name)
    decoder.destroy()
    out.destroy()
  })
  const handshakeMs = opts.handshakeTimeoutMs ?? 0
  if (handshakeMs > 0) {
    const timer = setTimeout(() => {
      if (!session.started) fatal(new GrapevineError('ERR_TIMEOUT', `no header within ${handshakeMs} ms`))
    }, handshakeMs)
    timer.unref()
    stream.once('header', () => clearTimeout(timer))
    stream.once('close', () => clearTimeout(timer))
  }
  return stream
}
