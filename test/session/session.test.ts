import test from 'tape'
import { Outbox, Session, VectorClock } from '../../index'
import { sourceId, timestamp, type Update } from '../../lib/wire/types'

const header = { kind: 'header' as const, header: { id: 'p', clock: {} }, clock: new VectorClock() }
const upd = (ts: number, s = 'p'): Update => [['k', ts], timestamp(ts), sourceId(s)]

test('session: header first, then updates; synced once when both SYNCs are done', (t) => {
  const s = new Session({ readable: true, writable: true })
  t.equal(s.receive({ kind: 'update', update: upd(1) }).type, 'fail', 'update before header fails')
  const s2 = new Session({ readable: true, writable: true })
  t.equal(s2.receive(header).type, 'start')
  t.equal(s2.receive({ kind: 'update', update: upd(1) }).type, 'apply')
  t.equal(s2.receive({ kind: 'sync' }).type, 'skip', 'not synced until ours is sent')
  t.equal(s2.sentSync().type, 'synced')
  t.equal(s2.sentSync().type, 'skip', 'synced only once')
  t.equal(s2.receive(header).type, 'fail', 'second header fails')
  t.end()
})

test('session: a read-only end ignores updates and does not wait for the peer\'s SYNC', (t) => {
  const s = new Session({ readable: true, writable: false })
  s.receive(header)
  t.equal(s.receive({ kind: 'update', update: upd(1) }).type, 'skip')
  t.equal(s.sentSync().type, 'synced')
  t.end()
})

function drain (o: Outbox, max = 1000): Array<Update | 'SYNC'> {
  const out: Array<Update | 'SYNC'> = []
  o.take(max, out, () => {})
  return out
}

test('outbox: history since the peer clock, then SYNC, then live, nothing twice', (t) => {
  const store = [upd(1, 'a'), upd(2, 'b'), upd(3, 'a')]
  const o = new Outbox({ history: (c) => store.filter((u) => c.isNewer(u[2], u[1])) })
  o.offer(upd(9, 'a'))
  t.equal(drain(o).length, 0, 'nothing before start')
  o.start(new VectorClock([[sourceId('a'), timestamp(1)]]))
  const first = drain(o)
  t.deepEqual(first.map((m) => (m === 'SYNC' ? m : m[1])), [2, 3, 'SYNC'])
  o.offer(upd(3, 'a'))
  o.offer(upd(4, 'a'))
  t.deepEqual(drain(o).map((m) => (m === 'SYNC' ? m : m[1])), [4], 'already-sent update not repeated')
  o.peerHas(upd(10, 'b'))
  o.offer(upd(7, 'b'))
  t.equal(drain(o).length, 0, 'what the peer sent us is never echoed')
  t.end()
})

test('outbox: a slow peer overflows the bounded queue and catches up from history', (t) => {
  const store: Update[] = []
  const o = new Outbox({ history: (c) => store.filter((u) => c.isNewer(u[2], u[1])) }, { maxQueue: 10 })
  o.start(new VectorClock())
  drain(o)
  for (let i = 1; i <= 100; i++) {
    const u = upd(i, 'a')
    store.push(u)
    o.offer(u)
    t.ok(o.queued <= 10, undefined)
  }
  t.equal(o.overflows, 1)
  const sent = drain(o)
  t.equal(sent.length, 100, 'every update, rebuilt from history')
  t.deepEqual(sent.map((m) => (m as Update)[1]), store.map((u) => u[1]), 'in order')
  t.end()
})

test('outbox: a live queue that never quite drains keeps order and count as it sheds what was sent', (t) => {
  const o = new Outbox({ history: () => [] }, { maxQueue: 100_000 })
  o.start(new VectorClock())
  drain(o)
  const sent: number[] = []
  let next = 1
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 700; i++) o.offer(upd(next++, 'a'))
    const out: Array<Update | 'SYNC'> = []
    o.take(600, out, () => {})
    for (const u of out) sent.push((u as Update)[1])
    if (o.queued !== next - 1 - sent.length) { t.fail(`queued ${o.queued} after round ${round}`); break }
  }
  sent.push(...drain(o, 1e6).map((u) => (u as Update)[1]))
  t.equal(sent.length, next - 1, 'every update sent once')
  t.ok(sent.every((ts, i) => ts === i + 1), 'in the order offered')
  t.equal(o.queuedBytes, 0, 'byte count back to zero')
  t.end()
})
