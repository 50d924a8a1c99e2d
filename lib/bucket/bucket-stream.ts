import type { StreamHost } from '../replica/host'
import { Session } from '../session/session'
import { createShell } from '../stream/shell'
import { emptyStats } from '../stream/stats'
import { DEFAULT_LIMITS } from '../wire/line-decoder'
import type { ClockJSON } from '../wire/types'
import { createInbound } from './inbound'
import { timeHeaderFields, timeOptions } from '../stream/time-facts'
import { NOTICES_FIELD } from '../wire/notice'
import { BUCKET_PROTO, DROP, announce, splitBuckets } from './messages'
import { BucketOutbox } from './outboxes'
import type { BucketStream, BucketStreamHost, BucketStreamOptions, BucketStreamStats } from './types'

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
  Object.defineProperty(stats, 'queueOverflows', { get: () => outbox.overflows, enumerable: true })
  const subscriptions = new Map<string, () => void>()
  let headerSent = false
  const notices: unknown[] = []

  const shell = createShell({
    stats,
    session,
    limits,
    tail,
    name: opts.name,
    maxMessagesPerSecond: opts.maxMessagesPerSecond,
    turnBudget: opts.turnBudget,
    handshakeTimeoutMs: opts.handshakeTimeoutMs,
    memoryBudget: opts.memoryBudget,
    // Only a grapevine bucket can be the peer: it decodes UTF-8 across chunks.
    ascii: false
  }, {
    fill,
    hasWork: () => outbox.hasWork || notices.length > 0,
    handle: (v) => { inbound.handle(v) },
    onClose,
    settle: (done) => { inbound.admission.settle(done) }
  })
  const stream = shell.stream as BucketStream
  const wake = (): void => { if (shell.waiting) shell.kick() }

  /** Start following `name`: its outbox (unstarted) and its live updates. */
  const follow = (name: string, host: StreamHost): void => {
    outbox.open(name, host)
    subscriptions.set(name, host.subscribe((update, origin) => {
      if (origin === stream || !readable) return
      outbox.offer(name, update)
      wake()
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
  header[NOTICES_FIELD] = 1
  let continued = 0

  const sendAnnounce = (name: string, host: StreamHost, reply: boolean): void => {
    const make = (): unknown => {
      stats.announcesSent++
      return announce(name, host.clock.toJSON(), reply ? 'reply' : 'fresh')
    }
    if (reply) outbox.enqueueReply(name, make)
    else outbox.enqueue(make)
    wake()
  }

  function fill (batch: unknown[]): void {
    if (!headerSent) {
      headerSent = true
      // Stamped when it goes out, so the peer can tell how far our clocks differ.
      batch.push(Object.assign(header, timeHeaderFields(bucket)))
    }
    while (notices.length > 0) batch.push(notices.shift())
    while (continued < split.rest.length && batch.length < batchSize) {
      const [name, clock] = split.rest[continued++] as readonly [string, ClockJSON]
      batch.push(announce(name, clock, 'handshake'))
    }
    if (continued === split.rest.length) stats.updatesSent += outbox.take(batchSize, batch, shell.syncPlaced)
  }

  const inbound = createInbound({
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
    setPeerHeader: (h) => { shell.facts.peerHeader = h },
    onSynced: shell.synced,
    wake: shell.kick,
    fatal: shell.fatal,
    time: timeOptions(opts),
    closeWith: shell.fatalAfterFlush,
    notify: (n) => {
      if (shell.closed) return
      notices.push(n)
      shell.kick()
    },
    warn: (event, err) => { bucket.streamWarning(event, err) }
  })

  const unwatch = bucket.watch({
    add (name, host) {
      if (shell.closed) return
      follow(name, host)
      sendAnnounce(name, host, false)
    },
    remove (name) {
      if (shell.closed) return
      unfollow(name)
      outbox.enqueue(() => [name, DROP])
      wake()
    }
  })
  const untrack = bucket.track(shell.shutdown)
  function onClose (): void {
    inbound.admission.close()
    unwatch()
    untrack()
    for (const name of [...subscriptions.keys()]) unfollow(name)
  }
  return stream
}
