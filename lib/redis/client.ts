import { EventEmitter } from 'node:events'
import { VectorClock } from '../clock/vector-clock'
import { GrapevineError, invalidArgument } from '../errors/grapevine-error'
import { Dialer, type DialerOptions } from '../net/dialer'
import type { Link } from '../net/link'
import { type NetOptions, dial } from '../net/serve'
import type { Streamable } from '../stream/connect'
import type { StreamHost } from '../replica/host'
import type { ClockJSON, SourceId, Update } from '../wire/types'
import { RELAY_HEADER, RELAY_TAG, decodeNotice } from './notices'

/** Options of `connectRelays()`. */
export interface RelayClientOptions extends NetOptions, DialerOptions {
  /** Picks the first relay to try (then the next, round robin). Default `Math.random`. */
  random?: () => number
}

/**
 * A replica (or Bucket) kept connected to one of several relays at a
 * time: a Dialer whose every attempt goes to the next address, starting
 * at a random one so clients spread over the relays. When a relay dies or
 * refuses a write, the next attempt goes to another relay, and the
 * handshake sends it exactly what it is missing. It also collects the
 * relays' acknowledgements: `durable` says, per document and source, up to
 * which timestamp the writes are in Redis.
 *
 * Events: 'connect' (address, link), 'disconnect' (address, err),
 * 'durable' (doc, clock) with doc '' for a single-document relay,
 * 'backend' (up, code) when the relay's Redis goes down or comes back, and
 * the Dialer's 'fail' and 'retry'.
 */
export class RelayClient extends EventEmitter {
  readonly dialer: Dialer<Link>
  /** The relay connected now, if any. */
  address: string | undefined
  private readonly acked = new Map<string, VectorClock>()
  private next: number

  constructor (target: Streamable, readonly addresses: readonly string[], opts: RelayClientOptions = {}) {
    super()
    if (addresses.length === 0) invalidArgument('connectRelays needs at least one address')
    this.next = Math.floor((opts.random ?? Math.random)() * addresses.length) % addresses.length
    this.dialer = new Dialer(() => {
      const addr = this.addresses[this.next] as string
      this.next = (this.next + 1) % this.addresses.length
      return dial(target, addr, { ...opts, sideTag: RELAY_TAG, onSideLine: (text) => this.notice(text) }).then((l) => {
        this.address = addr
        this.emit('connect', addr, l)
        void l.closed.then(() => {
          if (this.address === addr) this.address = undefined
          this.emit('disconnect', addr, l.error)
        })
        return l
      })
    }, opts)
    this.dialer.on('fail', (err: Error) => this.emit('fail', err))
    this.dialer.on('retry', (ms: number, n: number) => this.emit('retry', ms, n))
  }

  /** The link up now, if any. */
  get link (): Link | undefined {
    return this.dialer.current
  }

  /** Per source, up to which timestamp the relays said the writes of `doc` are in Redis ('' for a single document). */
  durable (doc = ''): ClockJSON {
    return this.acked.get(doc)?.toJSON() ?? {}
  }

  /** True once a relay said `update` (of `doc`) is in Redis. */
  isDurable (update: Update, doc = ''): boolean {
    const c = this.acked.get(doc)
    return c !== undefined && !c.isNewer(update[2], update[1])
  }

  /** Stop for good and close the connection. */
  close (): void {
    this.dialer.close()
  }

  private notice (text: string): void {
    const n = decodeNotice(text)
    if (n === undefined) return
    if (n.kind === 'backend') {
      this.emit('backend', n.up, n.code)
      return
    }
    const doc = n.doc ?? ''
    let c = this.acked.get(doc)
    if (c === undefined) this.acked.set(doc, c = new VectorClock())
    for (const [source, ts] of Object.entries(n.clock)) c.advance(source as SourceId, ts as Update[1])
    this.emit('durable', doc, n.clock)
  }
}

/** Keep `target` connected to one of `addresses` at a time (see RelayClient). */
export function connectRelays (target: Streamable, addresses: readonly string[], opts: RelayClientOptions = {}): RelayClient {
  return new RelayClient(target, addresses, opts)
}

/** True when a stream header comes from a Redis relay. */
export function isRelayHeader (header: unknown): boolean {
  return header !== null && typeof header === 'object' && (header as Record<string, unknown>)[RELAY_HEADER] === 1
}

/**
 * Dial a single-document Redis relay, send it what it lacks, and resolve
 * once it said this replica's own writes (up to its latest) are in Redis;
 * then close. Rejects with ERR_BACKEND if the relay closes first (it
 * refused the write: Redis is down) or ERR_TIMEOUT after `timeoutMs`.
 */
export async function syncDurable (replica: Streamable & Pick<StreamHost, 'id' | 'clock'>, address: string, opts: NetOptions & { timeoutMs?: number } = {}): Promise<Link> {
  const want = replica.clock.get(replica.id)
  let ok: () => void = () => {}
  const acked = new Promise<void>((resolve) => { ok = resolve })
  const covers = (clock: unknown): boolean => clock !== null && typeof clock === 'object' && Number((clock as Record<string, unknown>)[replica.id] ?? 0) >= want
  const l = await dial(replica, address, {
    ...opts,
    sideTag: RELAY_TAG,
    onSideLine: (text) => {
      const n = decodeNotice(text)
      if (n?.kind === 'ack' && covers(n.clock)) ok()
    }
  })
  // Nothing to send when the relay's clock already covers our writes: its header is the proof.
  const fromHeader = (h: unknown): void => { if (covers((h as { clock?: unknown } | undefined)?.clock)) ok() }
  if (l.stream.peerHeader !== undefined) fromHeader(l.stream.peerHeader)
  else l.stream.once('header', fromHeader)
  let timer: NodeJS.Timeout | undefined
  const failed = new Promise<never>((_resolve, reject) => {
    void l.closed.then(() => reject(new GrapevineError('ERR_BACKEND', `${address} closed before it confirmed the write is in Redis${l.error !== undefined ? `: ${l.error.message}` : ''}`)))
    timer = setTimeout(() => reject(new GrapevineError('ERR_TIMEOUT', `${address} did not confirm the write within ${opts.timeoutMs ?? 10_000} ms`)), opts.timeoutMs ?? 10_000)
  })
  try {
    await Promise.race([acked, failed])
  } finally {
    clearTimeout(timer)
    l.close()
    await l.closed
  }
  return l
}
