import test from 'tape'
import net from 'node:net'
import crdt = require('../../lib/compat/crdt')
import { listen, until } from '../helpers/replicas'

type Doc = InstanceType<typeof crdt.Doc>
type Row = ReturnType<Doc['get']>
const ids = (rows: Array<{ id: string }>): string => rows.map((r) => r.id).join(',')
const json = (d: Doc): string => JSON.stringify(Object.entries(d.toJSON()).sort())
/** crdt's streams delivered within the tick; ours need the peer to have caught up. */
const converged = (...docs: Doc[]): Promise<void> => until(() => docs.every((d) => json(d) === json(docs[0] as Doc)))

test('README: two docs piped together replicate rows both ways', async (t) => {
  const A = new crdt.Doc()
  const B = new crdt.Doc()
  const as = A.createStream()
  as.pipe(B.createStream()).pipe(as)
  A.add({ id: 'abc', hello: 3 })
  await until(() => B.get('abc').get('hello') === 3)
  B.set('abc', { goodbye: 5 })
  await converged(A, B)
  t.deepEqual(A.toJSON(), { abc: { id: 'abc', goodbye: 5, hello: 3 } })
  A.dispose()
  B.dispose()
})

test('README: a doc served over TCP replicates with a client doc', async (t) => {
  const A = new crdt.Doc()
  const server = await listen((stream) => { stream.pipe(A.createStream()).pipe(stream) })
  const B = new crdt.Doc()
  const stream = net.connect(server.port, '127.0.0.1')
  stream.pipe(B.createStream()).pipe(stream)
  A.add({ id: 'x', n: 1 })
  B.add({ id: 'y', n: 2 })
  await converged(A, B)
  t.deepEqual(Object.keys(B.toJSON()).sort(), ['x', 'y'])
  stream.destroy()
  await server.close()
  A.dispose()
  B.dispose()
})

test('require("crdt") is the Doc itself, with Doc, Row, Set, Seq, sync, createStream; Doc() works without new', async (t) => {
  t.equal(crdt.Doc, crdt)
  t.ok(new crdt() instanceof crdt.Doc)
  t.ok((crdt.Doc as unknown as () => Doc)() instanceof crdt.Doc)
  const a = new crdt.Doc()
  const b = new crdt.Doc()
  crdt.sync(a, b)
  const c = new crdt.Doc()
  const cs = crdt.createStream(c, { wrapper: 'raw' } as never)
  cs.pipe(b.createStream()).pipe(cs)
  a.add({ id: 'r', v: 1 })
  await converged(a, b, c)
  t.equal(c.get('r').get('v'), 1, 'through sync and createStream to a third doc')
  const seq = new crdt.Seq(a, 'type', 'thing')
  a.add({ id: 's', type: 'thing' })
  t.equal(seq.length(), 1, 'a Seq made with new is kept up to date')
  for (const d of [a, b, c]) d.dispose()
})

test('Doc#add: with an id, without one (a fresh id, caller object untouched), and the create event', (t) => {
  const doc = new crdt.Doc()
  const init = { id: 'taonihu', prop: 'key' }
  const created: unknown[] = []
  doc.on('create', (row: Row) => created.push(row.toJSON()))
  t.equal(doc.add(init).id, 'taonihu')
  const obj = { prop: 'key' }
  const id = doc.add(obj).id
  t.deepEqual(obj, { prop: 'key' }, 'the object passed is not changed')
  t.deepEqual(created, [init, { id, prop: 'key' }])
  t.end()
})

test('Doc#get makes the row; it is replicated once a field is set, and its events fire', async (t) => {
  const doc = new crdt.Doc()
  const hoc = new crdt.Doc()
  const thing = doc.get('thing')
  t.equal(doc.get('thing'), thing, 'the same row object every time')
  const random = Math.random()
  const seen: unknown[] = []
  thing.on('changes', (_: unknown, changed: Record<string, unknown>) => seen.push(changed.random))
  const hs = hoc.createStream()
  hs.pipe(doc.createStream()).pipe(hs)
  hoc.add({ id: 'thing', random })
  await until(() => seen.length === 1)
  t.equal(thing.get('random'), random, 'a peer\'s add filled the row this side had got')
  const mine = hoc.get('mine')
  mine.set({ a: 1 })
  await until(() => doc.get('mine').get('a') === 1)
  t.pass('row.set on a got row creates it everywhere')
  doc.dispose()
  hoc.dispose()
})

test('Doc#set creates or updates a row and returns it; Doc#rm removes it with row "removed" and doc "remove"', (t) => {
  const doc = new crdt.Doc()
  const set = doc.createSet('type', 'thing')
  const r = doc.set('n', { a: 1, type: 'thing' })
  t.equal(r.get('a'), 1)
  t.equal(doc.set('n', { b: 2 }), r)
  t.deepEqual(doc.toJSON(), { n: { id: 'n', a: 1, b: 2, type: 'thing' } })
  const events: string[] = []
  r.on('removed', () => events.push('row removed'))
  doc.on('remove', (row: Row) => events.push(`doc remove ${row.id}`))
  doc.rm('n')
  doc.rm('n')
  t.deepEqual(events, ['row removed', 'doc remove n'])
  t.deepEqual(doc.toJSON(), {})
  t.equal(set.get('n'), undefined, 'gone from the set')
  t.end()
})

test('Row: set(key, value), set(obj), get(key), get(), state, toJSON, change and row_update events', (t) => {
  const doc = new crdt.Doc()
  const row = doc.add({ id: 'a' })
  const changes: unknown[] = []
  let updates = 0
  row.on('change', (c: unknown) => changes.push(c))
  doc.on('row_update', () => updates++)
  row.set('x', 1)
  row.set({ y: 2, z: 3 })
  t.deepEqual(changes, [{ x: 1 }, { y: 2, z: 3 }])
  t.equal(updates, 2)
  t.equal(row.get('y'), 2)
  t.deepEqual(row.get(), { id: 'a', x: 1, y: 2, z: 3 })
  t.deepEqual(row.state, row.toJSON())
  row.set('__proto__', { WHAT: 1 })
  t.equal(row.get('WHAT'), undefined, '__proto__ is a plain field')
  t.throws(() => row.set('id', 'b'), /id cannot change/)
  t.end()
})

test('Sets: by key and value, made before or after the rows, by filter, cached per query', (t) => {
  for (const before of [true, false]) {
    const doc = new crdt.Doc()
    let set = before ? doc.createSet('type', 'thing') : undefined
    let set2 = before ? doc.createSet('type', 'other') : undefined
    doc.add({ id: 'a', type: 'thing', what: 3 })
    doc.add({ id: 'b', type: 'thing', what: 5 })
    doc.add({ id: 'a', type: 'other', what: 7 })
    doc.add({ id: 'c', type: 'thing', what: 9 })
    set ??= doc.createSet('type', 'thing')
    set2 ??= doc.createSet('type', 'other')
    t.deepEqual(set.toJSON(), [{ id: 'b', type: 'thing', what: 5 }, { id: 'c', type: 'thing', what: 9 }], `sets made ${before ? 'before' : 'after'} the rows`)
    t.deepEqual(set2.toJSON(), [{ id: 'a', type: 'other', what: 7 }])
  }
  const doc = new crdt.Doc()
  const small = doc.createSet((s) => s.type === 'thing' && (s.what as number) <= 5)
  doc.add({ id: 'a', type: 'thing', what: 3 })
  doc.add({ id: 'b', type: 'thing', what: 5 })
  doc.add({ id: 'a', type: 'other', what: 7 })
  t.deepEqual(small.toJSON(), [{ id: 'b', type: 'thing', what: 5 }], 'a filter set')
  t.equal(doc.createSet('foo', 'bar'), doc.createSet('foo', 'bar'), 'cached')
  t.notEqual(doc.createSet(() => true), doc.createSet(() => true), 'filters are not cached')
  t.end()
})

test('Set: asArray, has(row|id), get, each, forEach, onEach, remove, and add/changes/remove events', (t) => {
  const doc = new crdt.Doc()
  doc.add({ id: 'a', type: 'thing', what: 3 })
  doc.add({ id: 'b', type: 'thing', what: 5 })
  const set = doc.createSet('type', 'thing')
  const states: unknown[] = []
  set.onEach((row: Row) => states.push(row.state))
  t.deepEqual(states, [{ id: 'a', type: 'thing', what: 3 }, { id: 'b', type: 'thing', what: 5 }], 'onEach sees the rows already there')
  const log: string[] = []
  set.on('add', (r: Row) => log.push(`add ${r.id}`))
  set.on('changes', (r: Row, c: Record<string, unknown>) => log.push(`changes ${r.id} ${Object.keys(c).join()}`))
  set.on('remove', (r: Row) => log.push(`remove ${r.id}`))
  const c = doc.add({ id: 'c', type: 'thing' })
  t.equal(states.length, 3, 'and the rows added later')
  c.set('what', 1)
  set.remove(c)
  t.deepEqual(log, ['add c', 'changes c type', 'changes c what', 'changes c type', 'remove c'])
  t.equal(c.get('type'), null, 'remove sets the key to null; the row stays')
  t.equal(set.asArray().length, 2)
  t.ok(set.has('a') && set.has(doc.get('b')))
  t.equal(set.get('a'), doc.get('a'))
  let n = 0
  set.each(() => n++)
  set.forEach(() => n++)
  t.equal(n, 4)
  t.end()
})

test('Seq: push, unshift, first, last, indexOf, rm, pop, shift, length() (crdt\'s simple seq test, many times)', (t) => {
  let ok = true
  for (let run = 0; run < 50 && ok; run++) {
    const doc = new crdt.Doc()
    const seq = new crdt.Seq(doc, 'type', 'thing')
    const id = <T extends { id: string }>(e: T): T | string => Math.random() < 0.5 ? e : e.id
    const A = seq.push({ id: 'a', type: 'thing', what: 3 })
    const B = seq.push({ id: 'b', type: 'thing', what: 4 })
    const C = seq.unshift({ id: 'c', type: 'thing', what: 2 })
    ok = seq.first() === C && seq.last() === B && seq.indexOf(id(A)) === 1
    seq.rm({ id: 'c' })
    ok &&= seq.first() === A
    seq.push(C)
    ok &&= seq.last()?.id === C.id
    ok &&= seq.pop() === C && seq.length() === 2
    ok &&= seq.shift() === A && seq.length() === 1
  }
  t.ok(ok, '50 runs')
  t.end()
})

test('Seq: next and prev by row or id, without a row the first and the last', (t) => {
  const doc = new crdt.Doc()
  const seq = doc.createSeq('type', 'thing')
  const A = seq.push({ id: 'a', type: 'thing' })
  const B = seq.push({ id: 'b', type: 'thing' })
  const C = seq.push({ id: 'c', type: 'thing' })
  t.equal(seq.next(), A)
  t.equal(seq.next('a'), B)
  t.equal(seq.next(B), C)
  t.equal(seq.prev(), C)
  t.equal(seq.prev('b'), A)
  t.equal(seq.prev(C), B)
  let consistent = true
  seq.each((e) => {
    consistent &&= seq.next(e) === seq.at(seq.indexOf(e) + 1) && seq.prev(e.id) === seq.at(seq.indexOf(e) - 1)
  })
  t.ok(consistent, 'next/prev agree with at/indexOf')
  t.end()
})

test('Seq: insert, before, after place rows between others; a moved row emits move', (t) => {
  const doc = new crdt.Doc()
  const s = doc.createSeq('t', 'x')
  const A = s.push({ id: 'a' })
  s.push({ id: 'b' })
  s.unshift({ id: 'c' })
  const moves: string[] = []
  s.on('move', (r: Row) => moves.push(r.id))
  s.after({ id: 'd' }, A)
  s.before({ id: 'e' }, 'a')
  s.insert({ id: 'f' }, A, 'd')
  t.equal(ids(s.toArray()), 'c,e,a,f,d,b')
  s.insert('b', 'c', 'e')
  t.equal(ids(s.toArray()), 'c,b,e,a,f,d', 'an id moves that row')
  t.deepEqual(moves, ['b'])
  t.end()
})

test('Seq: random push, pop, shift, unshift track a plain array (crdt\'s random seq test)', (t) => {
  const doc = new crdt.Doc()
  const seq = doc.createSeq('type', 'thing')
  const ary: string[] = []
  let same = true
  for (let l = 0; l < 300 && same; l++) {
    const op = (['push', 'pop', 'shift', 'unshift'] as const)[Math.floor(Math.random() * 4)] as 'push' | 'pop' | 'shift' | 'unshift'
    const id = `_${l}`
    if (op === 'push' || op === 'unshift') {
      seq[op]({ id, r: Math.random() })
      ary[op](id)
    } else {
      const row = seq[op]()
      const want = ary[op]()
      same = row?.id === want
    }
    same &&= ids(seq.toArray()) === ary.join(',')
  }
  t.ok(same, 'same order as the array after every operation')
  t.end()
})

test('streaming: random updates before and after piping, a relay between clients, and a removal converge', async (t) => {
  const randomUpdates = (d: Doc): void => {
    for (let i = 0; i < 30; i++) d.set('abc'[Math.floor(Math.random() * 3)] as string, { ['xyz'[Math.floor(Math.random() * 3)] as string]: Math.floor(Math.random() * 10) })
  }
  const a = new crdt.Doc()
  const b = new crdt.Doc()
  const c = new crdt.Doc()
  randomUpdates(b)
  crdt.sync(a, b) // history on connect
  crdt.sync(b, c) // b is the server, a and c clients
  randomUpdates(a)
  await converged(a, b, c)
  randomUpdates(c)
  await converged(a, b, c)
  a.rm('a')
  await until(() => c.toJSON().a === undefined)
  await converged(a, b, c)
  t.ok(json(a) !== '[]', `all three docs equal: ${json(a).slice(0, 60)}...`)
  for (const d of [a, b, c]) d.dispose()
})
