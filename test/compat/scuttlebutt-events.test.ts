import test from 'tape'
import Emitter = require('../../lib/compat/scuttlebutt/events')
import Scuttlebutt = require('../../lib/compat/scuttlebutt')
import { Events } from '../../index'
import { once, until } from '../helpers/replicas'
import { DIRECTIONS, SbEvents, linkSb } from '../helpers/scuttlebutt'

// scuttlebutt/events from scuttlebutt's README and test/events.js, against
// grapevine/scuttlebutt/events.

test('Emitter() without new; emit(event, data) and on(event, listener) (README)', (t) => {
  const e = Emitter('e')
  t.ok(e instanceof Events)
  t.equal(e.id, 'e')
  const got: unknown[] = []
  e.on('hello', (...args) => got.push(args))
  e.emit('hello', 'world')
  e.emit('hello', 'two', 'args')
  t.deepEqual(got, [['world'], ['two', 'args']])
  t.end()
})

test('events emitted on both sides before connecting reach both, once each (scuttlebutt test/events.js)', async (t) => {
  const A = Emitter('a')
  const B = new Emitter('b')
  const _a: unknown[] = []
  const _b: unknown[] = []
  A.on('a', (d) => _a.push(d))
  B.on('a', (d) => _b.push(d))
  for (const d of ['aardvark', 'antelope', 'anteater']) A.emit('a', d)
  for (const d of ['armadillo', 'alligator', 'amoeba']) B.emit('a', d)
  const s = A.createStream()
  const bs = B.createStream()
  s.pipe(bs).pipe(s)
  // scuttlebutt's test waits one process.nextTick; Node streams need until 'synced'.
  await Promise.all([once(s, 'synced'), once(bs, 'synced')])
  t.equal(_a.length, 6)
  t.deepEqual([..._a].sort(), [..._b].sort())
  s.destroy()
})

test('history(sources) with a plain object or nothing returns an array; _update returns a boolean', (t) => {
  const e = Emitter('e')
  const ts = Scuttlebutt.timestamp()
  t.equal(e._update([['x', 1], ts, 'peer']), true)
  t.equal(e._update([['x', 1], ts, 'peer']), false, 'the same update again is old')
  e.emit('y', 2)
  const all = e.history()
  t.ok(Array.isArray(all))
  t.deepEqual(all.map((u) => u[0]), [['x', 1], ['y', 2]])
  t.deepEqual(e.history({ peer: ts }).map((u) => u[0]), [['y', 2]])
  t.deepEqual(e.sources.peer, ts)
  t.end()
})

test("the replica's own lifecycle stays off the user's event names: a peer's 'dispose' event disposes nothing", (t) => {
  const e = Emitter('e')
  const user: unknown[] = []
  e.on('dispose', (x) => user.push(x))
  let disposed = 0
  e.lifecycle.on('dispose', () => disposed++)
  e._update([['dispose', 'from a peer'], Scuttlebutt.timestamp(), 'peer'])
  t.deepEqual(user, ['from a peer'])
  t.equal(e.disposed, false)
  e.dispose()
  t.equal(disposed, 1, "the replica's dispose is on events.lifecycle")
  t.end()
})

for (const { weServe, label } of DIRECTIONS) {
  test(`grapevine/scuttlebutt/events replicates with scuttlebutt@5 Events over TCP (${label})`, async (t) => {
    const ours = Emitter('compat')
    const theirs = new SbEvents('sb')
    const gotOurs: unknown[] = []
    const gotTheirs: unknown[] = []
    ours.on('msg', (d) => gotOurs.push(d))
    theirs.on('msg', (d: unknown) => gotTheirs.push(d))
    ours.emit('msg', 'ours before')
    theirs.emit('msg', 'theirs before')
    const close = await linkSb(ours, theirs, weServe)
    await until(() => gotOurs.length === 2 && gotTheirs.length === 2, 5000, 'history')
    ours.emit('msg', 'ours after')
    theirs.emit('msg', 'theirs after')
    await until(() => gotOurs.length === 4 && gotTheirs.length === 4, 5000, 'live')
    t.deepEqual([...gotOurs].sort(), [...gotTheirs].sort())
    t.deepEqual(ours.history().map((u) => u[0]), theirs.history().map((u) => (u as unknown[])[0]), 'same history, same order')
    await close()
    ours.dispose()
    theirs.dispose()
  })
}
