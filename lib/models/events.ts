import { EventEmitter } from 'node:events'
import { VectorClock } from '../clock/vector-clock'
import { invalidArgument } from '../errors/grapevine-error'
import { Replica, type ReplicaOptions } from '../replica/replica'
import { UpdateLog } from '../replica/update-log'
import type { Update } from '../wire/types'

/** An Events change: `[eventName, ...args]`. */
export type EventsChange = readonly [name: string, ...args: unknown[]]

/** Options of `new Events()`; see ReplicaOptions. */
export type EventsOptions = ReplicaOptions

/** A listener of replicated events. */
export type EventListener = (...args: unknown[]) => void

function isEventsChange (c: unknown): c is EventsChange {
  return Array.isArray(c) && c.length >= 1 && typeof c[0] === 'string'
}

/**
 * A replicated, reliable event log, wire-compatible with
 * `scuttlebutt/events` (`change = [eventName, ...args]`). `emit` records an
 * event everywhere; `on` listens to events from every replica, each
 * delivered once. Event names are plain data: `error`, `close`, `dispose`
 * or `__proto__` from a peer trigger nothing but their listeners.
 *
 * Lifecycle events of the replica itself ('update', 'stream', 'dispose')
 * are emitted on `events.lifecycle`, never mixed with user events.
 */
export class Events extends Replica {
  /** Lifecycle events of this replica (the namespace of `on` is user data). */
  readonly lifecycle = new EventEmitter()
  private readonly handlers = new Map<string, EventListener[]>()
  /** Every event, per source in timestamp order. */
  private readonly log = new UpdateLog<Update<EventsChange>>()

  constructor (opts: EventsOptions | string = {}) {
    super(opts)
  }

  /** Record an event on every replica; local listeners fire at once. */
  override emit (name: string, ...args: unknown[]): boolean {
    if (typeof name !== 'string') invalidArgument('event name must be a string')
    this.localUpdate([name, ...args])
    return true
  }

  /** Listen to a replicated event. */
  override on (name: string, listener: EventListener): this {
    const list = this.handlers.get(name)
    if (list === undefined) this.handlers.set(name, [listener])
    else list.push(listener)
    return this
  }

  override addListener (name: string, listener: EventListener): this {
    return this.on(name, listener)
  }

  /** Listen to the next occurrence only. */
  override once (name: string, listener: EventListener): this {
    const wrapped: EventListener = (...args) => {
      this.off(name, wrapped)
      listener(...args)
    }
    return this.on(name, wrapped)
  }

  /** Stop listening. */
  override off (name: string, listener: EventListener): this {
    const list = this.handlers.get(name)
    if (list === undefined) return this
    const i = list.indexOf(listener)
    if (i >= 0) list.splice(i, 1)
    if (list.length === 0) this.handlers.delete(name)
    return this
  }

  override removeListener (name: string, listener: EventListener): this {
    return this.off(name, listener)
  }

  override listenerCount (name: string): number {
    return this.handlers.get(name)?.length ?? 0
  }

  /** Number of events held (they are all kept, for peers that join later). */
  get size (): number {
    return this.log.size
  }

  /** Every event held, in `(ts, source)` order: `[name, ...args]`. */
  events (): EventsChange[] {
    return this.history(new VectorClock()).map((u) => u[0] as EventsChange)
  }

  protected override emitControl (name: string, ...args: unknown[]): void {
    this.lifecycle.emit(name, ...args)
  }

  protected applyUpdate (update: Update): boolean {
    const change = update[0]
    if (!isEventsChange(change)) return false
    const u = update as Update<EventsChange>
    this.log.append(u)
    const handlers = this.handlers.get(change[0])
    if (handlers !== undefined) {
      const name = change[0]
      const args = change.slice(1)
      this.afterCommit(() => {
        for (const fn of [...(this.handlers.get(name) ?? [])]) fn(...args)
      })
    }
    return true
  }

  history (clock: VectorClock): Update[] {
    return this.log.since(clock)
  }
}
