import test from 'tape'
import pull from 'pull-stream'
import { Model, toPull } from '../../index'
import { until } from '../helpers/replicas'

test('two replicas replicate through pull-stream duplexes', async (t) => {
  const a = new Model('a')
  const b = new Model('b')
  a.set('x', 1)
  b.set('y', 2)
  const pa = a.createPullStream()
  const pb = b.createPullStream()
  pull(pa.source, pb.sink)
  pull(pb.source, pa.sink)
  await until(() => a.get('y') === 2 && b.get('x') === 1)
  a.set('live', true)
  await until(() => b.get('live') === true)
  t.pass('history and live updates cross pull-streams')
  a.dispose()
  b.dispose()
})

test('a pull-stream side and a Node-stream side replicate with each other', async (t) => {
  const a = new Model('a')
  const b = new Model('b')
  for (let i = 0; i < 3000; i++) a.set(`k${i}`, i)
  const pa = a.createPullStream()
  const sb = b.createStream()
  const nb = toPull(sb)
  pull(pa.source, nb.sink)
  pull(nb.source, pa.sink)
  await until(() => b.size === 3000)
  b.set('back', 'from node side')
  await until(() => a.get('back') === 'from node side')
  t.equal(sb.stats.updatesReceived, 3000)
  a.dispose()
  b.dispose()
})

test('replication composes with pull-stream throughs (a byte-counting tap)', async (t) => {
  const a = new Model('a')
  const b = new Model('b')
  a.set('x', 'hello')
  let bytes = 0
  const tap = pull.map((buf: Buffer) => { bytes += buf.length; return buf })
  const pa = a.createPullStream()
  const pb = b.createPullStream()
  pull(pa.source, tap, pb.sink)
  pull(pb.source, pa.sink)
  await until(() => b.get('x') === 'hello')
  t.ok(bytes > 0, `${bytes} bytes seen by the through`)
  a.dispose()
  b.dispose()
})

test('aborting the pull source closes the underlying stream', async (t) => {
  const a = new Model('a')
  const pa = a.createPullStream()
  t.equal(a.streams, 1)
  pa.source(true, () => {})
  await until(() => a.streams === 0)
  t.pass('stream closed and untracked')
  a.dispose()
})
