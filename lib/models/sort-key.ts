/**
 * Position keys for a Doc sequence's `_sort` field: strings whose plain
 * `<` order is the sequence order, so there is always room between two of
 * them (crdt used the same idea). Pure; no I/O.
 *
 * Keys made here have an integer part, so that appending or prepending
 * many rows keeps keys short: a head letter `a`..`z` says how many base-62
 * digits follow (2 for `a`, 27 for `z`), and more digits sort later. A
 * random tail makes two replicas that append at the same moment pick
 * different keys, so a later insert still finds room between them. Keys
 * written by someone else (any string, or a number: numbers sort before
 * strings) are handled by plain bisection.
 */

const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const BASE = DIGITS.length
const FIRST = 'dV0000'
const TAIL = 2
const ZERO = 48 // '0'

function digit (c: string): number {
  return DIGITS.indexOf(c)
}

function tail (random: () => number): string {
  let s = ''
  // Never end on '0', the smallest digit, so there is always room below a key.
  for (let i = 0; i < TAIL; i++) s += DIGITS[1 + Math.floor(random() * (BASE - 1))] as string
  return s
}

/** Split a key into head, integer digits and the rest, when it has our shape. */
function integerPart (key: string): { head: number, digits: string } | undefined {
  const head = key.charCodeAt(0) - 97
  if (head < 0 || head > 25) return undefined
  const digits = key.slice(1, head + 3)
  if (digits.length !== head + 2) return undefined
  for (const c of digits) if (digit(c) < 0) return undefined
  return { head, digits }
}

/** The integer part one step up or down, or undefined past the range. */
function step (key: string, up: boolean): string | undefined {
  const p = integerPart(key)
  if (p === undefined) return undefined
  const ds = [...p.digits].map(digit)
  let i = ds.length - 1
  for (; i >= 0; i--) {
    const d = (ds[i] as number) + (up ? 1 : -1)
    if (d >= 0 && d < BASE) {
      ds[i] = d
      break
    }
    ds[i] = up ? 0 : BASE - 1
  }
  if (i >= 0) return String.fromCharCode(97 + p.head) + ds.map((d) => DIGITS[d]).join('')
  // Carried past the first digit: move to the next (or previous) head.
  const head = p.head + (up ? 1 : -1)
  if (head < 0 || head > 25) return undefined
  return String.fromCharCode(97 + head) + (up ? '0' : 'z').repeat(head + 2)
}

/** The middle digit (never '0', so a key keeps room below it) strictly between units `lo` and `hi`; -1 if none. */
function digitBetween (lo: number, hi: number): number {
  let first = -1
  let last = -1
  for (let i = 1; i < BASE; i++) {
    const c = DIGITS.charCodeAt(i)
    if (c > lo && c < hi) {
      if (first < 0) first = i
      last = i
    }
  }
  return first < 0 ? -1 : DIGITS.charCodeAt((first + last) >>> 1)
}

/**
 * A string strictly between `lo` and `hi` (`lo` '' is the start, `hi`
 * undefined the end), or undefined when there is none (`hi <= lo`, or `hi`
 * is `lo` followed by one NUL).
 */
export function bisect (lo: string, hi: string | undefined): string | undefined {
  if (hi !== undefined && hi <= lo) return undefined
  let out = ''
  let upper = hi
  for (let i = 0; ; i++) {
    const a = i < lo.length ? lo.charCodeAt(i) : -1
    // Past the end of `upper` only after copying its NULs: `out` is `upper` then.
    if (upper !== undefined && i >= upper.length) return undefined
    const b = upper === undefined ? 0x10000 : upper.charCodeAt(i)
    if (a === b) {
      out += lo[i] as string
      continue
    }
    const c = digitBetween(a, b)
    if (c >= 0) return out + String.fromCharCode(c)
    if (a < 0 && (b === 0 || b === ZERO)) {
      // `lo` has ended and `upper` has its smallest unit here: copy it, stay below `upper`.
      if (b === 0 && out.length > lo.length) return out // a longer prefix of `upper` is above `lo`
      out += upper?.[i] as string
      continue
    }
    // No digit fits here: keep a unit below b; from here on only `lo` bounds the key.
    out += a >= 0 ? lo[i] as string : String.fromCharCode(b > ZERO ? ZERO : b - 1)
    upper = undefined
  }
}

/**
 * A `_sort` value strictly between the neighbours' values `lo` and `hi`
 * (`undefined`: no neighbour on that side). Values are ordered as a
 * sequence orders them: numbers, then strings. Returns undefined when no
 * value fits (equal neighbours); the caller then ties, which the sequence
 * breaks by creation.
 */
export function sortBetween (lo: unknown, hi: unknown, random: () => number = Math.random): number | string | undefined {
  const loNum = typeof lo === 'number'
  const hiNum = typeof hi === 'number'
  if (hiNum) {
    if (lo === undefined) return (hi as number) - 1
    if (!loNum) return undefined // a string or worse before a number: out of order already
    const mid = ((lo as number) + (hi as number)) / 2
    return mid > (lo as number) && mid < (hi as number) ? mid : undefined
  }
  if (typeof hi === 'string') {
    if (lo === undefined || loNum) {
      const down = step(hi, false)
      return down !== undefined && down < hi ? down + tail(random) : withTail(bisect('', hi), hi, random)
    }
    if (typeof lo !== 'string') return undefined
    return withTail(bisect(lo, hi), hi, random)
  }
  // No neighbour after (or one without a usable `_sort`).
  if (lo === undefined) return FIRST + tail(random)
  if (loNum) return (lo as number) + 1
  if (typeof lo !== 'string') return undefined
  const up = step(lo, true)
  return up !== undefined && up > lo ? up + tail(random) : withTail(bisect(lo, undefined), undefined, random)
}

/** A random tail keeps the key below `hi`: the key already differs from `hi` by a smaller unit. */
function withTail (key: string | undefined, hi: string | undefined, random: () => number): string | undefined {
  if (key === undefined) return undefined
  const k = key + tail(random)
  return hi === undefined || k < hi ? k : key
}
