import { invalidArgument } from '../errors/grapevine-error'
import type { Update } from '../wire/types'

/** Tag that starts every signed message, so a grapevine key signs nothing else by accident. */
export const SIGNATURE_DOMAIN = 'grapevine-sig/1'

/**
 * Canonical JSON text of a JSON value: no whitespace, object keys sorted by
 * UTF-16 code units, strings and numbers as `JSON.stringify` writes them
 * (the ECMAScript forms RFC 8785 uses). Two peers that hold equal JSON
 * values produce equal text, whatever key order or number spelling was on
 * the wire. Values JSON cannot carry are mapped the way `JSON.stringify`
 * maps them (undefined in an object is dropped, in an array is null,
 * NaN/Infinity are null), so what is signed is what the peer receives.
 */
export function canonicalJson (value: unknown): string {
  const out: string[] = []
  write(value, out)
  return out.join('')
}

function write (v: unknown, out: string[]): void {
  if (typeof v === 'object' && v !== null && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
    v = (v as { toJSON: () => unknown }).toJSON()
  }
  if (v instanceof Number || v instanceof String || v instanceof Boolean) v = v.valueOf()
  switch (typeof v) {
    case 'string':
      out.push(JSON.stringify(v))
      return
    case 'number':
      out.push(Number.isFinite(v) ? JSON.stringify(v) : 'null')
      return
    case 'boolean':
      out.push(v ? 'true' : 'false')
      return
    case 'bigint':
      invalidArgument('a BigInt cannot be serialized to JSON')
  }
  if (v === null || typeof v !== 'object') {
    // undefined, functions and symbols: only reachable at the top level or in arrays.
    out.push('null')
    return
  }
  if (Array.isArray(v)) {
    out.push('[')
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out.push(',')
      write(v[i], out)
    }
    out.push(']')
    return
  }
  const obj = v as Record<string, unknown>
  const keys = Object.keys(obj).sort()
  out.push('{')
  let first = true
  for (const k of keys) {
    const x = obj[k]
    if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue
    if (!first) out.push(',')
    first = false
    out.push(JSON.stringify(k), ':')
    write(x, out)
  }
  out.push('}')
}

/**
 * The bytes an update's signature covers: UTF-8 of the canonical JSON of
 * `["grapevine-sig/1", docId, change, ts, source]`. The document id is
 * inside, so a signature is only good in the document it was made for; the
 * signature itself (index 3) is not.
 */
export function signingBytes (docId: string, update: Update): Buffer {
  return Buffer.from(canonicalJson([SIGNATURE_DOMAIN, docId, update[0], update[1], update[2]]), 'utf8')
}
