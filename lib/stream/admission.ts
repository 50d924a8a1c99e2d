import type { EventEmitter } from 'node:events'
import { GrapevineError } from '../errors/grapevine-error'
import type { StreamHost } from '../replica/host'
import { type Held, HoldQueue } from '../session/hold-queue'
import type { Update } from '../wire/types'
import type { StreamStats } from './stats'

/** What the admission of a stream's incoming updates needs from the stream. */
export interface AdmissionContext {
  readonly stats: StreamStats
  /** The stream: events go on it, and it is the origin of what it applies. */
  readonly stream: EventEmitter
  /** Most sources new to a replica accepted from this stream. */
  readonly maxSources: number
  /** Most updates held for clock drift before the stream gives up. */
  readonly maxHeld: number
  /** Longest wait worth holding an update for; a later one ends the stream. */
  readonly holdMs: number
  /** Longest pause between two retries of held updates (a wall clock may be fixed meanwhile). */
  readonly retryMs: number
  /** A rejection for good (counts toward strict / maxInvalid). */
  reject (err: GrapevineError): void
  /** Send what is queued, then end the stream with this error. */
  closeWith (err: GrapevineError): void
  /** The peer has this update (it sent it): never echo it. */
  peerHas (update: Update, name: string | undefined): void
  /** Tell the peer that one of its updates was refused (if it reads notices). */
  notify (notice: Record<string, unknown>): void
}

interface Item extends Held {
  readonly host: StreamHost
  readonly name: string | undefined
}

/** The incoming side of a stream's acceptance: sources cap, drift holds, retries. */
export interface Admission {
  /** Offer one update from the peer (shape already checked) to `host`. */
  offer (host: StreamHost, update: Update, name?: string): void
  /** Call `done` once nothing is held (at once if nothing is). */
  settle (done: () => void): void
  /** The stream closed: drop what is held (the peer still has it; our clock never claimed it). */
  close (): void
}

/**
 * Admission of a peer's updates on one stream. An update refused for clock
 * drift may become acceptable later (our clock is slow, or the writer's
 * fast), so it is held, with every later update of its source behind it,
 * and retried until it applies: the vector clock then only ever advances
 * over a gap-free prefix, and nothing refused this way is lost. One too far
 * ahead to be worth holding, or more than `maxHeld` held, ends the stream
 * with ERR_CLOCK_DRIFT: our clock never claimed those updates, so a
 * reconnect resends them.
 */
export function createAdmission (ctx: AdmissionContext): Admission {
  const held = new HoldQueue<Item>(ctx.maxHeld)
  let newSources = 0
  let timer: NodeJS.Timeout | undefined
  let closed = false
  let waiters: Array<() => void> = []

  const keyOf = (update: Update, name: string | undefined): string =>
    name === undefined ? update[2] : `${name}\u0000${update[2]}`

  const wait = (item: Item): number => item.update[1] - item.host.maxDriftMs - item.host.wallNow()

  const giveUp = (err: GrapevineError, item: Item): void => {
    ctx.notify(notice(err, item, false))
    ctx.closeWith(err)
    closed = true
  }

  /**
   * One try; true when done with, false when it must (stay) held. `item` is
   * the held entry on a retry, and undefined on the first try: most updates
   * apply at once, so the entry is only made when one must be held.
   */
  const attempt = (host: StreamHost, update: Update, name: string | undefined, item: Item | undefined): boolean => {
    const isNew = host.clock.get(update[2]) === 0
    if (isNew && newSources >= ctx.maxSources) {
      ctx.reject(new GrapevineError('ERR_TOO_MANY_SOURCES', `peer sent updates from more than ${ctx.maxSources} new sources`, { source: update[2] }))
      return true
    }
    const r = host.receive(update, ctx.stream)
    if (r.status === 'rejected') {
      if (r.error.code !== 'ERR_CLOCK_DRIFT') {
        ctx.reject(r.error)
        return true
      }
      const entry = item ?? { host, update, name }
      const ms = wait(entry)
      if (ms > ctx.holdMs) {
        giveUp(new GrapevineError('ERR_CLOCK_DRIFT', `timestamp is ${Math.round(ms + host.maxDriftMs)} ms ahead of the local clock, too far ahead to hold; ending the stream so a reconnect resends it`, { source: update[2], ts: update[1], name, held: false }), entry)
        return false
      }
      if (item === undefined) startHolding(entry, r.error)
      return false
    }
    if (isNew && r.status === 'applied') newSources++
    if (r.status === 'old') ctx.stats.oldDropped++
    else ctx.stats.updatesApplied++
    ctx.peerHas(update, name)
    return true
  }

  const startHolding = (item: Item, cause: GrapevineError): void => {
    if (!held.hold(keyOf(item.update, item.name), item)) return overflow(item)
    ctx.stats.held = held.size
    const err = new GrapevineError('ERR_CLOCK_DRIFT', `${cause.message}: held until our clock allows it, with every later update of its source`, { source: item.update[2], ts: item.update[1], name: item.name, held: true, waitMs: Math.max(0, Math.ceil(wait(item))) })
    ctx.stream.emit('held', err)
    item.host.streamWarning('held', err)
    ctx.notify(notice(err, item, true))
    schedule()
  }

  const overflow = (item: Item): void => {
    giveUp(new GrapevineError('ERR_CLOCK_DRIFT', `more than ${ctx.maxHeld} updates held for clock drift; ending the stream so a reconnect resends them`, { source: item.update[2], ts: item.update[1], name: item.name, held: false }), item)
  }

  const schedule = (): void => {
    if (timer !== undefined || closed || held.size === 0) return
    let soonest = Infinity
    for (const h of held.heads()) soonest = Math.min(soonest, wait(h))
    const delay = Math.min(ctx.retryMs, Math.max(1, Math.ceil(soonest) + 1))
    timer = setTimeout(retry, delay)
    // Held updates are not ours to keep the process alive for: the peer has them.
    timer.unref()
  }

  const retry = (): void => {
    timer = undefined
    if (closed) return
    held.drain((item) => (closed ? undefined : attempt(item.host, item.update, item.name, item)))
    ctx.stats.held = held.size
    if (closed) return
    if (held.size === 0) {
      const w = waiters
      waiters = []
      for (const done of w) done()
    }
    schedule()
  }

  return {
    offer (host, update, name) {
      if (closed) return
      ctx.stats.updatesReceived++
      if (held.size > 0) {
        const key = keyOf(update, name)
        if (held.blocks(key)) {
          // Behind a held update of the same source: wait with it, in order.
          const item: Item = { host, update, name }
          if (!held.hold(key, item)) return overflow(item)
          ctx.stats.held = held.size
          ctx.peerHas(update, name)
          return
        }
      }
      if (!attempt(host, update, name, undefined) && !closed) ctx.peerHas(update, name)
    },
    settle (done) {
      if (held.size === 0 || closed) done()
      else waiters.push(done)
    },
    close () {
      closed = true
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
      held.clear()
      waiters = []
    }
  }
}

function notice (err: GrapevineError, item: Item, isHeld: boolean): Record<string, unknown> {
  const n: Record<string, unknown> = {
    notice: 'refused',
    code: err.code,
    source: item.update[2],
    ts: item.update[1],
    held: isHeld,
    now: Math.round(item.host.wallNow())
  }
  if (item.name !== undefined) n.name = item.name
  return n
}
