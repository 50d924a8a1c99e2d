// grapevine/scuttlebutt/model: `var Model = require('grapevine/scuttlebutt/model')`,
// the API of scuttlebutt/model on grapevine's Model. See docs/compat.md.
import { VectorClock } from '../../clock/vector-clock'
import { Model } from '../../models/model'
import type { ClockJSON, Update } from '../../wire/types'
import { callable } from '../callable'
import { type LegacyOptions, type Sources, adoptId, legacyOptions, legacyUpdate, plainSources, toClock } from './legacy'

/**
 * grapevine's Model with scuttlebutt/model's API on top: `set(k, undefined)`
 * deletes, `each`, `history(sources)` returning an array, `_update` returning
 * a boolean, `'update' (change, ts, source)` for each update that wins a
 * key, and accepted updates announced as `'_update' (update)`.
 */
class ScuttlebuttModel extends Model {
  constructor (opts?: string | LegacyOptions | null) {
    super(legacyOptions(opts))
  }

  /** Set `key`; `null` or `undefined` deletes it, as scuttlebutt's Model did. */
  override set (key: string, value: unknown): this {
    if (value === undefined) {
      this.delete(key)
      return this
    }
    return super.set(key, value)
  }

  /** Call `fn(value, key, model)` for each live key; returns the model. */
  each (fn: (value: unknown, key: string, model: this) => void): this {
    for (const [k, v] of this.entries()) fn(v, k, this)
    return this
  }

  /** Call `fn(value, key, model)` for each live key; returns the model. */
  override forEach (fn: (value: unknown, key: string, model: this) => void): this {
    return this.each(fn)
  }

  /**
   * Updates newer than `sources` (`{source: ts}`, or nothing for all),
   * as an array ordered by `(ts, source)`. Given a VectorClock (streams do)
   * it stays lazy.
   */
  override history (clock: VectorClock): Iterable<Update>
  override history (sources?: Sources | null): Update[]
  override history (sources?: VectorClock | Sources | null): Iterable<Update> | Update[] {
    if (sources instanceof VectorClock) return super.history(sources)
    return [...super.history(toClock(sources))]
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

  protected override changed (key: string, value: unknown, update: Update): void {
    // scuttlebutt's order: 'update' first, then 'change' and 'change:<key>'.
    if (this.listenerCount('update') > 0) this.afterCommit(() => this.emit('update', ...update))
    super.changed(key, value, update)
  }

  protected override emitControl (name: string, ...args: unknown[]): void {
    super.emitControl(name === 'update' ? '_update' : name, ...args)
  }
}

const ModelCompat = callable(ScuttlebuttModel, { oldStyleSubclasses: true })
export = ModelCompat
