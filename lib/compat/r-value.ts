// grapevine/r-value: `var Value = require('grapevine/r-value')`, r-value's
// API on grapevine's Value. See docs/compat.md.
import { VectorClock } from '../clock/vector-clock'
import { Value } from '../models/value'
import type { ClockJSON, Update } from '../wire/types'
import { callable } from './callable'
import { type LegacyOptions, type Sources, adoptId, legacyOptions, legacyUpdate, plainSources, toClock } from './scuttlebutt/legacy'

/**
 * grapevine's Value with r-value's API: `Value(id)` without `new`, `get()`
 * null before any write, `'update' (value)` each time the value changes,
 * `history(sources)` returning an array. r-value's second argument (how
 * many past updates to keep) is accepted and has no effect: only the
 * winning update is history.
 */
class RValue extends Value {
  constructor (id?: string | LegacyOptions | null, historyLength?: number) {
    super(legacyOptions(id))
    void historyLength
  }

  /** Replace the value everywhere; `undefined` is sent as `null`, as JSON would. */
  override set (value: unknown): this {
    return super.set(value === undefined ? null : value)
  }

  /** The current value, or null before any write. */
  override get (): unknown {
    const v = super.get()
    return v === undefined ? null : v
  }

  /** Updates newer than `sources` (`{source: ts}`, or nothing for all), as an array. */
  override history (sources?: VectorClock | Sources | null): Update[] {
    return super.history(sources instanceof VectorClock ? sources : toClock(sources))
  }

  /** Offer an update as scuttlebutt's `_update` did: true when accepted. */
  _update (update: unknown): boolean {
    return legacyUpdate(this, update)
  }

  /** The vector clock as a plain `{source: ts}` object (a copy). */
  get sources (): ClockJSON {
    return plainSources(this)
  }

  /** Change the id (scuttlebucket gives its parts its own); later updates use the new one. */
  setId (id: string): this {
    adoptId(this, id)
    return this
  }

  protected override changed (value: unknown, update: Update): void {
    // r-value's 'update' carries the value alone.
    this.afterCommit(() => this.emit('update', value))
    super.changed(value, update)
  }

  protected override emitControl (name: string, ...args: unknown[]): void {
    super.emitControl(name === 'update' ? '_update' : name, ...args)
  }
}

const ValueCompat = callable(RValue, { oldStyleSubclasses: true })
export = ValueCompat
