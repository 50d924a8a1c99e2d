import test from 'tape'
import { Model } from '../../index'
import { syncPair, until } from '../helpers/replicas'

test('set, get, delete, has, size and keys behave like a map', (t) => {
  const m = new Model('a')
  m.set('x', 1).set('y', { deep: [1, 2] })
  t.equal(m.get('x'), 1)
  t.deepEqual(m.get('y'), { deep: [1, 2] })
  t.equal(m.size, 2)
  t.ok(m.delete('x'))
  t.notOk(m.has('x'))
  t.equal(m.get('x'), undefined)
  t.equal(m.size, 1)
  t.equal(m.tombstones, 1)
  t.deepEqual(m.keys(), ['y'])
  t.deepEqual([...m.entries()], [['y', { deep: [1, 2] }]])
  t.end()
})

test('keys named like Object.prototype members are plain data', (t) => {
  const m = new Model('a')
  for (const k of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) m.set(k, k.length)
  t.equal(m.get('__proto__'), 9)
  t.equal(m.size, 4)
  const json = m.toJSON()
  t.equal(Object.getPrototypeOf(json), Object.prototype, 'toJSON prototype untouched')
  t.equal(Object.keys(json).length, 4)
  t.equal(JSON.parse(JSON.stringify(json)).constructor, 11)
  t.end()
})

test('change events fire with the key and the new value', (t) => {
  const m = new Model('a')
  const seen: unknown[] = []
  m.on('change', (k: string, v: unknown) => seen.push([k, v]))
  m.on('change:x', (v: unknown) => seen.push(['x only', v]))
  m.set('x', 1)
  m.delete('x')
  t.deepEqual(seen, [['x', 1], ['x only', 1], ['x', undefined], ['x only', undefined]])
  t.end()
})

test('bad arguments throw ERR_INVALID_ARGUMENT at the call site', (t) => {
  const m = new Model('a')
  t.throws(() => m.set(1 as unknown as string, 1), /key must be a string/)
  t.throws(() => m.set('k', undefined), /undefined/)
  t.end()
})

test('a delete replicates to a peer that was offline when it happened', async (t) => {
  const a = new Model('a')
  const b = new Model('b')
  a.set('k', 1)
  const d1 = await syncPair(a, b)
  t.equal(b.get('k'), 1)
  d1()
  await d1.closed
  a.delete('k')
  await syncPair(a, b)
  await until(() => !b.has('k'))
  t.equal(b.size, 0)
  a.dispose()
  b.dispose()
})

test('change listeners run after the update is committed: clock advanced, forwarded', async (t) => {
  const a = new Model('a')
  const b = new Model('b')
  const c = new Model('c')
  let clockSeen = -1
  b.on('change', () => { clockSeen = b.clock.get(a.id) })
  b.on('change:boom', () => { throw new Error('listener bug') })
  const ab = await syncPair(a, b)
  await syncPair(b, c)
  a.set('x', 1)
  await until(() => b.get('x') === 1)
  t.equal(clockSeen, a.clock.get(a.id), 'the listener saw the clock already past the update')
  a.set('boom', 'value')
  await new Promise((resolve) => ab.b.once('close', resolve))
  t.equal(b.get('boom'), 'value', 'the update is applied although a listener threw')
  t.equal(b.clock.get(a.id), a.clock.get(a.id), 'and the clock moved with it')
  await until(() => c.get('boom') === 'value', 2000, 'forwarded to other peers')
  t.pass('forwarded to other peers despite the throwing listener')
  a.dispose()
  b.dispose()
  c.dispose()
})
