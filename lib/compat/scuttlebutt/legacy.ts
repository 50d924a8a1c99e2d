import { HybridClock } from '../../clock/hybrid-clock'
import { VectorClock } from '../../clock/vector-clock'
import { GrapevineError, invalidArgument } from '../../errors/grapevine-error'
import type { Replica, ReplicaOptions } from '../../replica/replica'
import { checkUpdate } from '../../wire/messages'
import { type ClockJSON, type SourceId, type Timestamp, type Update, isSourceId, sourceId, timestamp } from '../../wire/types'

/**
 * Sources as scuttlebutt passes them to `history`: `{source: ts}`. A
 * missing, null or 0 entry means "everything from that source".
 */
export type Sources = Readonly<Record<string, number | null | undefined>>

/** A clock from what a scuttlebutt caller passes: nothing, `{source: ts}`, or one of ours. */
export function toClock (sources: VectorClock | Sources | undefined | null): VectorClock {
  if (sources instanceof VectorClock) return sources
  if (sources === undefined || sources === null) return new VectorClock()
  if (typeof sources !== 'object' || Array.isArray(sources)) invalidArgument('sources must be an object of {source: timestamp}')
  const entries: Array<[SourceId, Timestamp]> = []
  for (const key of Object.keys(sources)) {
    const ts: unknown = sources[key]
    if (ts === null || ts === undefined || ts === 0) continue
    if (typeof ts !== 'number' || !Number.isFinite(ts)) invalidArgument(`sources[${JSON.stringify(key.slice(0, 64))}] must be a timestamp`)
    if (!isSourceId(key)) continue // no update can come from it
    entries.push([sourceId(key), timestamp(ts)])
  }
  return new VectorClock(entries)
}

/**
 * scuttlebutt's `_update(update)`: offer an update; true when it was
 * accepted (new for its source), false when old, malformed or refused.
 * Goes through `receive`, so drift, signature and shape rules still apply.
 */
export function legacyUpdate (replica: Replica, update: unknown): boolean {
  if (!Array.isArray(update)) return false
  const u = checkUpdate(update)
  if (u instanceof GrapevineError) return false
  return replica.receive(u, undefined).status === 'applied'
}

/** Something whose id scuttlebucket may set: a replica or a bucket. */
export interface HasId { readonly id: string }

/**
 * scuttlebutt's `setId(id)`. Every use of a replica's id reads it live
 * (headers, own-clock checks, new updates), so a rename takes effect at
 * once; updates already written keep their old source, which becomes one
 * more source in the clock. Never give two replicas of the same data one id.
 */
export function adoptId (target: HasId, id: string): void {
  if (!isSourceId(id)) invalidArgument('id must be a non-empty string of at most 256 characters, not "__proto__"')
  // reason: the id is readonly to the public; this is the one sanctioned rename.
  ;(target as { id: string }).id = id
}

/** scuttlebutt's `sources`: the vector clock as a plain object (a copy, not live). */
export function plainSources (replica: Replica): ClockJSON {
  return replica.getClock()
}

/** A scuttlebutt security object's verify: `(update, cb(err, ok))`. */
type CallbackVerify = (update: Update, cb: (err: unknown, ok?: boolean) => void) => void

/** Options a scuttlebutt constructor accepted, mapped onto ours. */
export interface LegacyOptions extends ReplicaOptions {
  /** scuttlebutt's security objects create the id from the key. */
  createId?: () => string
}

/**
 * Map scuttlebutt constructor options to ours: a string is the id, a
 * `createId()` makes one, and a callback-style `verify(update, cb)` is
 * accepted when it answers at once (an answer that comes later refuses the
 * update: grapevine verifies before applying, synchronously).
 */
export function legacyOptions (opts: string | LegacyOptions | undefined | null): string | ReplicaOptions {
  if (opts === undefined || opts === null) return {}
  if (typeof opts === 'string') return opts
  if (typeof opts !== 'object') invalidArgument('options must be an id string or an object')
  const out: ReplicaOptions = { ...opts }
  if (out.id === undefined && typeof opts.createId === 'function') out.id = opts.createId()
  const verify = opts.verify as unknown
  if (typeof verify === 'function' && verify.length >= 2) {
    const v = verify as CallbackVerify
    out.verify = (update) => {
      let ok = false
      v(update, (err, verified) => { ok = err == null && verified === true })
      return ok
    }
  }
  return out
}

const clock = new HybridClock()

/** scuttlebutt's `timestamp()`: strictly increasing milliseconds, never behind the wall clock. */
export function monotonicTimestamp (): number {
  return clock.next()
}
