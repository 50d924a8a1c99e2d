import test from 'tape'
import Scuttlebucket = require('../../lib/compat/scuttlebucket')
import Model = require('../../lib/compat/scuttlebutt/model')
import Events = require('../../lib/compat/scuttlebutt/events')
import Value = require('../../lib/compat/r-value')
import { Bucket } from '../../index'
import { overTcp, until, waitSynced } from '../helpers/replicas'
import { SbEvents, SbModel } from '../helpers/scuttlebutt'

// scuttlebucket's README and tests, against grapevine/scuttlebucket; the
// local observations also run on the original scuttlebucket with
// scuttlebutt@5 parts.

interface AnyPart { id: string, toJSON?: () => unknown }
interface AnyBucket { id: string, add (name: string, part: unknown): AnyBucket, get (name: string): unknown, toJSON (): Record<string, unknown> }
interface Kit { bucket: (id?: string) => AnyBucket, model: () => unknown, events: () => unknown }
const ours: Kit = { bucket: (id) => Scuttlebucket(id) as unknown as AnyBucket, model: () => Model(), events: () => Events() }
const OrigBucket = require('scuttlebucket') as (id?: string) => AnyBucket
const theirs: Kit = { bucket: (id) => OrigBucket(id), model: () => new SbModel(), events: () => new SbEvents() }
const sideBySide = <T>(scenario: (kit: Kit) => T): { ours: T, theirs: T } => ({ ours: scenario(ours), theirs: scenario(theirs) })

test('parts take the bucket\'s id; get(name) returns the part; toJSON per part (scuttlebucket test/index.js)', (t) => {
  const seen = sideBySide((kit) => {
    const A = kit.bucket('AAA').add('event', kit.events()).add('model', kit.model())
    ;(A.get('model') as { set: (k: string, v: unknown) => void }).set('key', 0.5)
    const parts = ['event', 'model'].map((n) => (A.get(n) as AnyPart).id)
    return { id: A.id, parts, json: A.toJSON() }
  })
  t.deepEqual(seen.ours, seen.theirs)
  t.deepEqual(seen.ours, { id: 'AAA', parts: ['AAA', 'AAA'], json: { event: undefined, model: { key: 0.5 } } })
  t.ok(Scuttlebucket() instanceof Bucket, 'callable without new; a grapevine Bucket')
  t.end()
})

test('nested buckets share the outer id all the way down (scuttlebucket test/nested.js)', (t) => {
  const seen = sideBySide((kit) => {
    const A = kit.bucket('thing').add('sub', kit.bucket().add('model', kit.model()))
    const sub = A.get('sub') as AnyBucket
    return [A.id, sub.id, (sub.get('model') as AnyPart).id]
  })
  t.deepEqual(seen.ours, seen.theirs)
  t.deepEqual(seen.ours, ['thing', 'thing', 'thing'])
  t.end()
})

test('two buckets piped together replicate every part; a third joins later (README, test/index.js)', async (t) => {
  const create = (id: string): InstanceType<typeof Scuttlebucket> => Scuttlebucket(id).add('event', Events()).add('model', Model()).add('value', Value())
  const A = create('AAA')
  const B = create('BBB')
  const as = A.createStream()
  const bs = B.createStream()
  as.pipe(bs).pipe(as)
  const r = 0.75
  A.get<InstanceType<typeof Events>>('event')?.emit('hello', 'MESSAGE')
  A.get<InstanceType<typeof Model>>('model')?.set('key', r)
  await Promise.all([waitSynced(as), waitSynced(bs)])
  const part = <R>(b: Bucket, name: string): R => b.get(name) as R
  await until(() => part<InstanceType<typeof Model>>(B, 'model').get('key') === r, 5000, 'model part')
  t.deepEqual(part<InstanceType<typeof Events>>(B, 'event').history(), part<InstanceType<typeof Events>>(A, 'event').history())
  t.deepEqual(part<InstanceType<typeof Model>>(B, 'model').history(), part<InstanceType<typeof Model>>(A, 'model').history())
  const C = create('CCC')
  const cs = C.createStream()
  const acs = A.createStream()
  cs.pipe(acs).pipe(cs)
  await waitSynced(cs)
  t.deepEqual(C.toJSON(), { event: undefined, model: { key: r }, value: null })
  t.deepEqual(A.toJSON(), C.toJSON())
  as.destroy()
  cs.destroy()
})

test('nested scuttlebuckets replicate over TCP and converge (test/nested.js, over a socket)', async (t) => {
  const create = (id: string): InstanceType<typeof Scuttlebucket> => Scuttlebucket(id).add('sub', Scuttlebucket().add('model', Model()))
  const A = create('thing')
  const B = create('thong')
  const model = (b: Bucket): InstanceType<typeof Model> => (b.get('sub') as Bucket).get('model') as InstanceType<typeof Model>
  model(A).set('key', 'VALUE')
  const tcp = await overTcp(A, B)
  await until(() => model(B).get('key') === 'VALUE', 5000, 'nested part replicated')
  model(B).set('back', 1)
  await until(() => model(A).get('back') === 1, 5000, 'and back')
  t.deepEqual(A.toJSON(), B.toJSON())
  t.equal(model(B).id, 'thong')
  await tcp.close()
})

test('setId renames the bucket and every part', (t) => {
  const b = Scuttlebucket('one').add('m', Model()).add('sub', Scuttlebucket().add('v', Value()))
  b.setId('two')
  const sub = b.get<Bucket>('sub') as Bucket
  t.deepEqual([b.id, b.get<InstanceType<typeof Model>>('m')?.id, sub.id, sub.get<InstanceType<typeof Value>>('v')?.id], ['two', 'two', 'two', 'two'])
  t.end()
})
