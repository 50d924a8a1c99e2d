import { Readable, Writable } from 'node:stream'
import duplexify from 'duplexify'
import { VectorClock } from '../clock/vector-clock'
import { GrapevineError } from '../errors/grapevine-error'
import type { ReceiveResult, StreamHost } from '../replica/host'
import { Outbox } from '../session/outbox'
import { Session } from '../session/session'
import { DEFAULT_LIMITS } from '../wire/line-decoder'
import { decodeMessage } from '../wire/messages'
import type { Update } from '../wire/types'
import { BINARY_CODEC } from '../wire/binary-frames'
import { createDecoder, createEncoder, type OutBatch } from './codec'
import type { ReplicaStream, StreamOptions } from './options'
import { emptyStats } from './stats'
import { TokenBucket } from '../limits/token-bucket'

export type { ReplicaStream, StreamOptions } from './options'

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/**
 * Build the protocol-v1 duplex for a replica: a decoder (bytes to values)
 * and an encoder (message batches to bytes), both through2 transforms,
 * joined by duplexify. The session state machine and the outbox decide what
 * happens; this function only wires them to streams.
 *
 * Events: 'header' (header), 'synced' and 'sync' (once), 'invalid' (err) for
 * each rejected update, 'error' (err) once if destroyed by a fault, 'close'.
 */
export function createReplicaStream (host: StreamHost, opts: StreamOptions = {}): ReplicaStream {
  const readable = opts.readable !== false
  const writable = opts.writable !== false
  const tail = opts.tail !== false
  const batchSize = opts.batchSize ?? 256
  const maxInvalid = opts.maxInvalid ?? 1000
  const maxSources = opts.maxSources ?? 100_000
  const limits = {
    maxLineBytes: opts.maxLineBytes ?? DEFAULT_LIMITS.maxLineBytes,
    maxDepth: opts.maxDepth ?? DEFAULT_LIMITS.maxDepth
  }
  const stats = emptyStats()
  const session = new Session({ readable, writable })
  const outbox = new Outbox(host, { maxQueue: opts.maxQueue, maxQueueBytes: opts.maxQueueBytes })
  const bucket = opts.maxMessagesPerSecond !== undefined ? new TokenBucket(opts.maxMessagesPerSecond) : undefined
  let newSources = 0
  let headerSent = false
  let ending = false
  let waiting = false
  let closed = false

  const header: Record<string, unknown> = { ...opts.headerFields, id: host.id, clock: host.clock.toJSON() }
  if (opts.meta !== undefined) header.meta = opts.meta
  // Binary frames only when both headers offer them; until then, JSON lines.
  const offersBinary = opts.codecs?.includes(BINARY_CODEC) === true
  if (offersBinary) header.codecs = [BINARY_CODEC]
  let switchToBinary = false

  const fill = (): void => {
    if (closed || ending) return
    const batch: Array<unknown> = []
    if (!headerSent) {
      headerSent = true
      batch.push(header)
    }
    if (switchToBinary) {
      // Announce the switch as a JSON line: the encoder writes binary after it.
      switchToBinary = false
      batch.push(BINARY_CODEC)
    }
    if (readable) {
      stats.updatesSent += outbox.take(batchSize, batch as Array<Update | 'SYNC'>, onSyncPlaced)
    } else if (outbox.isStarted && !sentEmptySync) {
      // Write-only: nothing to send but the end of an empty history.
      sentEmptySync = true
      batch.push('SYNC')
      onSyncPlaced()
    }
    if (batch.length === 0) {
      waiting = true
      return
    }
    waiting = false
    if (!out.push(batch as OutBatch)) return
    // push() may call read() again synchronously; otherwise keep filling.
    if (!waiting && (outbox.hasWork || readyToEnd)) queueMicrotask(kick)
  }
  let sentEmptySync = false
  let readyToEnd = false

  const out = new Readable({
    objectMode: true,
    highWaterMark: 2,
    read () { fill() }
  })
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
      const step = session.sentSync()
      if (step.type === 'synced') onSynced()
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

  const encoder = createEncoder((n) => { stats.bytesSent += n }, offersBinary)
  const decoder = createDecoder(limits, (n) => { stats.bytesReceived += n }, (err) => fatal(err), offersBinary, maxSources)
  const sink = new Writable({
    objectMode: true,
    write (values: unknown[], _enc, cb) {
      let i = 0
      const run = (): void => {
        while (i < values.length && !closed) {
          // Rate limit: hold the callback, so the decoder and the socket back up.
          const wait = bucket !== undefined ? bucket.take() : 0
          if (wait > 0) {
            stats.throttled++
            setTimeout(run, wait)
            return
          }
          handle(values[i++])
        }
        cb()
      }
      run()
    },
    final (cb) {
      // The peer ended its side: finish ours once everything queued is out.
      endOutgoing()
      cb()
    }
  })
  decoder.pipe(sink)
  out.pipe(encoder)

  const stream = duplexify(decoder, encoder) as unknown as ReplicaStream
  const s = stream as unknown as Mutable<Pick<ReplicaStream, 'stats' | 'peerHeader' | 'synced' | 'error' | 'name'>>
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

  // Always one listener, so a fault on an unwatched stream cannot crash
  // the process; the error stays readable as `stream.error`.
  stream.on('error', (err: Error) => { if (s.error === undefined) s.error = err })

  const handle = (value: unknown): void => {
    const msg = decodeMessage(value, maxSources)
    if (msg instanceof GrapevineError) {
      if (msg.code === 'ERR_INVALID_UPDATE') return reject(msg)
      return fatal(msg)
    }
    const step = session.receive(msg)
    switch (step.type) {
      case 'start': {
        const h = step.header
        s.peerHeader = h.header
        const mine = h.clock.get(host.id)
        if (mine > host.clock.get(host.id)) host.observeOwnClock(mine)
        stream.emit('header', h.header)
        const peerCodecs: unknown = h.header.codecs
        if (offersBinary && Array.isArray(peerCodecs) && peerCodecs.includes(BINARY_CODEC)) switchToBinary = true
        if (readable) outbox.start(h.clock)
        else outbox.start(new VectorClock())
        kick()
        return
      }
      case 'apply': {
        const u = step.update
        stats.updatesReceived++
        const isNew = host.clock.get(u[2]) === 0
        if (isNew && newSources >= maxSources) {
          return reject(new GrapevineError('ERR_TOO_MANY_SOURCES', `peer sent updates from more than ${maxSources} new sources`, { source: u[2] }))
        }
        let r: ReceiveResult
        try {
          r = host.receive(u, stream)
        } catch (err) {
          // A listener of the data type threw: that is the application's
          // fault, not the peer's; surface it on this stream, keep the process.
          const e = new GrapevineError('ERR_LISTENER', `a listener threw while applying a peer update: ${err instanceof Error ? err.message : String(err)}`)
          Object.defineProperty(e, 'cause', { value: err })
          return fatal(e)
        }
        if (isNew && r.status === 'applied') newSources++
        if (r.status === 'rejected') return reject(r.error)
        if (r.status === 'old') stats.oldDropped++
        else stats.updatesApplied++
        outbox.peerHas(u)
        return
      }
      case 'synced':
        stream.emit('syncReceived')
        return onSynced()
      case 'fail':
        return fatal(step.error)
      case 'skip':
        if (msg.kind === 'sync') stream.emit('syncReceived')
    }
  }

  const reject = (err: GrapevineError): void => {
    stats.rejected++
    stream.emit('invalid', err)
    if (opts.strict === true) fatal(err)
    else if (stats.rejected > maxInvalid) {
      fatal(new GrapevineError('ERR_TOO_MANY_INVALID', `peer sent more than ${maxInvalid} rejected updates`, { last: err.code }))
    }
  }

  const unsubscribe = host.subscribe((update, origin) => {
    if (origin === stream || !readable) return
    outbox.offer(update)
    stats.queueOverflows = outbox.overflows
    if (!waiting) return
    if (origin === undefined) kick()
    else relayLater()
  })
  // An update relayed from another stream waits one turn of the event loop:
  // by then this peer may have sent it to us itself, and it is not echoed.
  let relayScheduled = false
  const relayLater = (): void => {
    if (relayScheduled) return
    relayScheduled = true
    setImmediate(() => {
      relayScheduled = false
      kick()
    })
  }
  const untrack = host.track(() => {
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
    unsubscribe()
    untrack()
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

  if (opts.startClock !== undefined) {
    outbox.start(VectorClock.fromJSON(opts.startClock))
  }
  return stream
}
