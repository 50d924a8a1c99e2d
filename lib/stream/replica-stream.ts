import { VectorClock } from '../clock/vector-clock'
import { GrapevineError } from '../errors/grapevine-error'
import type { StreamHost } from '../replica/host'
import { Outbox } from '../session/outbox'
import { Session } from '../session/session'
import { DEFAULT_LIMITS } from '../wire/line-decoder'
import { decodeMessage } from '../wire/messages'
import type { Update } from '../wire/types'
import { BINARY_CODEC, DEFAULT_CODECS } from '../wire/binary-frames'
import type { ReplicaStream, StreamOptions } from './options'
import { emptyStats } from './stats'
import { createShell } from './shell'
import { createAdmission } from './admission'
import { checkSkew, refusedWarning, timeHeaderFields, type TimeOptions, timeOptions } from './time-facts'
import { NOTICES_FIELD, REPLICA_PROTO, readsNotices } from '../wire/notice'

export type { ReplicaStream, StreamOptions } from './options'

/** Refusal notices from one peer the replica is told of; later ones are only counted. */
const MAX_NOTICES_REPORTED = 64

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
  const batchSize = opts.batchSize ?? 256
  const maxInvalid = opts.maxInvalid ?? 1000
  const maxSources = opts.maxSources ?? 100_000
  const stats = emptyStats()
  const session = new Session({ readable, writable })
  const outbox = new Outbox(host, { maxQueue: opts.maxQueue, maxQueueBytes: opts.maxQueueBytes })
  const time: TimeOptions = timeOptions(opts)
  let headerSent = false
  let sentEmptySync = false
  let peerReadsNotices = false
  const notices: unknown[] = []

  const header: Record<string, unknown> = { ...opts.headerFields, id: host.id, clock: host.clock.toJSON(), proto: REPLICA_PROTO }
  if (opts.meta !== undefined) header.meta = opts.meta
  // Binary frames only when both headers offer them; until then, JSON lines.
  // A dump (startClock) is read later, by anyone: no clock reading, no notices.
  const isDump = opts.startClock !== undefined
  if (!isDump) header[NOTICES_FIELD] = 1
  const offersBinary = (opts.codecs ?? (isDump ? [] : DEFAULT_CODECS)).includes(BINARY_CODEC)
  if (offersBinary) header.codecs = [BINARY_CODEC]
  let switchToBinary = false

  const shell = createShell({
    stats,
    session,
    limits: {
      maxLineBytes: opts.maxLineBytes ?? DEFAULT_LIMITS.maxLineBytes,
      maxDepth: opts.maxDepth ?? DEFAULT_LIMITS.maxDepth
    },
    tail: opts.tail !== false,
    name: opts.name,
    maxMessagesPerSecond: opts.maxMessagesPerSecond,
    turnBudget: opts.turnBudget,
    handshakeTimeoutMs: opts.handshakeTimeoutMs,
    memoryBudget: opts.memoryBudget,
    binary: offersBinary,
    maxSources
  }, { fill, hasWork: () => outbox.hasWork || notices.length > 0, handle, onClose, settle: (done) => admission.settle(done) })
  const stream = shell.stream as ReplicaStream
  const facts = shell.facts

  function fill (batch: unknown[]): void {
    if (!headerSent) {
      headerSent = true
      // Stamped when it goes out, so the peer can tell how far our clocks differ.
      batch.push(isDump ? header : Object.assign(header, timeHeaderFields(host)))
    }
    while (notices.length > 0) batch.push(notices.shift())
    if (switchToBinary) {
      // Announce the switch as a JSON line: the encoder writes binary after it.
      switchToBinary = false
      batch.push(BINARY_CODEC)
    }
    if (readable) {
      stats.updatesSent += outbox.take(batchSize, batch as Array<Update | 'SYNC'>, shell.syncPlaced)
    } else if (outbox.isStarted && !sentEmptySync) {
      // Write-only: nothing to send but the end of an empty history.
      sentEmptySync = true
      batch.push('SYNC')
      shell.syncPlaced()
    }
  }

  function handle (value: unknown): void {
    const msg = decodeMessage(value, maxSources)
    if (msg instanceof GrapevineError) {
      if (msg.code === 'ERR_INVALID_UPDATE') return reject(msg)
      return shell.fatal(msg)
    }
    const step = session.receive(msg)
    switch (step.type) {
      case 'start': {
        const h = step.header
        facts.peerHeader = h.header
        const mine = h.clock.get(host.id)
        if (mine > host.clock.get(host.id)) host.observeOwnClock(mine)
        peerReadsNotices = readsNotices(h.header)
        if (h.header.proto === REPLICA_PROTO) shell.rawUtf8()
        stream.emit('header', h.header)
        const skew = checkSkew(h.header, host, time.skewWarnMs)
        if (skew !== undefined) {
          stream.emit('skew', skew)
          host.streamWarning('skew', skew)
        }
        const peerCodecs: unknown = h.header.codecs
        if (offersBinary && Array.isArray(peerCodecs) && peerCodecs.includes(BINARY_CODEC)) switchToBinary = true
        if (readable) outbox.start(h.clock)
        else outbox.start(new VectorClock())
        shell.kick()
        return
      }
      case 'apply':
        return admission.offer(host, step.update)
      case 'notice': {
        stats.noticesReceived++
        const warning = refusedWarning(step.notice, facts.peerHeader)
        stream.emit('refused', warning)
        // A hostile peer could send a flood: the replica hears the first few.
        if (stats.noticesReceived <= MAX_NOTICES_REPORTED) host.streamWarning('refused', warning)
        return
      }
      case 'synced':
        stream.emit('syncReceived')
        return shell.synced()
      case 'fail':
        return shell.fatal(step.error)
      case 'skip':
        if (msg.kind === 'sync') stream.emit('syncReceived')
    }
  }

  const admission = createAdmission({
    stats,
    stream,
    maxSources,
    ...time,
    reject,
    closeWith: shell.fatalAfterFlush,
    peerHas: (u) => { outbox.peerHas(u) },
    notify: (n) => {
      if (!peerReadsNotices || shell.closed) return
      notices.push(n)
      shell.kick()
    }
  })

  function reject (err: GrapevineError): void {
    stats.rejected++
    stream.emit('invalid', err)
    if (opts.strict === true) shell.fatal(err)
    else if (stats.rejected > maxInvalid) {
      shell.fatal(new GrapevineError('ERR_TOO_MANY_INVALID', `peer sent more than ${maxInvalid} rejected updates`, { last: err.code }))
    }
  }

  const unsubscribe = host.subscribe((update, origin) => {
    if (origin === stream || !readable) return
    outbox.offer(update)
    stats.queueOverflows = outbox.overflows
    if (!shell.waiting) return
    if (origin === undefined) shell.kick()
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
      shell.kick()
    })
  }
  const untrack = host.track(shell.shutdown)
  function onClose (): void {
    admission.close()
    unsubscribe()
    untrack()
  }

  if (opts.startClock !== undefined) {
    outbox.start(VectorClock.fromJSON(opts.startClock))
  }
  return stream
}
