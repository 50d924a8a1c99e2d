import test from 'tape'
import { Events, Model, Value } from '../../index'
import { runConvergence } from './convergence'

const KEYS = ['a', 'b', 'c', '__proto__', 'constructor']

test('Model converges under random ops, topologies, disconnects and re-delivery', async (t) => {
  await runConvergence(t, {
    name: 'Model',
    create: (o) => new Model(o),
    randomOp: (m, rng) => {
      const k = rng.pick(KEYS)
      if (rng.chance(0.2)) m.delete(k)
      else m.set(k, rng.int(0, 9))
    },
    state: (m) => [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))
  })
})

test('Value converges to one winner', async (t) => {
  await runConvergence(t, {
    name: 'Value',
    create: (o) => new Value(o),
    randomOp: (v, rng) => { v.set(rng.int(0, 99)) },
    state: (v) => v.get() ?? null
  })
})

test('Events converge and each event is delivered exactly once per replica', async (t) => {
  const delivered = new Map<Events, number>()
  const names = ['chat', 'error', 'dispose', 'close', '__proto__']
  await runConvergence(t, {
    name: 'Events',
    create: (o) => {
      const e = new Events(o)
      delivered.set(e, 0)
      for (const n of names) e.on(n, () => { delivered.set(e, (delivered.get(e) ?? 0) + 1) })
      return e
    },
    randomOp: (e, rng) => { e.emit(rng.pick(names), rng.int(0, 9)) },
    state: (e) => e.events(),
    check: (replicas, tt) => {
      for (const r of replicas) {
        if (delivered.get(r) !== r.size) tt.fail(`${r.id} delivered ${delivered.get(r)} events but holds ${r.size}`)
      }
    }
  })
})
