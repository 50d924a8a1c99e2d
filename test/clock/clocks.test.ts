import test from 'tape'
import { HybridClock, TICK, VectorClock } from '../../index'
import { sourceId, timestamp } from '../../lib/wire/types'

const S = sourceId

test('vector clock: advance only moves forward; isNewer compares per source', (t) => {
  const c = new VectorClock()
  t.ok(c.isNewer(S('a'), 1), 'anything is newer than nothing')
  t.ok(c.advance(S('a'), timestamp(5)))
  t.notOk(c.advance(S('a'), timestamp(3)), 'never moves back')
  t.equal(c.get(S('a')), 5)
  t.notOk(c.isNewer(S('a'), 5), 'equal is not newer')
  t.ok(c.isNewer(S('a'), 5.5))
  t.end()
})

test('vector clock: merge takes the pointwise maximum', (t) => {
  const a = new VectorClock([[S('x'), timestamp(1)], [S('y'), timestamp(9)]])
  const b = new VectorClock([[S('x'), timestamp(4)], [S('z'), timestamp(2)]])
  a.merge(b)
  t.deepEqual(a.toJSON(), { x: 4, y: 9, z: 2 })
  t.end()
})

test('vector clock: toJSON is a fresh copy; prototype-named sources stay data', (t) => {
  const c = new VectorClock([[S('constructor'), timestamp(3)], [S('toString'), timestamp(4)]])
  const j = c.toJSON()
  Reflect.set(j, 'constructor', 99)
  t.equal(c.get(S('constructor')), 3, 'mutating the copy does not touch the clock')
  t.equal(JSON.stringify(c.toJSON()), '{"constructor":3,"toString":4}')
  t.end()
})

test('vector clock: fromJSON validates peer data', (t) => {
  t.deepEqual(VectorClock.fromJSON({ a: 1, b: null, c: 0 }).toJSON(), { a: 1 }, 'null and 0 mean nothing seen')
  for (const bad of [null, [], 'x', { a: 'x' }, { a: -1 }, { a: Infinity }, { '': 1 }]) {
    t.throws(() => VectorClock.fromJSON(bad), /clock/, `rejects ${JSON.stringify(bad)}`)
  }
  t.throws(() => VectorClock.fromJSON(JSON.parse('{"__proto__":1}')), /invalid source/)
  t.throws(() => VectorClock.fromJSON({ a: 1, b: 2 }, 1), /limit/)
  t.end()
})

test('hybrid clock: strictly increasing within one millisecond', (t) => {
  const h = new HybridClock(() => 1000)
  const a = h.next()
  const b = h.next()
  t.equal(a, 1000)
  t.equal(b, 1000 + TICK, 'steps by one tick, exactly representable')
  t.end()
})

test('hybrid clock: follows the wall clock forward, never goes back with it', (t) => {
  let now = 5000
  const h = new HybridClock(() => now)
  t.equal(h.next(), 5000)
  now = 6000
  t.equal(h.next(), 6000, 'not behind the wall clock when it moves forward')
  now = 2000
  const after = h.next()
  t.ok(after > 6000, 'a step back does not make timestamps go back')
  t.end()
})

test('hybrid clock: issues past every timestamp observed', (t) => {
  const h = new HybridClock(() => 1000)
  h.observe(9000.5)
  t.ok(h.next() > 9000.5)
  h.observe(10)
  t.ok(h.last > 9000.5, 'observing an old timestamp changes nothing')
  t.end()
})

test('hybrid clock: step-back-proof reference ignores a wall clock stepping back', (t) => {
  let now = 1_000_000
  const h = new HybridClock(() => now)
  t.ok(h.wallNow() - 1_000_000 < 50, 'follows the wall clock')
  now -= 3600_000
  t.ok(h.wallNow() >= 1_000_000, 'reference carried forward')
  now = 2_000_000
  t.equal(h.wallNow(), 2_000_000, 'a wall clock moving forward is followed')
  t.end()
})

test('hybrid clock: stays strictly increasing with huge timestamps', (t) => {
  const h = new HybridClock(() => 0)
  h.observe(2 ** 60)
  const a = h.next()
  const b = h.next()
  t.ok(b > a && a > 2 ** 60)
  t.end()
})
