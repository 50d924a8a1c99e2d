import { isSourceId, isTimestamp } from '../../wire/types'
import type { ElementRef } from './changes'

/**
 * The stable key of a List item: the id of the element that created it,
 * as one string `ts:k:source` (the source last, since it may hold ':').
 * It never changes, whatever moves or replaces the item.
 */
export function itemKey (ts: number, src: string, k: number): string {
  return `${ts}:${k}:${src}`
}

/** The element id an item key names, or undefined if it is not one. */
export function parseItemKey (key: unknown): ElementRef | undefined {
  if (typeof key !== 'string') return undefined
  const a = key.indexOf(':')
  const b = a < 0 ? -1 : key.indexOf(':', a + 1)
  if (b < 0) return undefined
  const ts = Number(key.slice(0, a))
  const k = Number(key.slice(a + 1, b))
  const src = key.slice(b + 1)
  if (!isTimestamp(ts) || !Number.isInteger(k) || k < 0 || !isSourceId(src)) return undefined
  return [ts, src, k]
}
