import test from 'tape'
import { List, Text } from '../../index'
import type { Rng } from '../helpers/rng'
import { runConvergence } from './convergence'

// A few hundred scenarios per type in CI (each run well under 10 s); CONFORMANCE_RUNS overrides.
const RUNS = { runs: Number(process.env.CONFORMANCE_RUNS ?? 300) }

// Inserts favour a few fixed indexes, so replicas often write at the same spot.
function spot (rng: Rng, length: number): number {
  return rng.chance(0.5) ? Math.min(length, rng.pick([0, 1, 2])) : rng.int(0, length)
}

test('List converges under random inserts, deletes, moves, replaces, splices, pops and shifts, with no duplicates', async (t) => {
  let counter = 0
  const fresh = (l: List): string => `${l.id}.${counter++}`
  await runConvergence(t, {
    name: 'List',
    create: (o) => new List(o),
    randomOp: (l, rng) => {
      const roll = rng.next()
      if (l.length > 0 && roll < 0.15) l.delete(rng.int(0, l.length - 1))
      else if (l.length > 1 && roll < 0.35) l.move(rng.int(0, l.length - 1), spot(rng, l.length - 1))
      else if (l.length > 0 && roll < 0.45) l.set(spot(rng, l.length - 1), fresh(l))
      else if (roll < 0.55) {
        const values: string[] = []
        for (let i = rng.int(0, 3); i > 0; i--) values.push(fresh(l))
        l.splice(spot(rng, l.length), rng.int(0, 3), ...values)
      } else if (roll < 0.6) l.pop()
      else if (roll < 0.65) l.shift()
      else if (roll < 0.72) l.push(fresh(l), fresh(l))
      else l.insert(spot(rng, l.length), fresh(l))
    },
    state: (l) => l.toArray(),
    check: (replicas, tt) => {
      for (const r of replicas) {
        const arr = r.toArray()
        if (new Set(arr).size !== arr.length) tt.fail(`${r.id} holds a duplicate: ${JSON.stringify(arr)}`)
        if (r.pending !== 0) tt.fail(`${r.id} still holds ${r.pending} updates`)
      }
    }
  }, RUNS)
})

test('Text converges under random typing, pasting and deleting at shared spots', async (t) => {
  await runConvergence(t, {
    name: 'Text',
    create: (o) => new Text(o),
    randomOp: (x, rng) => {
      if (x.length > 0 && rng.chance(0.3)) x.delete(rng.int(0, x.length - 1), rng.int(1, 3))
      else x.insert(spot(rng, x.length), rng.chance(0.7) ? x.id.slice(1) : `<${x.id}>`)
    },
    state: (x) => x.toString(),
    check: (replicas, tt) => {
      for (const r of replicas) if (r.pending !== 0) tt.fail(`${r.id} still holds ${r.pending} updates`)
    }
  }, RUNS)
})
