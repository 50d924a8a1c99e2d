import test from 'tape'
import { Counter, Doc, ORSet, Reducer, VectorClock } from '../../index'
import { until } from '../helpers/replicas'
import { tagsAndMax } from '../helpers/reducers'

test('clone() of each new type starts with the same state and stays in sync', async (t) => {
  const c = new Counter('c')
  c.increment(4)
  const s = new ORSet('s')
  s.add('x').add('y')
  s.delete('y')
  const r = new Reducer({ id: 'r', ...tagsAndMax() })
  r.update({ tag: 't' })
  const d = new Doc('d')
  d.add({ id: 'row', n: 1 })
  d.add({ id: 'gone' })
  d.rm('gone')

  const c2 = c.clone()
  const s2 = s.clone()
  const r2 = r.clone()
  const d2 = d.clone()
  t.equal(c2.value, 4)
  t.deepEqual(s2.values(), ['x'])
  t.deepEqual(r2.state, r.state)
  t.deepEqual(d2.toJSON(), d.toJSON())
  t.notEqual(r2.id, r.id, 'a clone writes under its own id')

  c.increment()
  s.add('z')
  r.update({ max: 5 })
  d.get('row')?.set('n', 2)
  await until(() => c2.value === 5 && s2.has('z') && r2.state.max === 5 && d2.get('row')?.get('n') === 2, 5000, 'clones follow')
  t.pass('clones follow later writes')
  for (const x of [c, s, r, d, c2, s2, r2, d2]) x.dispose()
})

test('a removal that arrives before the add of its row keeps the row removed', (t) => {
  const a = new Doc('a')
  const b = new Doc('b')
  const c = new Doc('c')
  a.add({ id: 'r', x: 1 })
  for (const u of a.history(new VectorClock())) b.receive(u)
  b.rm('r')
  // c hears b's removal first, then a's add: the add is older, so it stays dropped.
  for (const u of b.history(new VectorClock())) if (u[2] === 'b') t.equal(c.receive(u).status, 'applied')
  for (const u of a.history(new VectorClock())) t.equal(c.receive(u).status, 'applied')
  t.notOk(c.has('r'))
  t.equal(c.size, 0)
  t.equal(c.tombstones, 1)
  t.end()
})
