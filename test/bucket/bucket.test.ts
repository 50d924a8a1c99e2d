import test from 'tape'
import pull from 'pull-stream'
import { Bucket, Counter, Doc, Events, Model, ORSet, Value, VectorClock, connect } from '../../index'
import type { BucketStream } from '../../index'
import { overTcp, syncPair, until, waitSynced } from '../helpers/replicas'
import { bucketPair, docBuckets } from './fixtures'

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

test('a peer that never reads gets bounded live queues, then everything from history', async (t) => {
  const { a, b, ma, mb } = docBuckets()
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

test('readable: false still sends its header, so the peer sends only what is missing', async (t) => {
  const ma = new Model('ma')
  const mb = new Model('mb')
  ma.set('from-a', 1)
  mb.set('shared', 1)
  ma.receive([...mb.history(new VectorClock())][0] as never, undefined)
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

test('the newer data types (Counter, ORSet, Doc) replicate through a bucket too', async (t) => {
  const make = (id: string): Bucket => new Bucket(id)
    .add('count', new Counter(`${id}-c`))
    .add('tags', new ORSet(`${id}-s`))
    .add('rows', new Doc(`${id}-d`))
  const a = make('a')
  const b = make('b')
  a.get<Counter>('count')?.increment(5)
  b.get<Counter>('count')?.decrement(2)
  a.get<ORSet>('tags')?.add('red')
  b.get<ORSet>('tags')?.add('blue')
  a.get<Doc>('rows')?.add({ id: 'r1', name: 'first' })
  const tcp = await overTcp(a, b)
  await Promise.all([waitSynced(tcp.serverStream), waitSynced(tcp.clientStream)])
  for (const x of [a, b]) {
    t.equal(x.get<Counter>('count')?.value, 3, `${x.id}: counter merged`)
    t.deepEqual(x.get<ORSet>('tags')?.values().sort(), ['blue', 'red'], `${x.id}: set merged`)
    t.deepEqual(x.get<Doc>('rows')?.toJSON(), a.get<Doc>('rows')?.toJSON(), `${x.id}: doc rows equal`)
  }
  t.equal(b.get<Doc>('rows')?.get('r1')?.get('name'), 'first')
  await tcp.close()
  a.dispose()
  b.dispose()
})
