import type { Rng } from '../helpers/rng'

/** Values that have broken parsers and models before. */
export const NASTY: unknown[] = [
  null, true, false, 0, -0, -1, 1.5, 1e308, -1e308, 5e-324, 2 ** 53 + 1,
  '', ' ', 'SYNC', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype',
  '\u0000', '\uffff', '\ud800', 'é', '\n', 'x'.repeat(300),
  [], {}, [[]], { __proto__: null }, { constructor: { prototype: 1 } }, ['__proto__', 1]
]

const NASTY_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype', '', 'SYNC', '\u0000', 'é', 'change', 'error']

/** A random JSON value no deeper than `depth`. */
export function randomJson (rng: Rng, depth: number): unknown {
  const r = rng.next()
  if (depth <= 0 || r < 0.5) {
    if (rng.chance(0.2)) return rng.pick(NASTY)
    switch (rng.int(0, 4)) {
      case 0: return rng.int(-1000, 1000)
      case 1: return rng.next() * 1e6
      case 2: return rng.chance(0.5)
      case 3: return null
      default: return randomString(rng, rng.int(0, 12))
    }
  }
  if (r < 0.75) {
    const a: unknown[] = []
    for (let i = rng.int(0, 4); i > 0; i--) a.push(randomJson(rng, depth - 1))
    return a
  }
  const o: Record<string, unknown> = {}
  for (let i = rng.int(0, 4); i > 0; i--) {
    Object.defineProperty(o, rng.chance(0.2) ? rng.pick(NASTY_KEYS) : randomString(rng, rng.int(0, 6)), {
      value: randomJson(rng, depth - 1), enumerable: true, writable: true, configurable: true
    })
  }
  return o
}

function randomString (rng: Rng, n: number): string {
  let s = ''
  for (let i = 0; i < n; i++) s += String.fromCharCode(rng.chance(0.9) ? rng.int(0x20, 0x7e) : rng.int(0, 0xffff))
  return s
}

/** A structural mutation of a parsed update `[change, ts, source, sig?]`. */
export function mutateUpdate (u: readonly unknown[], rng: Rng, sources: readonly string[]): unknown {
  const v = [...u]
  switch (rng.int(0, 9)) {
    case 0: v[rng.int(0, v.length)] = rng.pick(NASTY); break
    case 1: return rng.chance(0.5) ? v.slice(0, rng.int(0, v.length - 1)) : [...v, randomJson(rng, 1), 'extra']
    case 2: v[0] = mutateJson(v[0], rng); break
    case 3: v[1] = (v[1] as number) + rng.pick([1, -1, 0.5, 1e-9, 1e9, 86_400_000 * 365])
      break
    case 4: v[1] = rng.pick([0, -1, NaN, '1', 1e308, null, Date.now() + 120_000]); break
    case 5: v[2] = rng.chance(0.5) && sources.length > 0 ? rng.pick(sources) : rng.pick(NASTY); break
    case 6: v[3] = mutateSignature(v[3], rng); break
    case 7: v.splice(3, 1); break
    case 8: v[0] = randomJson(rng, 3); break
    default: v[1] = Date.now() - rng.int(0, 1000); v[0] = randomJson(rng, 2)
  }
  return v
}

function mutateSignature (sig: unknown, rng: Rng): unknown {
  if (typeof sig !== 'string' || sig.length === 0 || rng.chance(0.2)) return rng.pick([...NASTY, 'A'.repeat(86), 'A'.repeat(88)])
  const i = rng.int(0, sig.length - 1)
  const c = rng.pick(['A', 'B', '_', '-', '=', '+', '/'])
  return rng.chance(0.5) ? sig.slice(0, i) + c + sig.slice(i + 1) : sig.slice(0, i)
}

/** Replace, insert or delete somewhere inside a JSON value. */
export function mutateJson (v: unknown, rng: Rng): unknown {
  if (Array.isArray(v)) {
    const a = [...v]
    if (a.length > 0 && rng.chance(0.5)) {
      const i = rng.int(0, a.length - 1)
      if (rng.chance(0.5)) a[i] = mutateJson(a[i], rng)
      else a.splice(i, 1)
    } else {
      a.splice(rng.int(0, a.length), 0, randomJson(rng, 2))
    }
    return a
  }
  if (typeof v === 'object' && v !== null) {
    const o: Record<string, unknown> = { ...v }
    Object.defineProperty(o, rng.chance(0.3) ? rng.pick(NASTY_KEYS) : 'k', { value: randomJson(rng, 2), enumerable: true, writable: true, configurable: true })
    return o
  }
  return rng.chance(0.5) ? rng.pick(NASTY) : randomJson(rng, 2)
}

/** Byte-level damage to a line: flips, inserts, deletions, duplications, truncation. */
export function mutateBytes (line: Buffer, rng: Rng): Buffer {
  const b = Buffer.from(line)
  const n = rng.int(1, 4)
  let out = b
  for (let k = 0; k < n; k++) {
    const i = out.length === 0 ? 0 : rng.int(0, out.length - 1)
    switch (rng.int(0, 4)) {
      case 0: if (out.length > 0) out[i] = rng.int(0, 255); break
      case 1: out = Buffer.concat([out.subarray(0, i), Buffer.from([rng.pick([0x0a, 0x0d, 0x00, 0xff, 0xc3, 0x22, 0x5c, 0x7b, 0x5b, rng.int(0, 255)])]), out.subarray(i)]); break
      case 2: out = Buffer.concat([out.subarray(0, i), out.subarray(Math.min(out.length, i + rng.int(1, 8)))]); break
      case 3: out = Buffer.concat([out.subarray(0, i), out.subarray(i, i + rng.int(1, 16)), out.subarray(i)]); break
      default: out = out.subarray(0, i)
    }
  }
  return out
}

/** Random bytes: sometimes uniform, sometimes from JSON's alphabet so they parse more often. */
export function rawBytes (rng: Rng): Buffer {
  const n = rng.int(0, 200)
  const alphabet = Buffer.from('[]{}",:0123456789.eE-+ truefalsnul\\"SYNC__proto__\r\n')
  const uniform = rng.chance(0.4)
  const out = Buffer.alloc(n)
  for (let i = 0; i < n; i++) out[i] = uniform ? rng.int(0, 255) : (alphabet[rng.int(0, alphabet.length - 1)] as number)
  return out
}

/** Lines aimed at the framing and session layers. */
export function specialLine (rng: Rng, limits: { maxLineBytes: number, maxDepth: number }, header: unknown): Buffer {
  switch (rng.int(0, 9)) {
    case 0: {
      const d = limits.maxDepth + rng.int(-2, 2)
      return Buffer.from('['.repeat(d) + ']'.repeat(rng.chance(0.9) ? d : d - 1))
    }
    case 1: return Buffer.alloc(limits.maxLineBytes + rng.int(-2, 2), 0x31)
    case 2: return Buffer.from('GET / HTTP/1.1\r\nHost: example\r\n\r\n')
    case 3: return Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03])
    case 4: return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(header))])
    case 5: return Buffer.from(JSON.stringify(header))
    case 6: return Buffer.from('"SYNC"')
    case 7: return Buffer.from(JSON.stringify(rng.pick(NASTY)))
    case 8: {
      const h = { ...(header as object) } as Record<string, unknown>
      h.clock = rng.pick([null, [], 'x', { a: 'x' }, { __proto__: 5 }, { '': 1 }, { a: -1 }, { a: Infinity }, mutateJson(h.clock, rng)])
      return Buffer.from(JSON.stringify(h))
    }
    default: return Buffer.from(rng.pick(['', ' ', '\r', '\t', 'null', '1', '"x"', 'true', '{}', '[]', '[1,2]']))
  }
}
