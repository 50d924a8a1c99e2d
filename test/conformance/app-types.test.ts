import test from 'tape'
import { Counter, Doc, ORSet, Reducer, VectorClock, canonicalJSON, type RowSeq, type RowSet, type SourceId, type Timestamp } from '../../index'
import { runConvergence } from './convergence'
import { tagsAndMax, type TagsAndMax } from '../helpers/reducers'

// CI runs a few hundred scenarios per type; `npm run conformance` sets CONFORMANCE_RUNS to thousands.
const RUNS = { runs: Number(process.env.CONFORMANCE_RUNS ?? 250) }

test('Counter converges and holds one update per source', async (t) => {
  await runConvergence(t, {
    name: 'Counter',
    create: (o) => new Counter(o),
    randomOp: (c, rng) => {
      const n = rng.int(1, 5)
      if (rng.chance(0.4)) c.decrement(n)
      else c.increment(n)
    },
    state: (c) => c.value,
    check: (replicas, tt) => {
      for (const r of replicas) {
        if (r.sources > replicas.length) tt.fail(`${r.id} holds ${r.sources} sources for ${replicas.length} replicas`)
      }
    }
  }, RUNS)
})

const ELEMENTS: unknown[] = [1, 'a', '__proto__', 'constructor', null, [1, 2], { a: 1, b: 2 }, { b: 2, a: 1 }, { __proto__: 1 }]

/** Pointwise minimum of the replicas' clocks: what every one of them has seen. */
function stableClock (replicas: Iterable<ORSet>): VectorClock {
  const list = [...replicas]
  const sources = new Set<SourceId>()
  for (const r of list) for (const [s] of r.clock) sources.add(s)
  const out = new VectorClock()
  for (const s of sources) {
    const min = Math.min(...list.map((r) => r.clock.get(s)))
    if (min > 0) out.advance(s, min as Timestamp)
  }
  return out
}

test('ORSet converges under concurrent adds, deletes and tombstone pruning', async (t) => {
  // This scenario's replicas (r0 is always created first), for the stable clock.
  const current = new Map<string, ORSet>()
  await runConvergence(t, {
    name: 'ORSet',
    create: (o) => {
      if (o.id === 'r0') current.clear()
      const s = new ORSet(o)
      current.set(o.id, s)
      return s
    },
    randomOp: (s, rng) => {
      const v = rng.pick(ELEMENTS)
      const roll = rng.next()
      if (roll < 0.35) s.delete(v)
      else if (roll < 0.45) s.pruneTombstones(stableClock(current.values()))
      else s.add(v)
    },
    state: (s) => s.values().map((v) => canonicalJSON(v)).sort(),
    check: (replicas, tt) => {
      for (const r of replicas) {
        if (r.size !== r.values().length) tt.fail(`${r.id} size ${r.size} but ${r.values().length} values`)
      }
    }
  }, RUNS)
})

test('Reducer converges with a commutative, idempotent reducer', async (t) => {
  await runConvergence(t, {
    name: 'Reducer',
    create: (o) => new Reducer<TagsAndMax, { tag?: string, max?: number }>({ ...o, ...tagsAndMax() }),
    randomOp: (r, rng) => {
      if (rng.chance(0.5)) r.update({ tag: rng.pick(['x', 'y', 'z', '__proto__', 'constructor']) })
      else r.update({ max: rng.int(0, 50) })
    },
    state: (r) => canonicalJSON(r.state)
  }, RUNS)
})

const ROW_IDS = ['a', 'b', 'c', '__proto__', 'constructor']
const FIELDS = ['x', 'y', '_sort', 'toString']

test('Doc converges: rows, fields, removals and live queries', async (t) => {
  const queries = new Map<Doc, { set: RowSet, fn: RowSet, seq: RowSeq }>()
  await runConvergence(t, {
    name: 'Doc',
    create: (o) => {
      const d = new Doc(o)
      queries.set(d, { set: d.createSet('x', 1), fn: d.createSet((row) => row.y === 2), seq: d.createSeq('x', 1) })
      return d
    },
    randomOp: (d, rng) => {
      const id = rng.pick(ROW_IDS)
      const row = d.get(id)
      const roll = rng.next()
      const seq = queries.get(d)?.seq
      if (seq !== undefined && roll < 0.3) {
        // Sequence editing: place rows at random spots, take them out again.
        const at = seq.size > 0 ? seq.at(rng.int(0, seq.size - 1)) : undefined
        const pick = rng.next()
        if (pick < 0.2) seq.push({ id, y: rng.int(0, 3) })
        else if (pick < 0.35) seq.unshift(d.has(id) ? id : { id })
        else if (pick < 0.55 && at !== undefined) seq.after({ id }, at)
        else if (pick < 0.7 && at !== undefined) seq.before({ id }, at)
        else if (pick < 0.8) seq.insert({ id }, seq.first(), seq.next(seq.first()))
        else if (pick < 0.9) seq.pop()
        else seq.shift()
      } else if (row === undefined || roll < 0.4) {
        if (rng.chance(0.5)) d.add({ id, [rng.pick(FIELDS)]: rng.int(0, 3) })
        else d.set(id, { [rng.pick(FIELDS)]: rng.int(0, 3) })
      } else if (roll < 0.55) {
        d.rm(id)
      } else if (roll < 0.85) {
        row.set(rng.pick(FIELDS), rng.int(0, 3))
      } else {
        row.set({ x: rng.int(0, 2), y: rng.int(0, 2) })
      }
    },
    state: (d) => {
      const q = queries.get(d)
      return {
        rows: d.rows().map((r) => canonicalJSON(r.toJSON())).sort(),
        seq: q?.seq.toArray().map((r) => r.id)
      }
    },
    check: (replicas, tt) => {
      for (const d of replicas) {
        const q = queries.get(d)
        if (q === undefined) continue
        const want = (f: (r: Record<string, unknown>) => boolean): string => d.rows().map((r) => r.toJSON()).filter(f).map((r) => r.id).sort().join()
        const got = (s: RowSet): string => s.rows().map((r) => r.id).sort().join()
        if (got(q.set) !== want((r) => r.x === 1)) tt.fail(`${d.id} createSet('x', 1) is stale: ${got(q.set)}`)
        if (got(q.fn) !== want((r) => r.y === 2)) tt.fail(`${d.id} createSet(filter) is stale: ${got(q.fn)}`)
        if (got(q.seq) !== got(q.set)) tt.fail(`${d.id} createSeq members differ from createSet`)
      }
    }
  }, RUNS)
})
