import test from 'tape'
import { Events, Model } from '../../index'
import { syncPair, until } from '../helpers/replicas'

test('reconnecting after k missing updates sends k updates, not the whole state', async (t) => {
  const a = new Model('a')
  const b = new Model('b')
  for (let i = 0; i < 2000; i++) a.set(`key${i}`, i)
  const first = await syncPair(a, b)
  t.equal(first.a.stats.updatesSent, 2000, 'initial sync sends the state once')
  first()
  await first.closed
  for (let i = 0; i < 15; i++) a.set(`key${i * 7}`, 'changed')
  for (let i = 0; i < 5; i++) a.set(`new${i}`, i)
  const second = await syncPair(a, b)
  t.equal(second.a.stats.updatesSent, 20, 'exactly the 20 missing updates')
  t.equal(second.b.stats.updatesSent, 0, 'nothing back')
  await until(() => b.get('new4') === 4)
  t.deepEqual(b.toJSON(), a.toJSON())
  a.dispose()
  b.dispose()
})

test('Events: a reconnect delivers only the events missed', async (t) => {
  const a = new Events('a')
  const b = new Events('b')
  let got = 0
  b.on('e', () => { got++ })
  for (let i = 0; i < 100; i++) a.emit('e', i)
  const first = await syncPair(a, b)
  first()
  await first.closed
  for (let i = 0; i < 7; i++) a.emit('e', i)
  const second = await syncPair(a, b)
  t.equal(second.a.stats.updatesSent, 7)
  await until(() => got === 107)
  t.equal(b.size, 107, 'each event held once')
  a.dispose()
  b.dispose()
})
