import test from 'tape'
import { readdirSync } from 'node:fs'
import { Model, connect } from '../../index'
import { overTcp, tick, until, waitSynced } from '../helpers/replicas'

const openFds = (): number => readdirSync('/proc/self/fd').length

test('2 000 in-memory connect/disconnect cycles leave no stream, subscriber or listener behind', async (t) => {
  const a = new Model('a')
  const b = new Model('b')
  a.set('k', 0)
  const listenersBefore = a.eventNames().map((n) => a.listenerCount(n)).reduce((x, y) => x + y, 0)
  for (let i = 0; i < 2000; i++) {
    const d = connect(a, b)
    if (i % 100 === 0) {
      await waitSynced(d.b)
      a.set('k', i)
    }
    d()
    await d.closed
  }
  const last = connect(a, b)
  await until(() => b.get('k') === 1900)
  last()
  await last.closed
  t.equal(a.streams, 0, 'no stream tracked on a')
  t.equal(b.streams, 0, 'no stream tracked on b')
  const listenersAfter = a.eventNames().map((n) => a.listenerCount(n)).reduce((x, y) => x + y, 0)
  t.equal(listenersAfter, listenersBefore, 'no listener left on the replica')
  a.dispose()
  b.dispose()
})

test('300 TCP connect/disconnect cycles leave no file descriptor behind', async (t) => {
  const a = new Model('a')
  const b = new Model('b')
  const before = openFds()
  for (let i = 0; i < 300; i++) {
    a.set('k', i)
    const link = await overTcp(a, b)
    await waitSynced(link.clientStream)
    await link.close()
  }
  await tick(50)
  await until(() => a.streams === 0 && b.streams === 0, 2000, 'streams to close')
  t.equal(b.get('k'), 299)
  t.ok(openFds() <= before + 2, `descriptors back to baseline (${before} -> ${openFds()})`)
  a.dispose()
  b.dispose()
})
