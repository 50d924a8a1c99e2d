import test from 'tape'
import { Model, VectorClock, sourceId, timestamp } from '../../index'
import { runConvergence } from '../conformance/convergence'
import { syncPair } from '../helpers/replicas'

test('set(key, null) is a delete: has() false, toJSON drops it, get() gives null', (t) => {
  const m = new Model('a')
  m.set('k', 1).set('other', 2)
  m.set('k', null)
  t.equal(m.has('k'), false)
  t.equal(m.get('k'), null, 'get returns null, as scuttlebutt does')
  t.deepEqual(m.toJSON(), { other: 2 })
  t.equal(m.size, 1)
  t.equal(m.tombstones, 1)
  t.deepEqual(m.keys(), ['other'])
  t.deepEqual([...m.entries()], [['other', 2]])
  m.set('k', 3)
  t.equal(m.has('k'), true, 'a later set brings the key back')
  t.equal(m.size, 2)
  t.equal(m.tombstones, 0)
  t.end()
})

test('a null delete keeps its wire form in history, so a signed [key, null] still verifies', (t) => {
  const m = new Model('a')
  m.set('k', null)
  m.delete('j')
  const h = [...m.history(new VectorClock())]
  t.deepEqual(h.map((u) => u[0]), [['k', null], ['j']])
  t.end()
})

test('a peer\'s [key, null] update deletes the key here, and reports null on change', (t) => {
  const m = new Model('a')
  m.set('k', 'v')
  const seen: unknown[] = []
  m.on('change', (key, value) => seen.push([key, value]))
  const r = m.receive([['k', null], timestamp(m.clock.get(m.id) + 1), sourceId('peer')])
  t.equal(r.status, 'applied')
  t.equal(m.has('k'), false)
  t.deepEqual(seen, [['k', null]])
  t.end()
})

test('a null delete replicates and looks the same on every grapevine peer', async (t) => {
  const a = new Model('a')
  const b = new Model('b')
  a.set('k', 1).set('keep', true)
  const d = await syncPair(a, b)
  a.set('k', null)
  await new Promise<void>((resolve) => b.once('change', () => resolve()))
  t.deepEqual(b.toJSON(), { keep: true })
  t.equal(b.has('k'), false)
  t.equal(b.get('k'), null)
  t.deepEqual(a.toJSON(), b.toJSON())
  d()
})

test('Model with null deletes converges under random ops, topologies, disconnects and re-delivery', async (t) => {
  const KEYS = ['a', 'b', '__proto__']
  await runConvergence(t, {
    name: 'Model (null deletes)',
    create: (o) => new Model(o),
    randomOp: (m, rng) => {
      const k = rng.pick(KEYS)
      const r = rng.int(0, 9)
      if (r < 2) m.set(k, null)
      else if (r < 3) m.delete(k)
      else m.set(k, r)
    },
    // get() tells a null delete from a [key] delete: both must agree too.
    state: (m) => KEYS.map((k) => [k, m.has(k), m.get(k) ?? 'absent', m.get(k) === null]).concat([[m.size, m.tombstones]])
  }, { runs: Number(process.env.CONFORMANCE_RUNS ?? 40) })
})
