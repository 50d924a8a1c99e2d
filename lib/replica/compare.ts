import type { Update } from '../wire/types'

/** Total order of updates: by timestamp, then by source id. */
export function compareUpdates (a: Update, b: Update): number {
  return a[1] - b[1] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0)
}

/** True when update `a` wins over `b` under last-writer-wins by `(ts, source)`. */
export function wins (a: Update, b: Update): boolean {
  return compareUpdates(a, b) > 0
}

/** Sort updates in place by `(ts, source)` and return them. */
export function sortUpdates<U extends Update> (updates: U[]): U[] {
  return updates.sort(compareUpdates)
}
