import test from 'tape'
import { List, Text, VectorClock, type ListEdit, type Update } from '../../index'
import { syncPair, until } from '../helpers/replicas'

/** Run `fn` on two replicas while they are apart, then reconnect them and wait for equal lists. */
async function apart (a: List, b: List, fn: () => void): Promise<void> {
  const d = await syncPair(a, b)
  d()
  await d.closed
  fn()
  await syncPair(a, b)
  await until(() => JSON.stringify(a.toArray()) === JSON.stringify(b.toArray()) && a.pending === 0 && b.pending === 0)
}

test('insert, push, unshift, delete, move and get behave like an array', (t) => {
  const l = new List({ id: 'a' })
  t.equal(l.push(1, 2, 3), 3)
  l.insert(1, 'x')
  t.equal(l.unshift('first'), 5)
  t.deepEqual(l.toArray(), ['first', 1, 'x', 2, 3])
  t.equal(l.delete(2), 'x')
  l.move(0, 3)
  t.deepEqual(l.toArray(), [1, 2, 3, 'first'])
  l.move(3, 1)
  t.deepEqual([...l], [1, 'first', 2, 3])
  t.equal(l.get(1), 'first')
  t.equal(l.length, 4)
  t.equal(l.tombstones, 3, 'one deleted item and two old positions')
  t.throws(() => l.insert(9, 1), /index must be an integer/)
  t.throws(() => l.insert(0, undefined), /undefined/)
  t.throws(() => l.move(0, 4), /to must be an integer/)
  t.end()
})

test('events report inserts, deletes and moves with their indexes, here and on a peer', async (t) => {
  const a = new List({ id: 'a' })
  const b = new List({ id: 'b' })
  const seen: Record<string, ListEdit[]> = { a: [], b: [] }
  a.on('change', (e: ListEdit) => seen.a?.push(e))
  b.on('change', (e: ListEdit) => seen.b?.push(e))
  const moves: unknown[] = []
  b.on('move', (from: number, to: number, value: unknown) => moves.push([from, to, value]))
  await syncPair(a, b)
  a.push('p', 'q')
  a.move(0, 1)
  a.delete(0)
  await until(() => b.length === 1)
  const [p, q] = (seen.a ?? []).map((e) => e.key)
  t.ok(p !== undefined && q !== undefined && p !== q, 'each item has its own key')
  const expected = [
    { type: 'insert', index: 0, value: 'p', key: p },
    { type: 'insert', index: 1, value: 'q', key: q },
    { type: 'move', from: 0, to: 1, value: 'p', key: p },
    { type: 'delete', index: 0, value: 'q', key: q }
  ]
  t.deepEqual(seen.a, expected)
  t.deepEqual(seen.b, expected, 'the same edits and keys on the peer')
  t.deepEqual(moves, [[0, 1, 'p']])
  a.dispose()
  b.dispose()
})

test('concurrent inserts at the same index do not interleave and do not duplicate', async (t) => {
  const a = new List({ id: 'a' })
  const b = new List({ id: 'b' })
  a.push('start', 'end')
  await apart(a, b, () => {
    for (let i = 0; i < 4; i++) a.insert(1 + i, `a${i}`)
    for (let i = 0; i < 4; i++) b.insert(1, `b${3 - i}`) // typed backwards
  })
  const got = a.toArray().join(' ')
  t.ok(got === 'start a0 a1 a2 a3 b0 b1 b2 b3 end' || got === 'start b0 b1 b2 b3 a0 a1 a2 a3 end', got)
  t.deepEqual(b.toArray(), a.toArray(), 'same order everywhere')
  a.dispose()
  b.dispose()
})

test('concurrent moves of one item leave it in one place on every replica', async (t) => {
  const a = new List({ id: 'a' })
  const b = new List({ id: 'b' })
  a.push('x', 1, 2, 3, 4)
  await apart(a, b, () => {
    a.move(0, 4)
    b.move(0, 2)
  })
  const arr = a.toArray()
  t.equal(arr.filter((v) => v === 'x').length, 1, `x appears once: ${JSON.stringify(arr)}`)
  t.equal(arr.length, 5)
  t.deepEqual(b.toArray(), arr)
  a.dispose()
  b.dispose()
})

test('a move concurrent with a delete of the same item leaves it deleted', async (t) => {
  const a = new List({ id: 'a' })
  const b = new List({ id: 'b' })
  a.push('x', 'y', 'z')
  await apart(a, b, () => {
    a.move(0, 2)
    b.delete(0)
  })
  t.deepEqual(a.toArray(), ['y', 'z'])
  t.deepEqual(b.toArray(), ['y', 'z'])
  a.dispose()
  b.dispose()
})

test('an item moved concurrently with inserts next to it keeps its neighbours and appears once', async (t) => {
  const a = new List({ id: 'a' })
  const b = new List({ id: 'b' })
  a.push('a', 'b', 'c')
  await apart(a, b, () => {
    a.move(2, 0)
    b.insert(3, 'd')
    b.insert(2, 'c-')
  })
  t.deepEqual(a.toArray(), ['c', 'a', 'b', 'c-', 'd'])
  t.deepEqual(b.toArray(), a.toArray())
  a.dispose()
  b.dispose()
})

test('a reconnect sends only the missing inserts, deletes and moves', async (t) => {
  const a = new List({ id: 'a' })
  const b = new List({ id: 'b' })
  for (let i = 0; i < 50; i++) a.push(i)
  const d1 = await syncPair(a, b)
  d1()
  await d1.closed
  a.delete(0)
  a.move(0, 10)
  b.push('new')
  const d2 = await syncPair(a, b)
  await until(() => a.length === 50 && b.length === 50 && a.get(49) === 'new' && b.get(10) === 1)
  t.equal(d2.a.stats.updatesSent, 2, 'a sends its delete and move only')
  t.equal(d2.b.stats.updatesSent, 1, 'b sends its push only')
  t.deepEqual(b.toArray(), a.toArray())
  a.dispose()
  b.dispose()
})

test('a move that arrives before its item is held until the item arrives', (t) => {
  const a = new List({ id: 'a' })
  const b = new List({ id: 'b' })
  const c = new List({ id: 'c' })
  a.push('x', 'y')
  for (const u of a.history(new VectorClock())) b.receive(u)
  b.move(0, 1)
  b.delete(0)
  const fromB = b.history(new VectorClock()).filter((u) => u[2] === 'b')
  for (const u of fromB) t.equal(c.receive(u as Update).status, 'applied')
  t.equal(c.pending, 2)
  t.equal(c.length, 0)
  for (const u of a.history(new VectorClock())) c.receive(u)
  t.equal(c.pending, 0)
  t.deepEqual(c.toArray(), ['x'])
  t.deepEqual(c.toArray(), b.toArray())
  t.end()
})

test('list updates that can never resolve are rejected and change nothing', (t) => {
  const a = new List({ id: 'a' })
  a.push('x', 'y')
  a.move(0, 1)
  const [ins, mv] = a.history(new VectorClock())
  const its = (ins as Update)[1]
  const mts = (mv as Update)[1]
  const bad: unknown[] = [
    ['m', [mts, 'a', 0], null, 1], // moves a slot, not an item
    ['d', [[mts, 'a', 0, 1]]], // deletes a slot, not an item
    ['m', [its, 'a', 2], null, 1], // item 2 of a 2-item insert
    ['i', [its, 'a', 0], 2, ['z']], // side must be 0 or 1
    ['i', [its, 'a', 0], 1, []], // nothing to insert
    ['d', []],
    ['d', [[its, 'a', 0, 0]]] // an empty run
  ]
  for (const change of bad) {
    t.equal(a.receive([change, mts + 10, 'z'] as unknown as Update).status, 'rejected', JSON.stringify(change))
  }
  t.deepEqual(a.toArray(), ['y', 'x'])
  t.equal(a.logSize, 2)
  t.end()
})

test('history is ordered by (ts, source) and a dump restores the same list', async (t) => {
  const a = new List({ id: 'a' })
  const b = new List({ id: 'b' })
  a.push(1, 2)
  await syncPair(a, b)
  b.insert(1, 'b')
  a.move(0, 1)
  await until(() => a.logSize === 3 && b.logSize === 3)
  const h = a.history(new VectorClock())
  t.ok(h.every((u, i) => i === 0 || (h[i - 1] as Update)[1] < u[1] || ((h[i - 1] as Update)[1] === u[1] && (h[i - 1] as Update)[2] < u[2])), 'sorted')
  const copy = new List({ id: 'copy' })
  const read = a.createReadStream()
  read.pipe(copy.createWriteStream())
  await until(() => copy.logSize === 3)
  t.deepEqual(copy.toArray(), a.toArray())
  t.deepEqual(b.toArray(), a.toArray())
  a.dispose()
  b.dispose()
  copy.dispose()
})

test('clone() of a List and a Text starts equal and follows later edits', async (t) => {
  const l = new List({ id: 'l' })
  l.push('a', 'b', 'c')
  l.move(0, 2)
  l.delete(0)
  const x = new Text('x')
  x.insert(0, 'hello')
  x.delete(0, 1)
  const l2 = l.clone()
  const x2 = x.clone()
  t.deepEqual(l2.toArray(), ['c', 'a'])
  t.equal(x2.toString(), 'ello')
  l.insert(1, 'm')
  x.insert(4, '!')
  l2.move(0, 1)
  await until(() => l.get(2) === 'c' && l2.length === 3 && x2.toString() === 'ello!', 5000, 'clones follow')
  t.deepEqual(l2.toArray(), l.toArray())
  for (const r of [l, l2, x, x2]) r.dispose()
})

test('splice, pop and shift behave like Array.prototype, and splice replaces in place what it can', (t) => {
  const l = List.from(['a', 'b', 'c', 'd'], { id: 'l' })
  const arr: unknown[] = ['a', 'b', 'c', 'd']
  const both = (...args: [number, number?, ...unknown[]]): void => {
    const [start, count, ...values] = args
    const got = count === undefined ? l.splice(start) : l.splice(start, count, ...values)
    const want = count === undefined ? arr.splice(start) : arr.splice(start, count, ...values)
    t.deepEqual(got, want, `splice(${args.map((x) => JSON.stringify(x)).join(', ')}) returns the removed values`)
    t.deepEqual(l.toArray(), arr)
  }
  const keyOfB = l.keyAt(1) as string
  both(1, 1, 'B')
  t.equal(l.keyAt(1), keyOfB, 'a replaced item keeps its key')
  both(1, 0, '?')
  both(0, 2)
  both(-1, 1, 'x', 'y')
  both(0, 99, 'p', 'q', 'r')
  both(1)
  both(5, 1, 'end')
  t.equal(l.pop(), arr.pop())
  t.equal(l.shift(), arr.shift())
  t.deepEqual(l.toArray(), arr)
  t.equal(l.pop(), undefined, 'pop on an empty list')
  t.equal(l.shift(), undefined)
  t.throws(() => l.splice(0, 0, undefined), /undefined/)
  t.end()
})

test('new List(string) throws instead of taking the string as the id; List.from builds a list', (t) => {
  t.throws(() => new List('a' as never), (e: { code?: string }) => e.code === 'ERR_INVALID_ARGUMENT')
  t.deepEqual(List.from(['x', 'y']).toArray(), ['x', 'y'])
  t.equal(new List({ id: 'me' }).id, 'me')
  t.end()
})

test('item keys stay with the item through moves and replaces, and name nothing once it is deleted', (t) => {
  const l = List.from([1, 2, 3], { id: 'l' })
  const k = l.keyAt(0) as string
  l.move(0, 2)
  t.equal(l.indexOfKey(k), 2)
  l.set(2, 'one')
  t.equal(l.indexOfKey(k), 2)
  t.equal(l.get(2), 'one')
  l.delete(2)
  t.equal(l.indexOfKey(k), -1)
  t.equal(l.indexOfKey('nonsense'), -1)
  t.equal(l.indexOfKey(`${k.split(':')[0] ?? ''}:99:l`), -1, 'an element past the end of its insert')
  t.equal(l.keyAt(5), undefined)
  t.end()
})

test('concurrent replaces of one item pick the latest on every replica; a delete beats a replace', async (t) => {
  let now = 1_700_000_000_000
  const wall = (): number => now
  const a = new List({ id: 'a', now: wall })
  const b = new List({ id: 'b', now: wall })
  a.push('x', 'y')
  await apart(a, b, () => {})
  const seen: unknown[] = []
  b.on('set', (index: number, value: unknown, previous: unknown) => seen.push([index, value, previous]))
  await apart(a, b, () => {
    a.set(0, 'from a')
    now += 1
    b.set(0, 'from b')
    b.set(1, 'b replaces y')
    a.delete(1)
  })
  t.deepEqual(a.toArray(), ['from b'])
  t.deepEqual(b.toArray(), ['from b'])
  t.deepEqual(seen, [[0, 'from b', 'x'], [1, 'b replaces y', 'y']], 'the losing replace from a fired nothing on b')
  a.dispose()
  b.dispose()
})

test('history sends the value an insert carried, then the replace; a replace that arrives first is held', async (t) => {
  const a = new List({ id: 'a' })
  const b = new List({ id: 'b' })
  a.push('old')
  await syncPair(a, b)
  b.set(0, 'new')
  await until(() => a.get(0) === 'new')
  const h = a.history(new VectorClock())
  t.deepEqual(h.map((u) => (u[0] as unknown[])[0]), ['i', 's'])
  t.deepEqual((h[0]?.[0] as unknown[])[3], ['old'], 'the insert is rebuilt with its own value')
  const c = new List({ id: 'c' })
  c.receive(h[1] as Update)
  t.equal(c.pending, 1, 'the replace waits for its item')
  c.receive(h[0] as Update)
  t.equal(c.pending, 0)
  t.deepEqual(c.toArray(), ['new'])
  const ts = (h[0] as Update)[1]
  t.equal(c.receive([['s', [ts - 1, 'a', 0], 'v'], ts + 5 as never, 'p' as never]).status, 'rejected', 'a replace of an item its source never issued')
  t.equal(new Text({ id: 't' }).receive([['s', [1, 'zz', 0], 'v'], 5 as never, 'p' as never]).status, 'rejected', 'Text has no replace')
  a.dispose()
  b.dispose()
})
