import test from 'tape'
import { ORSet, VectorClock } from '../../index'
import { syncPair, until } from '../helpers/replicas'

test('add, has, delete, size and values behave like a set of JSON values', (t) => {
  const s = new ORSet('a')
  s.add(1).add('x').add({ a: 1, b: [2] })
  t.ok(s.has({ b: [2], a: 1 }), 'identity is canonical JSON: key order does not matter')
  t.equal(s.size, 3)
  s.add(1)
  t.equal(s.size, 3, 'adding a present value keeps one element')
  t.ok(s.delete(1))
  t.notOk(s.delete(1), 'deleting an absent value returns false')
  t.notOk(s.has(1))
  t.deepEqual(s.values(), ['x', { a: 1, b: [2] }])
  t.equal(s.tombstones, 1)
  t.throws(() => s.add(undefined), /plain JSON/)
  t.throws(() => s.add(new Date()), /plain JSON/)
  t.throws(() => s.add(Number.NaN), /plain JSON/)
  t.end()
})

test('values named like Object.prototype members are plain data', (t) => {
  const s = new ORSet('a')
  for (const v of ['__proto__', 'constructor', 'toString', { __proto__: null, constructor: 1 }]) s.add(v)
  s.add(JSON.parse('{"__proto__": 5}'))
  t.equal(s.size, 5)
  t.ok(s.has('__proto__'))
  t.ok(s.has(JSON.parse('{"__proto__": 5}')))
  t.end()
})

test('add and delete events fire when an element appears and disappears', (t) => {
  const s = new ORSet('a')
  const seen: unknown[] = []
  s.on('add', (v: unknown) => seen.push(['add', v]))
  s.on('delete', (v: unknown) => seen.push(['delete', v]))
  s.add('x').add('x')
  s.delete('x')
  t.deepEqual(seen, [['add', 'x'], ['delete', 'x']])
  t.end()
})

test('a concurrent add and delete of the same element leave it present (add wins)', async (t) => {
  const a = new ORSet('a')
  const b = new ORSet('b')
  a.add('x')
  const d1 = await syncPair(a, b)
  d1()
  await d1.closed
  a.delete('x')
  b.add('x') // concurrent: a's delete has not seen this add
  await syncPair(a, b)
  await until(() => a.has('x') && b.has('x'), 5000, 'x present on both')
  t.ok(a.has('x') && b.has('x'), 'present on both replicas')
  t.equal(a.size, 1)
  a.dispose()
  b.dispose()
})

test('a delete reaches a replica that was offline, also through a third replica', async (t) => {
  const a = new ORSet('a')
  const b = new ORSet('b')
  const c = new ORSet('c')
  a.add('x').add('y')
  const ab = await syncPair(a, b)
  const bc = await syncPair(b, c)
  await until(() => c.has('x'))
  bc()
  await bc.closed
  a.delete('x') // c is offline
  await until(() => !b.has('x'))
  ab()
  await ab.closed
  await syncPair(b, c) // a is gone; b carries the delete to c
  await until(() => !c.has('x'), 5000, 'delete reached c')
  t.deepEqual(c.values(), ['y'])
  for (const r of [a, b, c]) r.dispose()
})

test('a delete that arrives before the add it observed still removes it', (t) => {
  const a = new ORSet('a')
  const b = new ORSet('b')
  const c = new ORSet('c')
  a.add('x')
  for (const u of a.history(new VectorClock())) b.receive(u)
  b.delete('x')
  // c hears b's delete first, a's add afterwards (different paths).
  for (const u of b.history(new VectorClock())) if (u[2] === 'b') c.receive(u)
  t.notOk(c.has('x'))
  for (const u of a.history(new VectorClock())) t.equal(c.receive(u).status, 'applied')
  t.notOk(c.has('x'), 'the add arriving late is covered by the delete')
  t.equal(c.size, 0)
  t.equal([...b.history(new VectorClock())].length, 1, 'b keeps only the delete: the removed add is not replicated again')
  t.end()
})

test('a delete naming adds from the future is rejected', (t) => {
  const s = new ORSet('a')
  const r = s.receive([['delete', 'x', [['p', 50]]], 10 as never, 'q' as never])
  t.equal(r.status, 'rejected')
  t.equal(s.receive([['nope', 1], 11 as never, 'q' as never]).status, 'rejected')
  t.equal(s.tombstones, 0)
  t.end()
})

test('a reconnect sends only the adds and deletes the peer is missing', async (t) => {
  const a = new ORSet('a')
  const b = new ORSet('b')
  for (let i = 0; i < 20; i++) a.add(i)
  const d1 = await syncPair(a, b)
  d1()
  await d1.closed
  a.add('new1').add('new2')
  a.delete(3)
  const d2 = await syncPair(a, b)
  t.equal(d2.a.stats.updatesSent, 3, 'two adds and one delete')
  t.equal(d2.b.stats.updatesSent, 0)
  await until(() => b.size === 21)
  t.notOk(b.has(3))
  a.dispose()
  b.dispose()
})

test('tombstones stay at one per deleted element when it is re-added and re-deleted', (t) => {
  const s = new ORSet('a')
  for (let i = 0; i < 50; i++) {
    s.add('x')
    s.delete('x')
  }
  t.equal(s.tombstones, 1)
  t.equal([...s.history(new VectorClock())].length, 1, 'the latest delete covers all earlier ones')
  t.end()
})

test('pruneTombstones drops tombstones every replica has seen, and only those', async (t) => {
  const a = new ORSet('a')
  const b = new ORSet('b')
  a.add('x').add('y')
  await syncPair(a, b)
  a.delete('x')
  await until(() => !b.has('x'))
  const stableBefore = new VectorClock(b.clock) // b has seen a's delete
  t.equal(a.pruneTombstones(new VectorClock()), 0, 'nothing is stable under an empty clock')
  b.add('z')
  b.delete('y') // not yet seen by a: a stable clock from before must not prune it
  await until(() => !a.has('y'))
  t.equal(a.tombstones, 2)
  t.equal(a.pruneTombstones(stableBefore), 1, 'only the delete both had seen is pruned')
  t.equal(a.tombstones, 1)
  const fresh = new ORSet('c')
  await syncPair(a, fresh)
  await until(() => fresh.has('z'))
  t.deepEqual(fresh.values(), a.values(), 'a replica joining later converges without the pruned tombstone')
  for (const r of [a, b, fresh]) r.dispose()
})
