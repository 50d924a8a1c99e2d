import test from 'tape'
import { Model } from '../../index'
import { until } from '../helpers/replicas'

test("a write-only stream fed a dump closes: no one reads its side, so 'end' can never come", async (t) => {
  const a = new Model({ id: 'a' })
  a.set('k', 1).set('n', 2)
  const b = new Model({ id: 'b' })
  const w = b.createWriteStream()
  let finished = false
  let closed = false
  w.on('finish', () => { finished = true })
  w.on('close', () => { closed = true })
  a.createReadStream({ tail: false }).pipe(w)
  await until(() => closed, 5000, "the write stream's 'close'")
  t.ok(finished, "'finish' fired first")
  t.deepEqual(b.toJSON(), { k: 1, n: 2 }, 'the dump applied')
  t.equal(b.streams, 0, 'the replica no longer counts it')
  a.dispose()
  b.dispose()
})

test("dispose() closes streams no one reads: the count drops to 0 and 'unstream' fires for each", async (t) => {
  const m = new Model({ id: 'm' })
  const counts: number[] = []
  m.on('unstream', (n: number) => counts.push(n))
  const s1 = m.createStream()
  const s2 = m.createStream()
  let closes = 0
  s1.on('close', () => closes++)
  s2.on('close', () => closes++)
  t.equal(m.streams, 2)
  m.dispose()
  await until(() => closes === 2, 5000, 'both streams to close')
  t.equal(m.streams, 0, 'no stream counted after dispose')
  t.deepEqual(counts, [1, 0], "'unstream' fired once per stream")
})

test('dispose() still ends a stream that is read gracefully: the peer gets everything first', async (t) => {
  const a = new Model({ id: 'a' })
  const b = new Model({ id: 'b' })
  const sa = a.createStream()
  const sb = b.createStream()
  sa.pipe(sb).pipe(sa)
  await until(() => sa.synced && sb.synced)
  a.set('last', 'word')
  a.dispose()
  await until(() => sb.destroyed, 5000, "the peer's stream to close after ours ended")
  t.equal(b.get('last'), 'word', 'the write made just before dispose arrived')
  t.equal(sa.error, undefined, 'ended, not destroyed with an error')
  b.dispose()
})
