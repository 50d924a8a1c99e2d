import test from 'tape'
import { GrapevineError, Reducer, type ReducerSpec, isGrapevineError } from '../../index'
import { syncPair, until } from '../helpers/replicas'
import { tagsAndMax } from '../helpers/reducers'

type Change = { tag?: string, max?: number }

test('update applies a change, returns the applied part, and null when nothing changed', (t) => {
  const r = new Reducer({ id: 'a', ...tagsAndMax() })
  const seen: unknown[] = []
  r.on('change', (applied: unknown) => seen.push(applied))
  t.deepEqual(r.update({ tag: 'x' }), { tag: 'x' })
  t.equal(r.update({ tag: 'x' }), null, 'a repeat has no effect')
  t.deepEqual(r.update({ max: 3 }), { max: 3 })
  t.equal(r.update({ max: 2 }), null)
  t.deepEqual(r.state, { tags: ['x'], max: 3 })
  t.equal(r.size, 2, 'only effective changes are kept')
  t.equal(r.counters.local, 2, 'no-op changes are never sent')
  t.deepEqual(seen, [{ tag: 'x' }, { max: 3 }])
  t.throws(() => r.update(undefined as unknown as Change), /plain JSON/)
  t.throws(() => new Reducer({ reduce: () => null, initial: 5 as unknown as object }), /object or array/)
  t.end()
})

test('two replicas written concurrently converge and exchange only what each lacks', async (t) => {
  const a = new Reducer({ id: 'a', ...tagsAndMax() })
  const b = new Reducer({ id: 'b', ...tagsAndMax() })
  for (let i = 0; i < 10; i++) a.update({ tag: `a${i}` })
  b.update({ max: 9 })
  b.update({ tag: 'a3' }) // also written on a: converges to one copy
  const d1 = await syncPair(a, b)
  t.deepEqual(a.state, b.state)
  t.equal(a.state.tags.length, 10)
  d1()
  await d1.closed
  a.update({ tag: 'late' })
  a.update({ max: 20 })
  a.update({ max: 1 }) // no effect, not sent
  const d2 = await syncPair(a, b)
  t.equal(d2.a.stats.updatesSent, 2, 'a reconnect sends the two missing changes only')
  t.equal(d2.b.stats.updatesSent, 0)
  await until(() => b.state.max === 20)
  t.deepEqual(a.state, b.state)
  a.dispose()
  b.dispose()
})

test('a peer change the spec refuses is rejected and changes nothing', (t) => {
  const r = new Reducer({ id: 'a', ...tagsAndMax() })
  t.equal(r.receive([{ nope: 1 }, 1 as never, 'p' as never]).status, 'rejected')
  t.equal(r.receive([null, 2 as never, 'p' as never]).status, 'rejected')
  t.deepEqual(r.state, { tags: [], max: 0 })
  t.end()
})

test('Reducer.check accepts a reducer that follows the rules', (t) => {
  t.doesNotThrow(() => Reducer.check(tagsAndMax(), [{ tag: 'x' }, { tag: 'y' }, { max: 3 }, { max: 1 }, { tag: 'x' }]))
  t.end()
})

/** Expect ERR_REDUCER_RULE naming `rule`. */
function expectRule (t: test.Test, fn: () => void, rule: string): void {
  try {
    fn()
    t.fail(`expected the ${rule} rule to break`)
  } catch (err) {
    t.ok(isGrapevineError(err, 'ERR_REDUCER_RULE'), `coded ERR_REDUCER_RULE (${String(err)})`)
    t.equal((err as GrapevineError).details.rule, rule, `names the ${rule} rule`)
  }
}

test('Reducer.check catches a last-write register: not commutative', (t) => {
  const lastWrite: ReducerSpec<{ v: number }, number> = {
    initial: { v: 0 },
    reduce (s, c) { if (s.v === c) return null; s.v = c; return c }
  }
  expectRule(t, () => Reducer.check(lastWrite, [1, 2]), 'commutative')
  t.end()
})

test('Reducer.check catches a sum: not idempotent', (t) => {
  const sum: ReducerSpec<{ n: number }, number> = {
    initial: { n: 0 },
    reduce (s, c) { s.n += c; return c }
  }
  expectRule(t, () => Reducer.check(sum, [1, 2]), 'idempotent')
  t.end()
})

test('Reducer.check catches impure, non-JSON and lying reducers', (t) => {
  const random: ReducerSpec<{ r: number[] }, number> = {
    initial: { r: [] },
    reduce (s, c) { if (s.r.length > 0) return null; s.r.push(c + Math.random()); return c }
  }
  expectRule(t, () => Reducer.check(random, [1]), 'pure')
  const dates: ReducerSpec<{ at?: unknown }, number> = {
    initial: {},
    reduce (s, c) { s.at = new Date(c); return c }
  }
  expectRule(t, () => Reducer.check(dates, [1]), 'json')
  const liar: ReducerSpec<{ seen: number[] }, number> = {
    initial: { seen: [] },
    reduce (s, c) { if (!s.seen.includes(c)) s.seen.push(c); return null }
  }
  expectRule(t, () => Reducer.check(liar, [1]), 'no-op')
  t.end()
})

test('dev-mode check throws at the call site before a bad change is applied or sent', (t) => {
  const r = new Reducer<{ v: number }, number>({
    id: 'a',
    check: true,
    initial: { v: 0 },
    reduce (s, c) { if (s.v === c) return null; s.v = c; return c }
  })
  r.update(1)
  expectRule(t, () => r.update(2), 'commutative')
  t.deepEqual(r.state, { v: 1 }, 'state unchanged by the refused change')
  t.equal(r.counters.local, 1, 'nothing sent')
  t.end()
})

test('a reducer that breaks the rules really diverges over streams (why the check exists)', async (t) => {
  const spec = (): ReducerSpec<{ v: number }, number> => ({
    initial: { v: 0 },
    reduce (s, c) { if (s.v === c) return null; s.v = c; return c }
  })
  const a = new Reducer({ id: 'a', ...spec() })
  const b = new Reducer({ id: 'b', ...spec() })
  a.update(1)
  b.update(2)
  await syncPair(a, b)
  t.notDeepEqual(a.state, b.state, 'each replica applied the other\'s write last')
  a.dispose()
  b.dispose()
})
