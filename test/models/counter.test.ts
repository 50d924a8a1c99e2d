import test from 'tape'
import { Counter, VectorClock } from '../../index'
import { syncPair, until } from '../helpers/replicas'

test('increment and decrement move the value; bad amounts throw', (t) => {
  const c = new Counter('a')
  c.increment().increment(5).decrement(2).decrement()
  t.equal(c.value, 3)
  c.increment(-4)
  t.equal(c.value, -1)
  t.throws(() => c.increment(1.5), /safe integer/)
  t.throws(() => c.decrement(Number.NaN), /safe integer/)
  t.equal(JSON.stringify(c), '-1')
  t.end()
})

test('change events carry the new value', (t) => {
  const c = new Counter('a')
  const seen: number[] = []
  c.on('change', (v: number) => seen.push(v))
  c.increment(2).decrement(5).increment(0)
  t.deepEqual(seen, [2, -3])
  t.end()
})

test('concurrent increments on disconnected replicas all count after reconnect', async (t) => {
  const a = new Counter('a')
  const b = new Counter('b')
  const c = new Counter('c')
  for (let i = 0; i < 50; i++) a.increment()
  for (let i = 0; i < 30; i++) b.decrement()
  c.increment(7)
  await syncPair(a, b)
  await syncPair(b, c)
  await until(() => a.value === 27 && b.value === 27 && c.value === 27, 5000, 'all at 27')
  t.equal(a.value, 27)
  for (const r of [a, b, c]) r.dispose()
})

test('history holds one update per source, however many increments', (t) => {
  const a = new Counter('a')
  const b = new Counter('b')
  for (let i = 0; i < 1000; i++) a.increment()
  for (let i = 0; i < 500; i++) b.decrement()
  for (const u of a.history(new VectorClock())) b.receive(u)
  t.equal(b.value, 500)
  t.equal([...b.history(new VectorClock())].length, 2, 'two sources, two updates')
  t.equal(b.sources, 2)
  t.end()
})

test('a reconnect sends one update per source that changed, not one per increment', async (t) => {
  const a = new Counter('a')
  const b = new Counter('b')
  a.increment(3)
  b.increment(4)
  const d1 = await syncPair(a, b)
  d1()
  await d1.closed
  for (let i = 0; i < 100; i++) a.increment()
  const d2 = await syncPair(a, b)
  t.equal(d2.a.stats.updatesSent, 1, 'a sends its latest totals only')
  t.equal(d2.b.stats.updatesSent, 0, 'b has nothing a is missing')
  await until(() => b.value === 107)
  t.equal(b.value, 107)
  a.dispose()
  b.dispose()
})

test('a peer update with negative or fractional totals is rejected and changes nothing', (t) => {
  const c = new Counter('a')
  const bad = [[-1, 0], [1.5, 0], [1], 'x', [1, 2, 3]]
  let ts = 1
  for (const change of bad) {
    const r = c.receive([change, ts++ as never, 'p' as never])
    t.equal(r.status, 'rejected', `rejects ${JSON.stringify(change)}`)
  }
  t.equal(c.value, 0)
  t.equal(c.clock.get('p' as never), 0, 'clock untouched')
  t.end()
})
