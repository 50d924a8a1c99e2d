// grapevine/scuttlebutt/events: `var Emitter = require('grapevine/scuttlebutt/events')`,
// the API of scuttlebutt/events on grapevine's Events. See docs/compat.md.
import { VectorClock } from '../../clock/vector-clock'
import { Events } from '../../models/events'
import type { ClockJSON, Update } from '../../wire/types'
import { callable } from '../callable'
import { type LegacyOptions, type Sources, adoptId, legacyOptions, legacyUpdate, plainSources, toClock } from './legacy'

/**
 * grapevine's Events with scuttlebutt/events' API on top: callable without
 * `new`, `history(sources)` returning an array, `_update` returning a
 * boolean. Event names stay data: the replica's own lifecycle events are
 * on `events.lifecycle`, never mixed with replicated ones.
 */
class ScuttlebuttEvents extends Events {
  constructor (opts?: string | LegacyOptions | null) {
    super(legacyOptions(opts))
  }

  /**
   * Every event newer than `sources` (`{source: ts}`, or nothing for all),
   * as an array ordered by `(ts, source)`.
   */
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
}

const EventsCompat = callable(ScuttlebuttEvents, { oldStyleSubclasses: true })
export = EventsCompat
