import { invalidArgument } from '../errors/grapevine-error'

/** Deepest nesting accepted in a value written locally (peer input is already capped by the decoder). */
const MAX_DEPTH = 256

/**
 * Canonical JSON text of a JSON value: object keys sorted, no spaces. Two
 * values are the same element/state exactly when their canonical texts are
 * equal, whatever the key order they were built with. Returns undefined for
 * anything that is not plain JSON (undefined, functions, NaN, Infinity,
 * class instances, cycles deeper than the cap).
 */
export function canonicalJSON (value: unknown): string | undefined {
  return canon(value, 0)
}

function canon (v: unknown, depth: number): string | undefined {
  if (depth > MAX_DEPTH) return undefined
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v)
  if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : undefined
  if (Array.isArray(v)) {
    const parts: string[] = []
    for (const x of v) {
      const s = canon(x, depth + 1)
      if (s === undefined) return undefined
      parts.push(s)
    }
    return `[${parts.join(',')}]`
  }
  if (typeof v === 'object') {
    const proto: unknown = Object.getPrototypeOf(v)
    if (proto !== Object.prototype && proto !== null) return undefined
    const parts: string[] = []
    // Own keys only, read as data: a key named __proto__ is just a key.
    for (const k of Object.keys(v).sort()) {
      const d = Object.getOwnPropertyDescriptor(v, k)
      const s = canon(d?.value, depth + 1)
      if (s === undefined) return undefined
      parts.push(`${JSON.stringify(k)}:${s}`)
    }
    return `{${parts.join(',')}}`
  }
  return undefined
}

/** Canonical JSON of a caller's value, or an ERR_INVALID_ARGUMENT naming `what`. */
export function requireJSON (value: unknown, what: string): string {
  const s = canonicalJSON(value)
  if (s === undefined) invalidArgument(`${what} must be a plain JSON value (no undefined, NaN, functions or class instances)`)
  return s
}

/** A private deep copy of a JSON value, so later mutation by the caller cannot reach replicated state. */
export function cloneJSON<T> (value: T): T {
  return JSON.parse(JSON.stringify(value)) as T
}
