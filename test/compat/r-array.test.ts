import test from 'tape'
import { VectorClock } from '../../lib/clock/vector-clock'
import RArray = require('../../lib/compat/r-array')
import { syncPair, until } from '../helpers/replicas'

type RA = InstanceType<typeof RArray>

/** What the scenarios use of an r-array; the original and grapevine's both have it. */
interface RArrayLike extends NodeJS.EventEmitter {
  length: number
  keys: string[]
  toJSON (): unknown[]
  push (v: unknown): unknown
  unshift (v: unknown): unknown
  pop (): unknown
  shift (): unknown
  splice (i: number, d: number, ...v: unknown[]): unknown
  get (key: string): unknown
  indexOfKey (key: string): number
  map<T> (fn: (v: unknown) => T): T[]
  filter (fn: (v: unknown) => unknown): unknown[]
  reduce<T> (fn: (acc: T, v: unknown) => T, initial: T): T
  createStream (): NodeJS.ReadWriteStream
}

interface Impl {
  name: string
  make: (...items: unknown[]) => RArrayLike
  /** Let piped replicas exchange what they wrote. */
  settle: (a: RArrayLike, b: RArrayLike) => Promise<void>
}

const original = require('r-array') as (new (...items: unknown[]) => RArrayLike)
const same = (a: RArrayLike, b: RArrayLike): boolean => JSON.stringify(a.toJSON()) === JSON.stringify(b.toJSON())
const IMPLS: Impl[] = [
  // scuttlebutt delivers within the tick; a tick is enough.
  { name: 'r-array', make: (...items) => new original(...items), settle: () => new Promise((resolve) => process.nextTick(resolve)) },
  // Node streams cannot deliver in the same tick: wait until the peer has it.
  { name: 'grapevine/r-array', make: (...items) => new RArray(...items), settle: (a, b) => until(() => same(a, b)) }
]

function pipe (a: RArrayLike, b: RArrayLike): void {
  const s = a.createStream()
  s.pipe(b.createStream()).pipe(s)
}

/** Run the same scenario on the original and on ours; the results must be equal. */
function both (name: string, scenario: (impl: Impl) => Promise<unknown> | unknown): void {
  test(`r-array and grapevine/r-array agree: ${name}`, async (t) => {
    const [want, got] = [await scenario(IMPLS[0] as Impl), await scenario(IMPLS[1] as Impl)]
    t.deepEqual(got, want, JSON.stringify(got))
  })
}

both('the README example replicates a splice to a piped peer', async ({ make, settle }) => {
  const a = make()
  const b = make()
  pipe(a, b)
  a.splice(0, 0, 'A', 'B', 'C', 'D')
  await settle(a, b)
  return b.toJSON()
})

both('push, pop, unshift, shift return values, length, and one update event per call', ({ make }) => {
  const a = make()
  let updates = 0
  a.on('update', () => updates++)
  const out: unknown[] = [a.toJSON()]
  a.push('a')
  a.push('b')
  out.push(a.toJSON(), updates, a.pop(), updates, a.length)
  a.unshift('x')
  a.unshift('y')
  out.push(a.toJSON(), a.shift(), a.length, updates)
  return out
})

both('splice replaces, inserts, deletes and clamps like the r-array tests', ({ make }) => {
  const a = make('a', 'b')
  const out: unknown[] = [a.toJSON()]
  let updates = 0
  a.on('update', () => updates++)
  a.splice(1, 1, 'B')
  out.push(a.toJSON())
  a.splice(1, 0, '?')
  out.push(a.toJSON())
  a.splice(0, 2)
  out.push(a.toJSON())
  a.splice(0, 6, 'x', 'y', 'z')
  out.push(a.toJSON(), a.length, updates)
  return out
})

both('a splice that replaces in place keeps the item key and reports it with its new value', ({ make }) => {
  const a = make('p', 'q', 'r')
  const key = a.keys[1] as string
  const changes: Array<Record<string, unknown>> = []
  a.on('update', (c: Record<string, unknown>) => changes.push(c))
  a.splice(1, 1, 'Q')
  a.splice(2, 1)
  const values = changes.map((c) => Object.values(c))
  return [a.keys[1] === key, a.get(key), a.indexOfKey(key), values, a.keys.length]
})

both('map, filter and reduce read the values', ({ make }) => {
  const a = make(1, 2, 3)
  return [a.map((x) => (x as number) * 2), a.filter((x) => (x as number) > 1), a.reduce((s: number, x) => s + (x as number), 0)]
})

both('concurrent splices on two piped arrays converge (the r-array replicate test)', async ({ make, settle }) => {
  const a = make()
  const b = make()
  pipe(a, b)
  a.splice(0, 0, 'A', 'B', 'C', 'D')
  b.push('hello!')
  await settle(a, b)
  const ja = a.toJSON()
  return [same(a, b), [...ja].sort()]
})

both('a widget fed by update events and keys renders the array, also for a peer', async ({ make, settle }) => {
  // What r-array/widget.js does with the DOM, on a plain array of [key, value].
  const render = (arr: RArrayLike): Array<[string, unknown]> => {
    const els: Array<[string, unknown]> = arr.keys.map((k) => [k, arr.get(k)])
    arr.on('update', (change: Record<string, unknown>) => {
      for (const key of Object.keys(change)) {
        const at = els.findIndex((e) => e[0] === key)
        if (change[key] === null) { if (at >= 0) els.splice(at, 1); continue }
        if (at >= 0) { (els[at] as [string, unknown])[1] = change[key]; continue }
        const next = arr.keys[arr.indexOfKey(key) + 1]
        const before = els.findIndex((e) => e[0] === next)
        els.splice(before < 0 ? els.length : before, 0, [key, change[key]])
      }
    })
    return els
  }
  const a = make('one')
  const b = make()
  const shown = render(b)
  pipe(a, b)
  a.push('three')
  a.splice(1, 0, 'two')
  await settle(a, b)
  a.splice(0, 1, 'ONE')
  a.pop()
  await settle(a, b)
  return shown.map((e) => e[1])
})

test('grapevine/r-array: callable without new, items not an id, no silent old-style subclassing', (t) => {
  const a = (RArray as unknown as (...items: unknown[]) => RA)('x', 'y')
  t.ok(a instanceof RArray)
  t.deepEqual(a.toJSON(), ['x', 'y'], 'string arguments are items')
  t.notEqual(a.id, 'x')
  t.deepEqual(new RArray({ id: 'o' }).toJSON(), [{ id: 'o' }], 'an object argument is an item too')
  function Old (this: unknown): void { RArray.call(this) }
  Object.setPrototypeOf(Old.prototype, RArray.prototype)
  t.throws(() => new (Old as unknown as new () => unknown)(), (e: { code?: string }) => e.code === 'ERR_INVALID_ARGUMENT', 'RArray.call(this) throws a coded error')
  class Mine extends RArray { hello (): string { return 'hi' } }
  t.equal(new Mine('q').hello(), 'hi', 'class extends works')
  t.end()
})

test('grapevine/r-array: set/unset by key, first/last keys, indexOf, clone, and the replica events on lifecycle', async (t) => {
  const a = new RArray('p', 'q', 'r')
  const replica: unknown[] = []
  const raw: unknown[] = []
  a.lifecycle.on('update', (u: unknown) => replica.push(u))
  a.on('_update', (u: unknown) => raw.push(u))
  a.set(a.last() as string, 'R')
  a.unset(a.first() as string)
  a.set(a.first() as string, null)
  t.deepEqual(a.toJSON(), ['R'])
  t.equal(replica.length, 3, 'the replica\'s update events are on lifecycle')
  t.equal(raw.length, 3, '_update fires per accepted update')
  t.equal(a.indexOf('R'), 0)
  t.equal(a.indexOf('nope'), null)
  t.throws(() => a.set('made-up', 1), /no item has the key/)
  a.unset('made-up')
  const copy = a.clone()
  t.deepEqual(copy.toJSON(), ['R'], 'clone holds the same items (not its options as an item)')
  t.ok(copy instanceof RArray)
  t.equal(a.history(new VectorClock()).length > 0, true)
  a.push('S')
  await until(() => copy.length === 2)
  a.dispose()
  copy.dispose()
})

test('grapevine/r-array: concurrent replaces of one item keep one value on both replicas', async (t) => {
  const a = new RArray('x', 'y')
  const b = new RArray()
  const d = await syncPair(a, b)
  d()
  await d.closed
  a.splice(0, 1, 'from a')
  b.splice(0, 1, 'from b')
  b.splice(1, 1)
  await syncPair(a, b)
  await until(() => JSON.stringify(a.toJSON()) === JSON.stringify(b.toJSON()))
  t.equal(a.length, 1, 'replaced in place, not duplicated; the delete of y reached a')
  t.ok(['from a', 'from b'].includes(a.get(0) as string), `one winner: ${String(a.get(0))}`)
  a.dispose()
  b.dispose()
})
