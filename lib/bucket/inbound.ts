import type { EventEmitter } from 'node:events'
import { GrapevineError } from '../errors/grapevine-error'
import type { ReplicaWarning, StreamHost } from '../replica/host'
import { type Admission, createAdmission } from '../stream/admission'
import { type TimeOptions, checkSkew, refusedWarning } from '../stream/time-facts'
import { readsNotices } from '../wire/notice'
import type { Session } from '../session/session'
import type { Header } from '../wire/types'
import { type BucketDecodeLimits, type BucketMessage, decodeBucketMessage } from './messages'
import type { BucketOutbox } from './outboxes'
import type { BucketStreamHost, BucketStreamStats } from './types'

/** What the inbound side needs from its stream shell. */
export interface InboundContext {
  readonly bucket: BucketStreamHost
  readonly session: Session
  readonly outbox: BucketOutbox
  readonly stats: BucketStreamStats
  /** The stream: events are emitted on it, and it is the origin of what it applies. */
  readonly stream: EventEmitter
  readonly readable: boolean
  readonly limits: BucketDecodeLimits
  readonly strict: boolean
  readonly maxInvalid: number
  /** Start following a name (its outbox and live updates). */
  follow (name: string, host: StreamHost): void
  /** Stop following a name. */
  unfollow (name: string): void
  /** Queue our reply announce for a name. */
  reply (name: string, host: StreamHost): void
  setPeerHeader (header: Header): void
  /** The session reached 'synced'. */
  onSynced (): void
  /** Something may be ready to send. */
  wake (): void
  /** Destroy the stream with this error. */
  fatal (err: Error): void
  /** Holding updates refused for clock drift, and skew warnings. */
  readonly time: TimeOptions
  /** Send what is queued, then end the stream with this error. */
  closeWith (err: GrapevineError): void
  /** Queue a notice for the peer (only called when the peer reads notices). */
  notify (notice: Record<string, unknown>): void
  /** A coded warning for the bucket (and its listeners). */
  warn (event: ReplicaWarning, err: GrapevineError): void
}

/** The inbound half: the message handler and the admission it feeds. */
export interface Inbound {
  readonly handle: (value: unknown) => void
  readonly admission: Admission
}

/**
 * The inbound half of a bucket stream: what to do with each value the
 * peer sent (docs/bucket.md sections 3 to 5). Returns the handler.
 */
export function createInbound (ctx: InboundContext): Inbound {
  let peerHeader: Header | undefined
  let peerReadsNotices = false

  const onHeader = (msg: Extract<BucketMessage, { kind: 'header' }>): void => {
    const step = ctx.session.receive(msg.header)
    if (step.type === 'fail') return ctx.fatal(step.error)
    peerHeader = msg.header.header
    ctx.setPeerHeader(peerHeader)
    peerReadsNotices = readsNotices(peerHeader)
    ctx.stream.emit('header', msg.header.header)
    const first = ctx.bucket.entries()[Symbol.iterator]().next()
    const drift = first.done === true ? 60_000 : first.value[1].maxDriftMs
    const skew = checkSkew(peerHeader, { wallNow: () => ctx.bucket.wallNow(), maxDriftMs: drift }, ctx.time.skewWarnMs)
    if (skew !== undefined) {
      ctx.stream.emit('skew', skew)
      ctx.warn('skew', skew)
    }
    for (const [name, clock] of msg.buckets) {
      const host = ctx.bucket.get(name)
      if (host === undefined) {
        unknown(name)
        continue
      }
      protectOwnClock(host, clock.get(host.id))
    }
    ctx.outbox.startHandshake(ctx.readable ? msg.buckets : new Map(), msg.more)
    ctx.wake()
  }

  const onUpdate = (msg: Extract<BucketMessage, { kind: 'update' }>): void => {
    const step = ctx.session.receive({ kind: 'update', update: msg.update })
    if (step.type === 'fail') return ctx.fatal(step.error)
    if (step.type !== 'apply') return
    const host = ctx.bucket.get(msg.name)
    if (host === undefined) return unknown(msg.name)
    admission.offer(host, msg.update, msg.name)
  }

  const onGlobalSync = (): void => {
    const step = ctx.session.receive({ kind: 'sync' })
    if (step.type === 'fail') return ctx.fatal(step.error)
    ctx.stream.emit('syncReceived')
    if (step.type === 'synced') ctx.onSynced()
  }

  const onAnnounce = (msg: Extract<BucketMessage, { kind: 'announce' }>): void => {
    if (!ctx.session.started) return ctx.fatal(new GrapevineError('ERR_PROTOCOL', 'announce before header'))
    ctx.stats.announcesReceived++
    const host = ctx.bucket.get(msg.name)
    if (msg.handshake) {
      // The rest of the peer's header: exactly `more` of these, right after it.
      const ok = ctx.outbox.continueHandshake(host !== undefined && ctx.readable ? msg.name : undefined, msg.clock)
      if (!ok) return ctx.fatal(new GrapevineError('ERR_PROTOCOL', 'handshake announce past the count in the header', { name: msg.name }))
      if (host === undefined) unknown(msg.name)
      else protectOwnClock(host, msg.clock.get(host.id))
      // The last one may complete the handshake, making "SYNC" due.
      ctx.wake()
      return
    }
    if (host === undefined) return unknown(msg.name)
    protectOwnClock(host, msg.clock.get(host.id))
    if (ctx.readable) ctx.outbox.startLate(msg.name, host, msg.clock)
    // A fresh announce means the peer ignored our clock for this name (it did
    // not hold it yet): answer with ours. A reply is never answered.
    if (!msg.reply) ctx.reply(msg.name, host)
    ctx.wake()
  }

  const protectOwnClock = (host: StreamHost, mine: number): void => {
    if (mine > host.clock.get(host.id)) host.observeOwnClock(mine)
  }

  const unknown = (name: string): void => {
    ctx.stats.unknown++
    ctx.stream.emit('unknown', name)
  }

  const reject = (err: GrapevineError): void => {
    ctx.stats.rejected++
    ctx.stream.emit('invalid', err)
    if (ctx.strict) ctx.fatal(err)
    else if (ctx.stats.rejected > ctx.maxInvalid) {
      ctx.fatal(new GrapevineError('ERR_TOO_MANY_INVALID', `peer sent more than ${ctx.maxInvalid} rejected messages`, { last: err.code }))
    }
  }

  const admission = createAdmission({
    stats: ctx.stats,
    stream: ctx.stream,
    maxSources: ctx.limits.maxSources,
    ...ctx.time,
    reject,
    closeWith: ctx.closeWith,
    peerHas: (u, name) => { if (name !== undefined) ctx.outbox.peerHas(name, u) },
    notify: (n) => { if (peerReadsNotices) ctx.notify(n) }
  })

  const handle = (value: unknown): void => {
    const msg = decodeBucketMessage(value, ctx.limits)
    if (msg instanceof GrapevineError) {
      if (msg.code === 'ERR_INVALID_UPDATE') return reject(msg)
      return ctx.fatal(msg)
    }
    switch (msg.kind) {
      case 'header': return onHeader(msg)
      case 'update': return onUpdate(msg)
      case 'sync':
        if (msg.name === undefined) return onGlobalSync()
        if (!ctx.session.started) return ctx.fatal(new GrapevineError('ERR_PROTOCOL', 'SYNC before header'))
        if (ctx.bucket.get(msg.name) === undefined) return unknown(msg.name)
        ctx.stream.emit('replicaSynced', msg.name)
        return
      case 'announce': return onAnnounce(msg)
      case 'drop':
        if (!ctx.session.started) return ctx.fatal(new GrapevineError('ERR_PROTOCOL', 'DROP before header'))
        // The peer no longer holds it: stop sending, but keep following in
        // case it comes back (a fresh announce restarts it).
        if (ctx.bucket.get(msg.name) === undefined) return unknown(msg.name)
        ctx.unfollow(msg.name)
        ctx.follow(msg.name, ctx.bucket.get(msg.name) as StreamHost)
        ctx.stream.emit('drop', msg.name)
        return
      case 'notice': {
        if (!ctx.session.started) return
        ctx.stats.noticesReceived++
        const warning = refusedWarning(msg.notice, peerHeader)
        ctx.stream.emit('refused', warning)
        if (ctx.stats.noticesReceived <= 64) ctx.warn('refused', warning)
        return
      }
      case 'ignored':
    }
  }
  return { handle, admission }
}
