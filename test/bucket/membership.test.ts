import test from 'tape'
import { Bucket, Model, connect } from '../../index'
import type { BucketStream } from '../../index'
import type { Disconnect } from '../../index'
import { once, syncPair, until, waitSynced } from '../helpers/replicas'

/** connect() types its streams as replica streams; these are bucket streams. */
function bucketPair (d: Disconnect): Disconnect & { a: BucketStream, b: BucketStream } {
  return d as Disconnect & { a: BucketStream, b: BucketStream }
}

test('a replica added on one side after connecting is announced and synced', async (t) => {
  const a = new Bucket('a')
  const b = new Bucket('b')
  const d = bucketPair(await syncPair(a, b))
  const la = new Model('la')
  la.set('early', 1)
  const lb = new Model('lb')
  lb.set('other', 2)
  b.add('late', lb)
  const unknown = once<string>(d.a, 'unknown')
  t.equal(await unknown, 'late', 'a does not hold "late" yet: ignored with an event')
  const replicaSynced = once<string>(d.b, 'replicaSynced')
  a.add('late', la)
  t.equal(await replicaSynced, 'late', 'b received the history of "late"')
  await until(() => lb.get('early') === 1 && la.get('other') === 2, 5000, 'late replica exchange')
  t.deepEqual(la.toJSON(), { early: 1, other: 2 })
  la.set('live', true)
  await until(() => lb.get('live') === true, 5000, 'live update of late replica')
  t.ok(d.a.stats.announcesSent >= 1 && d.b.stats.announcesReceived >= 1, 'announces counted')
  t.equal(d.a.stats.rejected + d.b.stats.rejected, 0)
  d()
  a.dispose()
  b.dispose()
})

test('a name the other side does not hold is ignored with an event, and the stream goes on', async (t) => {
  const a = new Bucket('a')
  const b = new Bucket('b')
  const shared = [new Model('s1'), new Model('s2')]
  a.add('shared', shared[0] as Model).add('only-a', new Model('oa'))
  b.add('shared', shared[1] as Model)
  ;(a.get('only-a') as Model).set('secret', 1)
  const d = bucketPair(connect(a, b))
  const names: string[] = []
  d.b.on('unknown', (n: string) => names.push(n))
  await Promise.all([waitSynced(d.a), waitSynced(d.b)])
  t.deepEqual(names, ['only-a'], 'b reported the unknown name once, from the header')
  t.equal(d.a.stats.updatesSent, 0, 'a sent nothing for a name b does not hold')
  ;(shared[0] as Model).set('x', 1)
  await until(() => (shared[1] as Model).get('x') === 1)
  t.notOk(d.a.destroyed || d.b.destroyed, 'both streams still open')
  d()
  a.dispose()
  b.dispose()
})

test('removing a replica tells the peer, which stops sending it; re-adding resumes', async (t) => {
  const a = new Bucket('a')
  const b = new Bucket('b')
  const ma = new Model('ma')
  const mb = new Model('mb')
  a.add('doc', ma)
  b.add('doc', mb)
  const d = bucketPair(await syncPair(a, b))
  const dropped = once<string>(d.b, 'drop')
  a.remove('doc')
  t.equal(a.get('doc'), undefined)
  t.equal(await dropped, 'doc', 'b was told')
  mb.set('after-remove', 1)
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal(ma.get('after-remove'), undefined, 'a no longer receives it')
  t.equal(d.a.stats.unknown, 0, 'b stopped sending after DROP, so nothing unknown arrived')
  a.add('doc', ma)
  await until(() => ma.get('after-remove') === 1, 5000, 're-added replica catches up')
  t.pass('re-added replica caught up')
  d()
  a.dispose()
  b.dispose()
})

test('a disposed replica leaves its bucket; bucket.dispose closes its streams', async (t) => {
  const a = new Bucket('a')
  const b = new Bucket('b')
  const m = new Model('m')
  a.add('doc', m)
  b.add('doc', new Model('n'))
  const d = await syncPair(a, b)
  t.equal(m.streams, 1, 'membership is tracked on the replica')
  m.dispose()
  t.notOk(a.has('doc'), 'disposed replica removed')
  t.deepEqual(a.names(), [])
  t.throws(() => a.add('x', m), /disposed/, 'cannot add a disposed replica')
  a.dispose()
  await d.closed
  t.ok(d.a.destroyed && d.b.destroyed, 'both streams closed')
  t.throws(() => a.createStream(), /disposed/)
  b.dispose()
})

test('bad arguments throw at the call site', (t) => {
  const a = new Bucket('a')
  const m = new Model('m')
  t.throws(() => a.add('__proto__', m), /name must be/)
  t.throws(() => a.add('', m), /name must be/)
  a.add('x', m)
  t.throws(() => a.add('x', new Model()), /already holds/)
  t.throws(() => a.add('y', m), /one name only/)
  t.throws(() => new Bucket({ id: '' }), /id must be/)
  t.equal(a.size, 1)
  t.end()
})

test('hundreds of connect/disconnect cycles leave no stream attached', async (t) => {
  const a = new Bucket('a')
  const b = new Bucket('b')
  const m = new Model('m')
  a.add('doc', m)
  b.add('doc', new Model('n'))
  for (let i = 0; i < 200; i++) {
    const d = connect(a, b)
    if (i % 2 === 1) await waitSynced(d.a)
    d()
    await d.closed
  }
  t.equal(a.streams + b.streams, 0, 'buckets track no stream')
  t.equal(m.streams, 1, 'the replica counts only its bucket')
  a.dispose()
  t.equal(m.streams, 0, 'and nothing once the bucket is disposed')
  b.dispose()
})

test('adding a replica from the \'unknown\' handler creates it on demand', async (t) => {
  const a = new Bucket('a')
  const b = new Bucket('b')
  for (const name of ['x', 'y']) {
    const m = new Model(`a-${name}`)
    m.set('name', name)
    a.add(name, m)
  }
  const d = connect(a, b)
  d.b.on('unknown', (name: string) => { if (!b.has(name)) b.add(name, new Model(`b-${name}`)) })
  await until(() => b.get<Model>('x')?.get('name') === 'x' && b.get<Model>('y')?.get('name') === 'y', 5000, 'on-demand replicas filled')
  t.deepEqual(b.names(), ['x', 'y'])
  a.add('z', new Model('a-z'))
  a.get<Model>('z')?.set('name', 'z')
  await until(() => b.get<Model>('z')?.get('name') === 'z', 5000, 'a late name is created on demand too')
  t.pass('late name created on demand and filled')
  t.equal(d.a.stats.rejected + d.b.stats.rejected, 0)
  d()
  a.dispose()
  b.dispose()
})
