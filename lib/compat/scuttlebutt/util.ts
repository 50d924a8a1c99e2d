// grapevine/scuttlebutt/util: the helpers scuttlebutt/util gave subclasses.
import { createId as randomId } from '../../replica/replica'
import { sortUpdates } from '../../replica/compare'
import type { Update } from '../../wire/types'
import type { Sources } from './legacy'

/** True when `update` is newer than `sources` for its source (no sources: always). */
export function filter (update: Update, sources?: Sources | null): boolean {
  const seen = sources?.[update[2]]
  return seen === undefined || seen === null || seen === 0 || seen < update[1]
}

/** Sort a history in place by `(ts, source)`; returns it. */
export function sort<U extends Update> (history: U[]): U[] {
  return sortUpdates(history)
}

/** A fresh random id. */
export function createId (): string {
  return randomId()
}

/** scuttlebutt spelled it both ways. */
export const createID = createId
