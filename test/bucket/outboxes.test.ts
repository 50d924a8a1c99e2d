import test from 'tape'
import { BucketOutbox, Model, VectorClock } from '../../index'

function model (id: string, keys: number): Model {
  const m = new Model(id)
  for (let i = 0; i < keys; i++) m.set(`k${i}`, i)
  return m
}

function drain (box: BucketOutbox, max: number): unknown[][] {
  const batches: unknown[][] = []
  for (;;) {
    const out: unknown[] = []
    box.take(max, out, () => {})
    if (out.length === 0) return batches
    batches.push(out)
  }
}

test('the global SYNC follows the histories of every name started by the handshake', (t) => {
  const a = model('a', 3)
  const b = model('b', 2)
  const box = new BucketOutbox()
  box.open('a', a)
  box.open('b', b)
  box.open('c', model('c', 5)) // the peer does not list it: nothing is sent for it
  t.notOk(box.hasWork, 'nothing to send before the handshake')
  box.startHandshake(new Map([['a', new VectorClock()], ['b', new VectorClock()], ['zzz', new VectorClock()]]))
  let syncs = 0
  const out: unknown[] = []
  box.take(100, out, () => { syncs++ })
  t.equal(out.length, 6, '3 + 2 updates and one SYNC')
  t.equal(out[5], 'SYNC', 'SYNC comes last')
  t.equal(syncs, 1)
  t.ok(out.slice(0, 5).every((m) => Array.isArray(m) && m.length === 2 && (m[0] === 'a' || m[0] === 'b')), 'updates are tagged [name, update]')
  t.deepEqual(drain(box, 100), [], 'nothing more, SYNC sent once')
  t.end()
})

test('names are served round-robin, so a busy replica cannot starve the others', (t) => {
  const busy = model('busy', 200)
  const quiet = model('quiet', 2)
  const box = new BucketOutbox()
  box.open('busy', busy)
  box.open('quiet', quiet)
  box.startHandshake(new Map([['busy', new VectorClock()], ['quiet', new VectorClock()]]))
  const first: unknown[] = []
  box.take(10, first, () => {})
  const names = first.map((m) => (m as unknown[])[0])
  t.ok(names.includes('quiet'), `the first batch of 10 includes the quiet replica: ${names.join(',')}`)
  t.end()
})

test('a late name ends its history with [name, "SYNC"]; what the peer sent is never echoed', (t) => {
  const m = model('m', 2)
  const box = new BucketOutbox()
  box.open('late', m)
  box.startHandshake(new Map())
  t.deepEqual(drain(box, 10), [['SYNC']], 'empty handshake: SYNC at once')
  box.startLate('late', m, new VectorClock())
  const out = drain(box, 10).flat()
  t.equal(out.length, 3)
  t.deepEqual(out[2], ['late', 'SYNC'])
  // The peer sends us an update; it is offered back live but must not be sent.
  const peer = new Model('peer')
  peer.set('x', 1)
  const [u] = peer.history(new VectorClock())
  if (u === undefined) return t.fail('no update')
  box.peerHas('late', u)
  m.receive(u, 'stream')
  box.offer('late', u)
  t.deepEqual(drain(box, 10), [], 'no echo')
  m.subscribe((update) => box.offer('late', update))
  m.set('y', 2)
  t.equal(drain(box, 10).flat().length, 1, 'a local update after that is sent')
  t.end()
})

test('a slow peer overflows each live queue at maxQueue; history refills it', (t) => {
  const m = new Model('m')
  const box = new BucketOutbox({ maxQueue: 5 })
  box.open('doc', m)
  box.startHandshake(new Map([['doc', new VectorClock()]]))
  drain(box, 100)
  m.subscribe((u) => box.offer('doc', u))
  for (let i = 0; i < 50; i++) m.set('k', i)
  t.equal(box.overflows, 1, 'the queue overflowed once')
  t.ok(box.queued <= 5, `queued ${box.queued}, never more than maxQueue`)
  const out = drain(box, 100).flat()
  t.deepEqual(out, [['doc', [...m.history(new VectorClock())][0]]], 'only the latest state is sent, from history')
  t.end()
})

test('at most one reply announce per name waits in the queue', (t) => {
  const box = new BucketOutbox()
  let made = 0
  const make = (): unknown => { made++; return ['doc', { clock: {}, reply: true }] }
  t.ok(box.enqueueReply('doc', make))
  t.notOk(box.enqueueReply('doc', make), 'a second one is not queued')
  t.ok(box.enqueueReply('other', make), 'another name is')
  t.equal(drain(box, 10).flat().length, 2)
  t.equal(made, 2, 'messages are built when sent')
  t.ok(box.enqueueReply('doc', make), 'once sent, a new reply may be queued')
  t.end()
})

test('the live-queue bound holds for all names together, and a rebuild does not repeat a name SYNC', (t) => {
  const models = ['a', 'b', 'c'].map((id) => new Model(id))
  const box = new BucketOutbox({ maxQueue: 5 })
  models.forEach((m) => box.open(m.id, m))
  box.startHandshake(new Map([['a', new VectorClock()], ['b', new VectorClock()]]))
  box.startLate('c', models[2] as Model, new VectorClock())
  t.deepEqual(drain(box, 100).flat(), [['c', 'SYNC'], 'SYNC'], "empty histories: c's SYNC and the global one")
  models.forEach((m) => m.subscribe((u) => box.offer(m.id, u)))
  let peak = 0
  for (let i = 0; i < 12; i++) {
    for (const m of models) {
      m.set('k', i)
      peak = Math.max(peak, box.queued)
    }
  }
  t.ok(peak <= 5, `at most 5 live updates queued over three names (peak ${peak})`)
  t.ok(box.overflows > 0, `${box.overflows} queues rebuilt from history`)
  const out = drain(box, 100).flat() as unknown[][]
  t.deepEqual(out.filter((m) => m[1] === 'SYNC'), [], 'no name SYNC repeated by a rebuild')
  const last = new Map(out.map((m) => [m[0], ((m[1] as unknown[])[0] as unknown[])[1]]))
  t.deepEqual([...last].sort(), [['a', 11], ['b', 11], ['c', 11]], 'every name ends with its latest value')
  t.equal(box.queued, 0)
  t.equal(box.queuedBytes, 0, 'byte total back to zero')
  t.end()
})
