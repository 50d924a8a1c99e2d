import type { VectorClock } from '../clock/vector-clock'
import { invalidArgument } from '../errors/grapevine-error'
import { Replica, type ReplicaOptions } from '../replica/replica'
import { wins } from '../replica/compare'
import type { Update } from '../wire/types'

/** Options of `new Value()`; see ReplicaOptions. */
export type ValueOptions = ReplicaOptions

/**
 * One replicated last-writer-wins value (the successor of r-value):
 * `change` is the value itself. Emits `'change' (value, update)`.
 */
export class Value extends Replica {
  private current: Update | undefined

  constructor (opts: ValueOptions | string = {}) {
    super(opts)
  }

  /** Replace the value everywhere (any JSON value but `undefined`). */
  set (value: unknown): this {
    if (value === undefined) invalidArgument('value must not be undefined')
    this.localUpdate(value)
    return this
  }

  /** The current value, or undefined before any write. */
  get (): unknown {
    return this.current?.[0]
  }

  protected applyUpdate (update: Update): boolean {
    if (update[0] === undefined) return false
    if (this.current !== undefined && !wins(update, this.current)) return true
    this.current = update
    this.changed(update[0], update)
    return true
  }

  /** An update became the value: queue its events (a subclass may add its own). */
  protected changed (value: unknown, update: Update): void {
    this.afterCommit(() => this.emit('change', value, update))
  }

  history (clock: VectorClock): Update[] {
    const u = this.current
    return u !== undefined && clock.isNewer(u[2], u[1]) ? [u] : []
  }

  toJSON (): unknown {
    return this.get()
  }
}
