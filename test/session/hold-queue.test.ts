import test from 'tape'
import { HoldQueue } from '../../lib/session/hold-queue'
import { type SourceId, type Timestamp, type Update } from '../../lib/wire/types'

const u = (ts: number, source: string): { update: Update } => ({ update: [null, ts as Timestamp, source as SourceId] })

test('hold queue: a held key blocks its later updates, and drains oldest (ts, source) first across keys', (t) => {
  const q = new HoldQueue<{ update: Update }>(10)
  t.notOk(q.blocks('a'))
  t.ok(q.hold('a', u(5, 'a')))
  t.ok(q.hold('b', u(3, 'b')))
  t.ok(q.hold('a', u(7, 'a')))
  t.ok(q.blocks('a'), 'a later update of a waits behind the held one')
  t.equal(q.size, 3)
  const order: number[] = []
  q.drain((item) => { order.push(item.update[1]); return true })
  t.deepEqual(order, [3, 5, 7], 'oldest first, per key in arrival order')
  t.equal(q.size, 0)
  t.notOk(q.blocks('a'), 'a key with nothing held blocks nothing')
  t.end()
})

test('hold queue: an item that must stay held keeps its key blocked; others go on', (t) => {
  const q = new HoldQueue<{ update: Update }>(10)
  q.hold('a', u(1, 'a'))
  q.hold('a', u(2, 'a'))
  q.hold('b', u(3, 'b'))
  const tried: number[] = []
  q.drain((item) => { tried.push(item.update[1]); return item.update[2] !== 'a' })
  t.deepEqual(tried, [1, 3], "a's second update is never tried while its first is still held")
  t.equal(q.size, 2)
  t.ok(q.blocks('a'))
  t.notOk(q.blocks('b'))
  t.end()
})

test('hold queue: bounded, and a drain can be stopped', (t) => {
  const q = new HoldQueue<{ update: Update }>(2)
  t.ok(q.hold('a', u(1, 'a')))
  t.ok(q.hold('b', u(2, 'b')))
  t.notOk(q.hold('c', u(3, 'c')), 'full: refused, nothing held')
  t.equal(q.size, 2)
  let calls = 0
  q.drain(() => { calls++; return undefined })
  t.equal(calls, 1, 'undefined stops the drain')
  t.equal(q.size, 2, 'nothing removed by a stopped drain')
  q.clear()
  t.equal(q.size, 0)
  t.notOk(q.blocks('a'))
  t.end()
})
