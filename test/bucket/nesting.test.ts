import test from 'tape'
import { Bucket, Events, Model, Value, connect, isGrapevineError } from '../../index'
import { PATH_SEPARATOR } from '../../lib/bucket/paths'
import { overTcp, until, waitSynced } from '../helpers/replicas'
import { SbModel } from '../helpers/scuttlebutt'

const invalid = (e: unknown): boolean => isGrapevineError(e, 'ERR_INVALID_ARGUMENT')

/** outer: { top: Model, sub: { model: Model, deeper: { value: Value } } } */
function nested (id: string): { outer: Bucket, sub: Bucket, deeper: Bucket, top: Model, model: Model, value: Value } {
  const top = new Model(`${id}-top`)
  const model = new Model(`${id}-model`)
  const value = new Value(`${id}-value`)
  const deeper = new Bucket(`${id}-deeper`).add('value', value)
  const sub = new Bucket(`${id}-sub`).add('model', model).add('deeper', deeper)
  const outer = new Bucket(id).add('top', top).add('sub', sub)
  return { outer, sub, deeper, top, model, value }
}

test('new Bucket().add("s", new Bucket()) then createStream() works (issue 10: it threw a TypeError)', (t) => {
  const b = new Bucket().add('s', new Bucket())
  const s = b.createStream()
  t.ok(s.readable, 'a stream was made')
  s.destroy()
  b.dispose()
  t.end()
})

test('nested buckets replicate over a real TCP socket and converge, both ways, live, at every depth', async (t) => {
  const a = nested('a')
  const b = nested('b')
  a.top.set('x', 1)
  a.model.set('in-sub', 'from a')
  b.value.set('deep from b')
  const tcp = await overTcp(a.outer, b.outer)
  await Promise.all([waitSynced(tcp.serverStream), waitSynced(tcp.clientStream)])
  t.deepEqual(b.top.toJSON(), { x: 1 })
  t.deepEqual(b.model.toJSON(), { 'in-sub': 'from a' })
  t.equal(a.value.get(), 'deep from b', 'two levels down, the other way')

  b.model.set('live', true)
  a.value.set('live deep')
  await until(() => a.model.get('live') === true && b.value.get() === 'live deep', 5000, 'live updates through nested buckets')

  // A replica added to a nested bucket while the stream is open is announced and filled.
  const ea = new Events('ea')
  const eb = new Events('eb')
  ea.emit('chat', 'before b held it')
  a.deeper.add('events', ea)
  b.deeper.add('events', eb)
  await until(() => eb.size === 1, 5000, 'late nested add exchanged its history')
  t.deepEqual(eb.events(), [['chat', 'before b held it']])

  // Removing a nested member stops its replication.
  b.sub.remove('model')
  a.model.set('after-remove', 1)
  a.top.set('marker', 1)
  await until(() => b.top.get('marker') === 1, 5000, 'marker after the remove')
  t.equal(b.model.has('after-remove'), false, 'a removed nested replica gets nothing more')

  t.deepEqual(a.outer.toJSON(), {
    top: { x: 1, marker: 1 },
    sub: { model: { 'in-sub': 'from a', live: true, 'after-remove': 1 }, deeper: { value: 'live deep', events: undefined } }
  }, 'toJSON nests')
  t.equal(tcp.clientStream.stats.rejected + tcp.serverStream.stats.rejected, 0)
  await tcp.close()
  a.outer.dispose()
  b.outer.dispose()
})

test('a nested replica travels under a path name; a peer holding a plain replica under the outer name ignores it', async (t) => {
  const markA = new Model('mark-a')
  const markB = new Model('mark-b')
  const a = new Bucket('a').add('sub', new Bucket().add('m', new Model('am'))).add('mark', markA)
  const plain = new Model('bm')
  const b = new Bucket('b').add('sub', plain).add('mark', markB)
  const unknownToB: string[] = []
  const unknownToA: string[] = []
  const d = connect(a, b)
  d.b.on('unknown', (name: string) => unknownToB.push(name))
  d.a.on('unknown', (name: string) => unknownToA.push(name))
  await Promise.all([waitSynced(d.a), waitSynced(d.b)])
  a.get<Bucket>('sub')?.get<Model>('m')?.set('k', 1)
  plain.set('j', 2)
  t.deepEqual(unknownToB, [`sub${PATH_SEPARATOR}m`], 'b does not hold the path')
  t.deepEqual(unknownToA, ['sub'], 'a holds a bucket, not a replica, under "sub"')
  // Markers written after, on the same stream: once they arrive, anything sent before has too.
  markA.set('done-a', 1)
  markB.set('done-b', 1)
  await until(() => markA.size === 2 && markB.size === 2, 5000, 'markers')
  t.equal(plain.size, 1, 'the nested update did not land in the replica named like its bucket')
  t.equal(a.get<Bucket>('sub')?.get<Model>('m')?.size, 1, 'nor the other way')
  d()
})

test('a bucket refuses what it cannot stream: non-replicas, cycles, the path separator, over-long paths', (t) => {
  const b = new Bucket('b')
  t.throws(() => b.add('x', {} as never), invalid, 'a plain object')
  t.throws(() => b.add('x', new SbModel() as never), invalid, 'a scuttlebutt@5 Model (not a grapevine replica)')
  t.throws(() => b.add('x', b), invalid, 'itself')
  const inner = new Bucket('inner')
  const innermost = new Bucket('innermost')
  b.add('inner', inner)
  inner.add('innermost', innermost)
  t.throws(() => innermost.add('loop', b), invalid, 'an ancestor')
  t.throws(() => b.add(`a${PATH_SEPARATOR}b`, new Model()), invalid, 'a name holding the separator')
  t.throws(() => innermost.add('m'.repeat(250), new Model()), invalid, 'a path longer than 256 characters, through the outer buckets')
  innermost.add('m'.repeat(200), new Model())
  t.throws(() => new Bucket().add('n'.repeat(60), b), invalid, 'nesting a bucket whose paths would grow too long')
  t.equal(b.size, 1, 'nothing was added by the refused calls')
  t.end()
})

test('a disposed nested bucket leaves the outer one; disposing the outer releases the inner', (t) => {
  const inner = new Bucket('inner').add('m', new Model())
  const outer = new Bucket('outer').add('inner', inner)
  t.equal(inner.streams, 1, 'the outer bucket counts as an attachment')
  inner.dispose()
  t.equal(outer.has('inner'), false)
  const inner2 = new Bucket('inner2')
  const outer2 = new Bucket('outer2').add('inner', inner2)
  outer2.dispose()
  t.equal(inner2.disposed, false, 'members are released, not disposed')
  t.equal(inner2.streams, 0)
  inner2.add('again', new Model())
  new Bucket().add('reuse', inner2)
  t.pass('a released bucket can be nested again')
  t.end()
})
