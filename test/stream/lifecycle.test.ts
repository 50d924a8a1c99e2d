import test from 'tape'
import { once } from 'node:events'
import { Model, connect } from '../../index'
import { syncPair, tick, until } from '../helpers/replicas'

test('header arrives before synced; each fires exactly once per stream', async (t) => {
  const a = new Model('a')
  const b = new Model('b')
  a.set('x', 1)
  const sa = a.createStream({ meta: { role: 'server' } })
  const sb = b.createStream()
  const events: string[] = []
  for (const [name, s] of [['a', sa], ['b', sb]] as const) {
    s.on('header', () => events.push(`${name}:header`))
    s.on('synced', () => events.push(`${name}:synced`))
    s.on('sync', () => events.push(`${name}:sync`))
  }
  sa.pipe(sb).pipe(sa)
  await until(() => sa.synced && sb.synced)
  a.set('y', 2)
  await until(() => b.get('y') === 2)
  await tick(10)
  for (const n of ['a', 'b']) {
    t.equal(events.filter((e) => e === `${n}:header`).length, 1, `${n} header once`)
    t.equal(events.filter((e) => e === `${n}:synced`).length, 1, `${n} synced once`)
    t.equal(events.filter((e) => e === `${n}:sync`).length, 1, `${n} sync alias once`)
    t.ok(events.indexOf(`${n}:header`) < events.indexOf(`${n}:synced`), `${n} header first`)
  }
  t.deepEqual(sb.peerHeader?.meta, { role: 'server' }, 'meta carried in the header')
  t.equal(sb.peerHeader?.id, 'a')
  a.dispose()
  b.dispose()
})

test('the header clock is a copy taken when the stream is created', async (t) => {
  const a = new Model('a')
  a.set('x', 1)
  const s = a.createStream()
  a.set('x', 2)
  const first = (s.read() as Buffer | null)?.toString() ?? (await once(s, 'data'))[0].toString()
  const header = JSON.parse(first.split('\n')[0] as string)
  t.equal(Object.keys(header.clock).length, 1)
  t.ok(header.clock.a < a.clock.get(a.id), 'later writes do not leak into an already-built header')
  s.destroy()
  a.dispose()
})

test('writable: false ignores incoming updates; readable: false sends nothing but its header', async (t) => {
  const a = new Model('a')
  const b = new Model('b')
  a.set('from-a', 1)
  b.set('from-b', 2)
  const sa = a.createStream({ writable: false })
  const sb = b.createStream({ readable: false })
  sa.pipe(sb).pipe(sa)
  await until(() => b.get('from-a') === 1)
  await tick(20)
  t.equal(a.get('from-b'), undefined, 'read-only side did not take the peer\'s data')
  t.equal(sb.stats.updatesSent, 0, 'write-only side sent no updates')
  t.ok(sa.synced && sb.synced, 'both synced')
  a.dispose()
  b.dispose()
})

test('write-only still sends its clock, so the peer sends only what is missing', async (t) => {
  const a = new Model('a')
  const b = new Model('b')
  for (let i = 0; i < 50; i++) a.set(`k${i}`, i)
  await syncPair(a, b).then((d) => { d(); return d.closed })
  a.set('k0', 'changed')
  const sa = a.createStream({ writable: false })
  const sb = b.createStream({ readable: false })
  sa.pipe(sb).pipe(sa)
  await until(() => b.get('k0') === 'changed')
  t.equal(sa.stats.updatesSent, 1)
  a.dispose()
  b.dispose()
})

test('tail: false ends the stream after synced', async (t) => {
  const a = new Model('a')
  const b = new Model('b')
  a.set('x', 1)
  const sa = a.createStream({ tail: false })
  const sb = b.createStream({ tail: false })
  sa.pipe(sb).pipe(sa)
  await Promise.all([once(sa, 'close'), once(sb, 'close')])
  t.equal(b.get('x'), 1)
  t.equal(a.streams, 0, 'stream count back to zero')
  a.set('late', 1)
  await tick(10)
  t.equal(b.get('late'), undefined, 'no live tail')
  a.dispose()
  b.dispose()
})

test('dispose closes every stream and the live count follows', async (t) => {
  const a = new Model('a')
  const b = new Model('b')
  const c = new Model('c')
  const l1 = await syncPair(a, b)
  const l2 = await syncPair(a, c)
  t.equal(a.streams, 2)
  a.dispose()
  await Promise.all([l1.closed, l2.closed])
  t.equal(a.streams, 0)
  t.equal(b.streams, 0)
  t.throws(() => a.set('x', 1), /disposed/)
  b.dispose()
  c.dispose()
})

test('clone holds the state at once and stays in sync, under its own id', async (t) => {
  const a = new Model('a')
  a.set('x', 1)
  const c = a.clone()
  t.equal(c.get('x'), 1, 'state copied synchronously')
  t.notEqual(c.id, a.id)
  c.set('y', 2)
  await until(() => a.get('y') === 2)
  a.set('z', 3)
  await until(() => c.get('z') === 3)
  a.dispose()
  c.dispose()
})

test('a stream error is kept on stream.error and never crashes an unwatched stream', async (t) => {
  const a = new Model('a')
  const s = a.createStream()
  s.write('not json\n')
  await new Promise((resolve) => s.once('close', resolve))
  t.equal((s.error as { code?: string } | undefined)?.code, 'ERR_INVALID_JSON')
  a.dispose()
})

test('a listener that throws on a peer\'s update fails that stream only, not the process', async (t) => {
  const a = new Model('a')
  const b = new Model('b')
  b.on('change:boom', () => { throw new Error('listener bug') })
  const link = await syncPair(a, b)
  const c = new Model('c')
  const other = await syncPair(b, c)
  a.set('boom', 1)
  await new Promise((resolve) => link.b.once('close', resolve))
  t.equal((link.b.error as { code?: string }).code, 'ERR_LISTENER', 'coded')
  t.equal(((link.b.error as { cause?: Error }).cause)?.message, 'listener bug', 'the exception is its cause')
  b.set('still', 'alive')
  await until(() => c.get('still') === 'alive')
  t.ok(!other.b.destroyed, 'other streams of the replica unaffected')
  a.dispose()
  b.dispose()
  c.dispose()
})

test('connect(a, b).synced resolves once both sides hold what the other had; one turn of the event loop delivers a live write', async (t) => {
  const a = new Model({ id: 'a' })
  const b = new Model({ id: 'b' })
  a.set('before', 1)
  const d = connect(a, b)
  await d.synced
  t.equal(b.get('before'), 1, 'history is there once synced resolves')
  a.set('live', 2)
  t.equal(b.get('live'), undefined, 'not in the same tick: Node streams deliver later')
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(b.get('live'), 2, 'one turn of the event loop delivers it')
  d()
  await d.closed
  a.dispose()
  b.dispose()
})

test('connect(a, b).synced rejects if a stream closes before syncing', async (t) => {
  const a = new Model({ id: 'a' })
  const b = new Model({ id: 'b' })
  const d = connect(a, b)
  d()
  try {
    await d.synced
    t.fail('should reject')
  } catch (err) {
    t.ok(err instanceof Error, 'rejected with an error')
  }
  a.dispose()
  b.dispose()
})
