import test from 'tape'
import pull from 'pull-stream'
import { Bucket, Events, Model, Value, VectorClock, connect } from '../../index'
import type { BucketStream } from '../../index'
import type { Disconnect } from '../../index'
import { once, overTcp, syncPair, until, waitSynced } from '../helpers/replicas'

/** connect() types its streams as replica streams; these are bucket streams. */
function bucketPair (d: Disconnect): Disconnect & { a: BucketStream, b: BucketStream } {
  return d as Disconnect & { a: BucketStream, b: BucketStream }
}

function trio (id: string): { bucket: Bucket, model: Model, value: Value, events: Events } {
  const model = new Model(`${id}-m`)
  const value = new Value(`${id}-v`)
  const events = new Events(`${id}-e`)
  const bucket = new Bucket(id).add('model', model).add('value', value).add('events', events)
  return { bucket, model, value, events }
}

test('Models, Values and Events replicate through one bucket stream over TCP', async (t) => {
  const a = trio('a')
  const b = trio('b')
  const model2a = new Model('a-m2')
  const model2b = new Model('b-m2')
  a.bucket.add('constructor', model2a)
  b.bucket.add('constructor', model2b)
  a.model.set('x', 1)
  a.value.set('hello')
  a.events.emit('chat', 'hi from a')
  b.model.set('y', 2)
  b.events.emit('chat', 'hi from b')
  model2b.set('toString', 'plain data')
  const heard: unknown[] = []
  b.events.on('chat', (msg) => heard.push(msg))
  const tcp = await overTcp(a.bucket, b.bucket)
  await Promise.all([waitSynced(tcp.serverStream), waitSynced(tcp.clientStream)])
  t.deepEqual(b.model.toJSON(), { x: 1, y: 2 }, 'model merged on b')
  t.deepEqual(a.model.toJSON(), { x: 1, y: 2 }, 'model merged on a')
  t.equal(b.value.get(), 'hello', 'value replicated')
  t.equal(model2a.get('toString'), 'plain data', 'a replica named "constructor" replicates')
  t.deepEqual(b.events.events().map((e) => e[1]).sort(), ['hi from a', 'hi from b'])
  t.deepEqual(heard, ['hi from a'], 'b heard a\'s event once')

  // Live updates after sync, both ways, over the same socket.
  a.value.set('live')
  b.model.set('z', 3)
  a.events.emit('chat', 'live from a')
  await until(() => b.value.get() === 'live' && a.model.get('z') === 3 && heard.length === 2, 5000, 'live updates')
  t.deepEqual(heard, ['hi from a', 'live from a'])
  t.equal(tcp.clientStream.stats.rejected + tcp.serverStream.stats.rejected, 0, 'nothing rejected')
  await tcp.close()
  for (const r of [a, b]) r.bucket.dispose()
})

test('reconnecting 1 000 replicas of which 10 changed sends only those 10 updates', async (t) => {
  const N = 1000
  const a = new Bucket('a')
  const b = new Bucket('b')
  const am: Model[] = []
  const bm: Model[] = []
  for (let i = 0; i < N; i++) {
    const m = new Model(`a${i}`)
    m.set('k', i)
    am.push(m)
    a.add(`doc${i}`, m)
    const n = new Model(`b${i}`)
    bm.push(n)
    b.add(`doc${i}`, n)
  }
  const first = await syncPair(a, b)
  t.equal(first.a.stats.updatesSent, N, 'first sync sends every replica\'s update')
  t.ok(bm.every((m, i) => m.get('k') === i), 'all 1 000 replicas synced')
  first()
  await first.closed

  const changed = [3, 99, 100, 250, 400, 512, 640, 777, 901, 999]
  for (const i of changed) (am[i] as Model).set('k', -i)
  const appliedTo = new Set<number>()
  bm.forEach((m, i) => m.subscribe(() => appliedTo.add(i)))
  const second = await syncPair(a, b)
  t.equal(second.a.stats.updatesSent, changed.length, 'a sent exactly 10 updates')
  t.equal(second.b.stats.updatesSent, 0, 'b sent nothing: it has nothing new')
  t.equal(second.b.stats.updatesApplied, changed.length, 'b applied 10')
  t.equal(second.b.stats.oldDropped, 0, 'no duplicate reached b')
  t.deepEqual([...appliedTo].sort((x, y) => x - y), changed, 'only the 10 changed replicas got anything')
  t.ok(changed.every((i) => (bm[i] as Model).get('k') === -i), 'the changes arrived')
  const headerBytes = Buffer.byteLength(JSON.stringify(second.b.peerHeader)) + 1
  const rest = second.a.stats.bytesSent - headerBytes
  t.ok(rest < 100 * changed.length, `after its ${headerBytes}-byte header, a sent ${rest} bytes for 10 updates`)
  second()
  a.dispose()
  b.dispose()
})

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

test('a peer that never reads gets bounded live queues, then everything from history', async (t) => {
  const a = new Bucket('a')
  const b = new Bucket('b')
  const ma = new Model('ma')
  const mb = new Model('mb')
  a.add('doc', ma)
  b.add('doc', mb)
  const sa: BucketStream = a.createStream({ maxQueue: 50 })
  const sb: BucketStream = b.createStream()
  // Hand a the header of a peer that holds an empty "doc", then read nothing.
  sa.write(JSON.stringify({ id: 'b', clock: {}, proto: 'grapevine-bucket/1', buckets: { doc: {} } }) + '\n')
  await until(() => sa.peerHeader !== undefined)
  for (let i = 0; i < 2000; i++) ma.set(`k${i % 300}`, i)
  t.ok(sa.stats.queueOverflows >= 1, `live queue overflowed (${sa.stats.queueOverflows}) instead of growing`)
  sa.pipe(sb) // now b reads what a has for it
  await until(() => mb.size === 300 && mb.get('k299') === 1799, 5000, 'b caught up from history')
  t.deepEqual(mb.toJSON(), ma.toJSON(), 'b caught up after the overflow')
  t.ok(sa.stats.updatesSent <= 300 + 50, `a sent ${sa.stats.updatesSent} updates for 300 keys, not 2 000`)
  sa.destroy()
  sb.destroy()
  a.dispose()
  b.dispose()
})

test('updates cross a line of buckets and a plain replica stream, and are never echoed', async (t) => {
  // plain <-> [A] <-> [B] <-> [C]: A's "doc" also has a plain stream to a lone Model.
  const docs = ['A', 'B', 'C'].map((id) => new Model(`doc-${id}`))
  const buckets = ['A', 'B', 'C'].map((id, i) => new Bucket(id).add('doc', docs[i] as Model))
  const lone = new Model('lone')
  const ab = bucketPair(await syncPair(buckets[0] as Bucket, buckets[1] as Bucket))
  const bc = bucketPair(await syncPair(buckets[1] as Bucket, buckets[2] as Bucket))
  const plain = await syncPair(lone, docs[0] as Model)
  lone.set('from-lone', 1)
  ;(docs[2] as Model).set('from-C', 2)
  await until(() => docs.every((d) => d.get('from-lone') === 1 && d.get('from-C') === 2) && lone.get('from-C') === 2, 5000, 'spread')
  t.pass('both writes reached every replica')
  t.equal(ab.a.stats.updatesSent, 1, 'A sent B only the lone write')
  t.equal(ab.b.stats.updatesSent, 1, 'B sent A only C\'s write')
  t.equal(bc.a.stats.updatesSent, 1, 'B sent C only the lone write')
  t.equal(bc.b.stats.updatesSent, 1, 'C sent B only its own write')
  t.equal(ab.a.stats.oldDropped + ab.b.stats.oldDropped + bc.a.stats.oldDropped + bc.b.stats.oldDropped, 0, 'no duplicate on any link')
  for (const d of [ab, bc, plain]) d()
  for (const b of buckets) b.dispose()
})

test('signed updates pass through a bucket unchanged and verify on the far side', async (t) => {
  const sign = (u: readonly unknown[]): string => `sig:${String(u[2])}:${String(u[1])}`
  const verify = (u: readonly unknown[]): boolean => u[3] === sign(u)
  const ma = new Model({ id: 'ma', sign, verify })
  const mb = new Model({ id: 'mb', sign, verify })
  const a = new Bucket('a').add('doc', ma)
  const b = new Bucket('b').add('doc', mb)
  ma.set('k', 1)
  const d = bucketPair(await syncPair(a, b))
  t.equal(mb.get('k'), 1, 'the signed update verified and applied')
  const [u] = mb.history(new VectorClock())
  t.equal(u?.[3], sign(u as readonly unknown[]), 'index 3 still holds the signature')
  t.equal(d.b.stats.rejected, 0)
  d()
  a.dispose()
  b.dispose()
})

test('tail: false ends after synced; writable: false ignores the peer\'s updates', async (t) => {
  const ma = new Model('ma')
  const mb = new Model('mb')
  ma.set('from-a', 1)
  mb.set('from-b', 2)
  const a = new Bucket('a').add('doc', ma)
  const b = new Bucket('b').add('doc', mb)
  const d = connect(a, b, { a: { tail: false, writable: false } })
  await d.closed
  t.ok(d.a.synced && d.b.synced, 'both synced before closing')
  t.equal(mb.get('from-a'), 1, 'b got a\'s history')
  t.equal(ma.get('from-b'), undefined, 'a applied nothing')
  a.dispose()
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

test('readable: false still sends its header, so the peer sends only what is missing', async (t) => {
  const ma = new Model('ma')
  const mb = new Model('mb')
  ma.set('from-a', 1)
  mb.set('shared', 1)
  ma.receive(mb.history(new VectorClock())[0] as never, undefined)
  mb.set('from-b', 2)
  const a = new Bucket('a').add('doc', ma)
  const b = new Bucket('b').add('doc', mb)
  const d = bucketPair(connect(a, b, { a: { readable: false } }))
  await Promise.all([waitSynced(d.a), waitSynced(d.b)])
  t.equal(ma.get('from-b'), 2, 'a got what it was missing')
  t.equal(d.b.stats.updatesSent, 1, 'only the one update a lacked')
  t.equal(mb.get('from-a'), undefined, 'a sent nothing')
  d()
  a.dispose()
  b.dispose()
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

test('two buckets replicate through pull-stream duplexes', async (t) => {
  const ma = new Model('ma')
  const mb = new Model('mb')
  ma.set('x', 1)
  const a = new Bucket('a').add('doc', ma)
  const b = new Bucket('b').add('doc', mb)
  const pa = a.createPullStream()
  const pb = b.createPullStream()
  pull(pa.source, pb.sink)
  pull(pb.source, pa.sink)
  await until(() => mb.get('x') === 1)
  mb.set('y', 2)
  await until(() => ma.get('y') === 2)
  t.pass('history and live updates cross pull-streams')
  a.dispose()
  b.dispose()
})

test('clocks that do not fit in the header line follow it, and the handshake still sends only what is missing', async (t) => {
  const a = new Bucket('a')
  const b = new Bucket('b')
  const bm: Model[] = []
  for (let i = 0; i < 60; i++) {
    const m = new Model(`a${i}`)
    if (i % 6 === 0) m.set('k', i)
    a.add(`doc${i}`, m)
    const n = new Model(`b${i}`)
    bm.push(n)
    if (i < 50) b.add(`doc${i}`, n) // b lacks ten names
  }
  b.add('only-b', new Model('ob'))
  const d = { a: a.createStream({ maxHeaderBytes: 200 }), b: b.createStream({ maxHeaderBytes: 200 }) }
  d.a.pipe(d.b).pipe(d.a)
  const unknownAtB: string[] = []
  d.b.on('unknown', (n: string) => unknownAtB.push(n))
  let syncedA = 0
  d.a.on('synced', () => { syncedA++ })
  await Promise.all([waitSynced(d.a), waitSynced(d.b)])
  const header = d.b.peerHeader as unknown as { buckets: Record<string, unknown>, more?: number }
  const inHeader = Object.keys(header.buckets).length
  t.ok(inHeader > 0 && inHeader < 20, `${inHeader} clocks in a's header line`)
  t.equal(header.more, 60 - inHeader, 'the header counts the clocks that follow')
  t.equal(d.a.stats.updatesSent, 9, 'a sent the 9 updates b holds names for (of 10 written)')
  t.ok(bm.slice(0, 50).every((m, i) => i % 6 !== 0 || m.get('k') === i), 'they arrived')
  t.deepEqual(unknownAtB.sort(), Array.from({ length: 10 }, (_, i) => `doc${50 + i}`).sort(), 'names b lacks reported, from the handshake')
  t.equal(syncedA, 1, "'synced' once")
  d.a.destroy()
  d.b.destroy()
  a.dispose()
  b.dispose()
})
