import test from 'tape'
import { Doc, type Row } from '../../index'
import { overTcp, syncPair, until, waitSynced } from '../helpers/replicas'

/** A shared fake wall clock so tests decide which write is later. */
function clock (): { now: () => number, step: (ms: number) => void } {
  let t = 1_700_000_000_000
  return { now: () => t, step: (ms) => { t += ms } }
}

test('add, get, row.set, toJSON and rm behave like a table of rows', (t) => {
  const d = new Doc('a')
  const row = d.add({ id: 'r1', name: 'ann', age: 3 })
  t.equal(d.get('r1'), row, 'get returns the same row object')
  t.equal(row.get('name'), 'ann')
  t.equal(row.get('id'), 'r1')
  row.set('age', 4).set({ name: 'bea', __proto__x: 1 })
  t.deepEqual(row.toJSON(), { id: 'r1', __proto__x: 1, age: 4, name: 'bea' })
  t.equal(d.size, 1)
  t.throws(() => row.set('id', 'other'), /id cannot change/)
  t.throws(() => row.set('f', undefined), /plain JSON/)
  t.ok(d.rm('r1'))
  t.notOk(d.rm('r1'))
  t.equal(d.get('r1'), undefined)
  t.notOk(row.live)
  t.equal(d.tombstones, 1)
  t.end()
})

test('row ids and field names like __proto__ are plain data', (t) => {
  const d = new Doc('a')
  d.add({ id: '__proto__', constructor: 1 })
  d.add(JSON.parse('{"id": "constructor", "__proto__": 2}'))
  t.equal(d.get('__proto__')?.get('constructor'), 1)
  t.equal(d.get('constructor')?.get('__proto__'), 2)
  const json = d.toJSON()
  t.equal(Object.getPrototypeOf(json), Object.prototype)
  t.equal(Object.keys(json).length, 2)
  t.end()
})

test('concurrent writes to different fields merge; to the same field pick one winner', async (t) => {
  const c = clock()
  const a = new Doc({ id: 'a', now: c.now })
  const b = new Doc({ id: 'b', now: c.now })
  a.add({ id: 'r', x: 0 })
  const d1 = await syncPair(a, b)
  d1()
  await d1.closed
  a.get('r')?.set({ x: 1, y: 'a' })
  b.get('r')?.set({ x: 2, z: 'b' })
  await syncPair(a, b)
  await until(() => JSON.stringify(a.get('r')) === JSON.stringify(b.get('r')))
  t.deepEqual(a.get('r')?.toJSON(), { id: 'r', x: 2, y: 'a', z: 'b' }, 'equal ts: the larger source id wins x')
  a.dispose()
  b.dispose()
})

test('a row removed while a peer was offline is removed there after reconnect', async (t) => {
  const a = new Doc('a')
  const b = new Doc('b')
  a.add({ id: 'r', x: 1 })
  a.add({ id: 'keep' })
  const d1 = await syncPair(a, b)
  d1()
  await d1.closed
  a.rm('r')
  const d2 = await syncPair(a, b)
  await until(() => !b.has('r'))
  t.deepEqual(Object.keys(b.toJSON()), ['keep'])
  t.equal(d2.a.stats.updatesSent, 1, 'only the removal is sent')
  a.dispose()
  b.dispose()
})

test('a concurrent write to a removed row does not bring back a half row; a later add does', async (t) => {
  const c = clock()
  const a = new Doc({ id: 'a', now: c.now })
  const b = new Doc({ id: 'b', now: c.now })
  a.add({ id: 'r', name: 'x', color: 'red' })
  const d1 = await syncPair(a, b)
  d1()
  await d1.closed
  c.step(10)
  b.get('r')?.set('color', 'blue') // before the removal (older ts): dies with the row
  c.step(10)
  a.rm('r')
  c.step(10)
  b.get('r')?.set('size', 3) // after the removal by the clock, but b has not seen it
  await syncPair(a, b)
  await until(() => !b.has('r'))
  t.notOk(a.has('r'), 'still removed on a')
  t.notOk(b.has('r'), 'removed on b despite its later write')
  t.equal(a.size + b.size, 0)
  c.step(10)
  a.add({ id: 'r', name: 'y' })
  await until(() => b.get('r')?.get('name') === 'y')
  t.deepEqual(a.get('r')?.toJSON(), { id: 'r', name: 'y', size: 3 }, 'a re-add brings the row back with writes newer than the removal only')
  t.deepEqual(b.get('r')?.toJSON(), a.get('r')?.toJSON())
  a.dispose()
  b.dispose()
})

test('doc events report rows added, changed and removed, locally and from peers', async (t) => {
  const a = new Doc('a')
  const b = new Doc('b')
  const seen: unknown[] = []
  b.on('add', (row: Row) => seen.push(['add', row.id]))
  b.on('change', (row: Row, changed: Record<string, unknown>) => seen.push(['change', row.id, changed]))
  b.on('remove', (row: Row) => seen.push(['remove', row.id]))
  await syncPair(a, b)
  a.add({ id: 'r', x: 1 })
  a.get('r')?.set('x', 2)
  a.get('r')?.set('x', 2) // unchanged: not written
  a.rm('r')
  await until(() => seen.length === 3)
  t.deepEqual(seen, [['add', 'r'], ['change', 'r', { x: 2 }], ['remove', 'r']])
  t.equal(a.counters.local, 3)
  a.dispose()
  b.dispose()
})

test('createSet(field, value) tracks rows as they start and stop matching', async (t) => {
  const a = new Doc('a')
  const b = new Doc('b')
  const reds = b.createSet('color', 'red')
  const seen: string[] = []
  reds.on('add', (r: Row) => seen.push(`+${r.id}`))
  reds.on('remove', (r: Row) => seen.push(`-${r.id}`))
  reds.on('change', (r: Row) => seen.push(`~${r.id}`))
  await syncPair(a, b)
  a.add({ id: '1', color: 'red' })
  a.add({ id: '2', color: 'blue' })
  a.get('2')?.set('color', 'red')
  a.get('1')?.set('size', 9)
  a.get('1')?.set('color', 'green')
  a.rm('2')
  await until(() => seen.length === 5)
  t.deepEqual(seen, ['+1', '+2', '~1', '-1', '-2'])
  t.equal(reds.size, 0)
  a.get('1')?.set('color', 'red')
  await until(() => reds.has('1'))
  reds.dispose()
  a.get('1')?.set('color', 'blue')
  await until(() => b.get('1')?.get('color') === 'blue')
  t.ok(reds.has('1'), 'a disposed set stops tracking')
  a.dispose()
  b.dispose()
})

test('createSet(filter) tracks rows passing a predicate', (t) => {
  const d = new Doc('a')
  d.add({ id: 'a', n: 1 })
  const big = d.createSet((row) => typeof row.n === 'number' && row.n > 5)
  t.equal(big.size, 0)
  d.get('a')?.set('n', 10)
  d.add({ id: 'b', n: 6 })
  t.deepEqual(big.rows().map((r) => r.id), ['a', 'b'])
  d.rm('a')
  t.deepEqual(big.toJSON(), [{ id: 'b', n: 6 }])
  t.end()
})

test('createSeq orders rows by _sort then creation, and reports moves', async (t) => {
  const c = clock()
  const a = new Doc({ id: 'a', now: c.now })
  const b = new Doc({ id: 'b', now: c.now })
  const list = b.createSeq('list', 'todo')
  const moves: unknown[] = []
  list.on('move', (r: Row, from: number, to: number) => moves.push([r.id, from, to]))
  await syncPair(a, b)
  const seqA = a.createSeq('list', 'todo')
  seqA.push({ id: 'one' })
  c.step(1)
  seqA.push({ id: 'two' })
  c.step(1)
  seqA.unshift({ id: 'zero' })
  c.step(1)
  a.add({ id: 'nosort', list: 'todo' })
  a.add({ id: 'other', list: 'done', _sort: -5 })
  await until(() => list.size === 4)
  t.deepEqual(list.toArray().map((r) => r.id), ['zero', 'one', 'two', 'nosort'])
  t.deepEqual(list.toJSON().map((r) => r.id), seqA.toJSON().map((r) => r.id), 'same order on both replicas')
  seqA.after('zero', 'one')
  await until(() => moves.length === 1)
  t.deepEqual(moves, [['zero', 0, 1]])
  t.equal(list.indexOf('zero'), 1)
  t.equal(list.at(-1)?.id, 'nosort')
  a.dispose()
  b.dispose()
})

test('a reconnect sends only the row updates the peer is missing', async (t) => {
  const a = new Doc('a')
  const b = new Doc('b')
  for (let i = 0; i < 20; i++) a.add({ id: `r${i}`, n: i })
  const d1 = await syncPair(a, b)
  d1()
  await d1.closed
  a.get('r1')?.set('n', 100)
  a.get('r2')?.set({ n: 200, m: 1 })
  a.rm('r3')
  const d2 = await syncPair(a, b)
  t.equal(d2.a.stats.updatesSent, 3, 'two field writes and one removal')
  t.equal(d2.b.stats.updatesSent, 0)
  await until(() => !b.has('r3'))
  t.equal(b.get('r2')?.get('n'), 200)
  t.equal(b.size, 19)
  a.dispose()
  b.dispose()
})

test('malformed row updates from a peer are rejected and change nothing', (t) => {
  const d = new Doc('a')
  const bad: unknown[] = [
    ['set', 'r', [['id', 1]]],
    ['set', 'r', { x: 1 }],
    ['set', 'r', [['x']]],
    ['add', 5, []],
    ['rm'],
    ['rm', 'r', 'extra'],
    ['drop', 'r'],
    'r'
  ]
  let ts = 1
  for (const change of bad) {
    t.equal(d.receive([change, ts++ as never, 'p' as never]).status, 'rejected', `rejects ${JSON.stringify(change)}`)
  }
  t.equal(d.size, 0)
  t.equal(d.clock.get('p' as never), 0, 'clock untouched')
  t.equal(d.receive([['add', 'r', [['__proto__', 1], ['constructor', 2]]], ts++ as never, 'p' as never]).status, 'applied')
  t.deepEqual(Object.keys(d.get('r')?.toJSON() ?? {}), ['id', '__proto__', 'constructor'])
  t.end()
})

test('a row removed while the peer was offline stays removed over loopback TCP', async (t) => {
  const a = new Doc('a')
  const b = new Doc('b')
  a.add({ id: 'r', x: 1 })
  const first = await overTcp(a, b)
  await until(() => b.has('r'))
  await first.close()
  a.rm('r')
  b.get('r')?.set('x', 2) // concurrent edit on the offline side
  const second = await overTcp(a, b)
  await until(() => !b.has('r'), 5000, 'removal reached b')
  await waitSynced(second.clientStream)
  t.notOk(a.has('r'), 'the concurrent edit did not bring the row back on a')
  t.equal(b.size, 0)
  await second.close()
  a.dispose()
  b.dispose()
})

test('doc.set(id, fields) creates a missing row and brings back a removed one, instead of dropping the write', (t) => {
  const d = new Doc('a')
  const r = d.set('n', { a: 1 })
  t.equal(r, d.get('n'), 'returns the row')
  t.deepEqual(d.toJSON(), { n: { id: 'n', a: 1 } })
  d.set('f', 'x', 2)
  t.equal(d.get('f')?.get('x'), 2, 'the (id, field, value) form creates too')
  d.rm('n')
  d.set('n', { b: 2 })
  t.deepEqual(d.get('n')?.toJSON(), { id: 'n', b: 2 }, 'back with only the fields written after the removal')
  t.throws(() => d.set('q', { id: 'other' }), /id cannot change/)
  t.end()
})

test('doc.add without an id makes a fresh one and leaves the caller\'s object alone', (t) => {
  const d = new Doc('a')
  const obj = { prop: 'key' }
  const r1 = d.add(obj)
  const r2 = d.add({ prop: 'key' })
  t.ok(typeof r1.id === 'string' && r1.id.length > 0)
  t.notEqual(r1.id, r2.id)
  t.deepEqual(obj, { prop: 'key' })
  t.deepEqual(d.get(r1.id)?.state, { id: r1.id, prop: 'key' }, 'row.state is the row as data')
  t.throws(() => d.add({ id: 5 } as never), /string/)
  t.end()
})

test('a row set: has/get by row or id, forEach, onEach until cleanup, remove clears the query field', (t) => {
  const d = new Doc('a')
  d.add({ id: 'a', t: 'x' })
  const s = d.createSet('t', 'x')
  const seen: string[] = []
  const stop = s.onEach((row) => seen.push(row.id))
  d.add({ id: 'b', t: 'x' })
  stop()
  d.add({ id: 'c', t: 'x' })
  t.deepEqual(seen, ['a', 'b'])
  const a = d.get('a') as Row
  t.ok(s.has(a) && s.has('a') && s.has({ id: 'a' }))
  t.equal(s.get('a'), a)
  let n = 0
  s.forEach(() => n++)
  t.equal(n, 3)
  t.equal(s.remove(a), a)
  t.equal(a.get('t'), null, 'the row stays, its query field is null')
  t.notOk(s.has('a'))
  t.equal(s.remove('zz'), undefined)
  t.throws(() => d.createSet(() => true).remove('b'), /filter/)
  t.end()
})

test('a sequence navigates and edits like crdt\'s Seq: first, last, next, prev, insert, before, after, pop, shift', (t) => {
  const d = new Doc('a')
  const s = d.createSeq('t', 'x')
  const A = s.push({ id: 'a' })
  const B = s.push({ id: 'b' })
  const C = s.unshift({ id: 'c' })
  const ids = (): string => s.toArray().map((r) => r.id).join('')
  t.equal(ids(), 'cab')
  t.equal(A.get('t'), 'x', 'placing a row sets the query field')
  t.equal(s.first(), C)
  t.equal(s.last(), B)
  t.equal(s.next('c'), A)
  t.equal(s.prev(B), A)
  t.equal(s.next(), C, 'next() without a row is the first')
  t.equal(s.prev(), B, 'prev() without a row is the last')
  t.equal(s.next(B), undefined)
  s.after({ id: 'd' }, A)
  s.before({ id: 'e' }, 'a')
  s.insert({ id: 'f' }, A, 'd')
  t.equal(ids(), 'ceafdb')
  s.after('c', 'b')
  t.equal(ids(), 'eafdbc', 'an id moves an existing member')
  d.add({ id: 'o', other: 1 })
  s.before('o', 'e')
  t.equal(ids(), 'oeafdbc', 'an id brings a row of the doc into the sequence')
  t.equal(s.pop(), C)
  t.equal(s.shift()?.id, 'o')
  t.equal(ids(), 'eafdb')
  t.ok(d.has('c'), 'pop takes the row out of the sequence, not out of the doc')
  t.equal(s.indexOf(A), 1)
  t.throws(() => s.after({ id: 'g' }, 'nope'), /not in this sequence/)
  t.equal(new Doc('e').createSeq('t', 'x').pop(), undefined)
  t.end()
})

test('a sequence keeps its order under many inserts at one spot and agrees with a peer', async (t) => {
  const a = new Doc('a')
  const b = new Doc('b')
  const sa = a.createSeq('t', 'x')
  const sb = b.createSeq('t', 'x')
  await syncPair(a, b)
  const first = sa.push({ id: 'first' })
  const last = sa.push({ id: 'last' })
  const want = ['first']
  for (let i = 0; i < 100; i++) {
    sa.after({ id: `n${i}` }, first)
    want.splice(1, 0, `n${i}`)
  }
  sa.before({ id: 'pen' }, last)
  want.push('pen', 'last')
  t.deepEqual(sa.toArray().map((r) => r.id), want)
  await until(() => sb.size === want.length)
  t.deepEqual(sb.toArray().map((r) => r.id), want, 'same order on the peer')
  const longest = Math.max(...sa.toArray().map((r) => String(r.get('_sort')).length))
  t.ok(longest < 40, `keys stay short (${longest} characters after 100 inserts at one spot)`)
  a.dispose()
  b.dispose()
})

test('createSeq(filter) orders the rows that pass the filter', (t) => {
  const d = new Doc('a')
  const s = d.createSeq((r) => r.kind === 'task')
  const x = s.push({ id: 'x', kind: 'task' })
  s.unshift({ id: 'y', kind: 'task' })
  s.push({ id: 'z', kind: 'note' })
  t.deepEqual(s.toArray().map((r) => r.id), ['y', 'x'], 'a filter sequence sets no field: a non-matching row stays out')
  t.equal(x.get('_sort') !== undefined, true)
  t.end()
})
