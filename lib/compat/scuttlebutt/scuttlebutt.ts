import { VectorClock } from '../../clock/vector-clock'
import { invalidArgument } from '../../errors/grapevine-error'
import { Replica } from '../../replica/replica'
import type { ClockJSON, Update } from '../../wire/types'
import { type LegacyOptions, type Sources, adoptId, legacyOptions, legacyUpdate, monotonicTimestamp, plainSources } from './legacy'
import { createId, filter } from './util'

type HistoryFn = (this: unknown, sources?: unknown) => Iterable<Update>

/**
 * The base class of `grapevine/scuttlebutt`: a Replica that takes
 * scuttlebutt-shaped subclasses. Implement `applyUpdate(update)` and
 * `history(sources)` as scuttlebutt documents them: `history` is given a
 * plain `{source: ts}` object (or nothing) and returns an array ordered
 * by `(ts, source)`. Unlike scuttlebutt, `applyUpdate` returning false
 * refuses the update (the clock does not move); return true for an update
 * that is valid but superseded.
 *
 * Accepted updates are announced as `'_update' (update)`, as scuttlebutt
 * did; `'update'` is left to the subclass.
 */
export class Scuttlebutt extends Replica {
  /** A fresh random id. */
  static createId = createId
  /** scuttlebutt's other spelling of createId. */
  static createID = createId
  /** True when an update is newer than `sources` for its source. */
  static filter = filter
  /** The older name of filter. */
  static updateIsRecent = filter
  /** Strictly increasing milliseconds, for building updates by hand. */
  static timestamp = monotonicTimestamp

  constructor (opts?: string | LegacyOptions | null) {
    super(legacyOptions(opts))
    // A subclass's history takes scuttlebutt's plain sources: streams hand
    // it ours, so convert on the way in. A plain function (no closure over
    // this instance), so an old-style constructor may adopt the property.
    const own = (this as unknown as { history: HistoryFn }).history
    if (own !== Scuttlebutt.prototype.history) {
      Object.defineProperty(this, 'history', {
        value: function history (this: unknown, sources?: unknown): Iterable<Update> {
          return own.call(this, sources instanceof VectorClock ? sources.toJSON() : sources)
        },
        writable: true,
        configurable: true
      })
    }
  }

  /** Apply an update; the subclass's job. */
  protected applyUpdate (update: Update): boolean {
    void update
    invalidArgument('applyUpdate(update) must be implemented by the subclass')
  }

  /** Updates newer than `sources`, ordered by `(ts, source)`; the subclass's job. */
  history (sources?: VectorClock | Sources): Update[] {
    void sources
    invalidArgument('history(sources) must be implemented by the subclass')
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

  protected override emitControl (name: string, ...args: unknown[]): void {
    super.emitControl(name === 'update' ? '_update' : name, ...args)
  }
}
