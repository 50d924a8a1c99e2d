import test from 'tape'
import fc from 'fast-check'
import { bisect, sortBetween } from '../../lib/models/sort-key'
import { Rng, seedFromEnv } from '../helpers/rng'

const seed = seedFromEnv()
const params = { seed, numRuns: Number(process.env.PROPERTY_RUNS ?? 300) }

/** The order a sequence uses for `_sort`: numbers before strings. */
function before (a: number | string, b: number | string): boolean {
  if (typeof a !== typeof b) return typeof a === 'number'
  return a < b
}

test('bisect finds a string strictly between any two ordered strings, or says there is none', (t) => {
  const r = fc.check(fc.property(fc.string({ unit: 'binary', maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 8 }), (x, y) => {
    const [lo, hi] = x < y ? [x, y] : [y, x]
    const k = bisect(lo, hi)
    if (k === undefined) return lo === hi || hi === lo + '\0'
    const up = bisect(lo, undefined)
    return lo < k && k < hi && up !== undefined && up > lo
  }), params)
  t.notOk(r.failed, `bisect property (${r.numRuns} runs, seed ${seed}) ${r.failed ? JSON.stringify(r.counterexample) : ''}`)
  t.end()
})

test('sort keys stay ordered and short under thousands of appends, prepends and inserts at one spot', (t) => {
  const rng = new Rng(seed)
  const random = (): number => rng.next()
  const keys: Array<number | string> = []
  for (let i = 0; i < 2000; i++) keys.push(sortBetween(keys.at(-1), undefined, random) as string)
  for (let i = 0; i < 2000; i++) keys.unshift(sortBetween(undefined, keys[0], random) as string)
  // Always insert right after the first key: the worst case for bisection.
  for (let i = 0; i < 200; i++) keys.splice(1, 0, sortBetween(keys[0], keys[1], random) as string)
  let ordered = true
  for (let i = 1; i < keys.length; i++) if (!before(keys[i - 1] as string, keys[i] as string)) ordered = false
  t.ok(ordered, `${keys.length} keys in order (seed ${seed})`)
  const longest = Math.max(...keys.map((k) => String(k).length))
  t.ok(longest <= 8 + 200 / 5 + 4, `longest key ${longest} characters`)
  t.ok(String(keys.at(-1)).length <= 8, 'appended keys stay 8 characters')
  t.end()
})

test('sort keys fit between numbers and strings written by others', (t) => {
  t.equal(sortBetween(undefined, 5), 4, 'before a number: one less')
  t.equal(sortBetween(5, undefined), 6, 'after a number: one more')
  t.equal(sortBetween(1, 2), 1.5)
  t.equal(sortBetween(1, 1), undefined, 'equal neighbours: no room, the caller ties')
  const k = sortBetween(3, 'm') as string
  t.ok(typeof k === 'string' && k < 'm', 'between a number and a string: a string below it')
  const w = sortBetween('!', '#') as string
  t.ok(w > '!' && w < '#', 'foreign keys outside the digit alphabet')
  t.equal(sortBetween('a', 'a'), undefined)
  t.end()
})
