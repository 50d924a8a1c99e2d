import test from 'tape'
import net from 'node:net'
import { inherits } from 'node:util'
import type { AddressInfo } from 'node:net'
import Model = require('../../lib/compat/scuttlebutt/model')
import Scuttlebutt = require('../../lib/compat/scuttlebutt')
import { Model as GrapevineModel } from '../../index'
import { once, until } from '../helpers/replicas'
import { DIRECTIONS, SbModel, linkSb } from '../helpers/scuttlebutt'

// Each behaviour from scuttlebutt's README and tests, run against
// grapevine/scuttlebutt/model; where it helps, the same scenario also runs
// on the real scuttlebutt@5 Model and the two observations must be equal.

/** The parts of a scuttlebutt-style Model a scenario drives (both implementations have them). */
interface AnyModel {
  id: string
  set (k: string, v: unknown): unknown
  get (k: string): unknown
  keys (): string[]
  each (fn: (v: unknown, k: string) => void): unknown
  toJSON (): Record<string, unknown>
  history (sources?: Record<string, number | null>): unknown[]
  _update (u: unknown): boolean
  on (name: string, fn: (...args: unknown[]) => void): unknown
  once (name: string, fn: (...args: unknown[]) => void): unknown
}
const ours = (id?: string): AnyModel => Model(id) as unknown as AnyModel
const theirs = (id?: string): AnyModel => new SbModel(id) as unknown as AnyModel
const sideBySide = <T>(scenario: (make: (id?: string) => AnyModel) => T): { ours: T, theirs: T } =>
  ({ ours: scenario(ours), theirs: scenario(theirs) })

test('Model() works without new, with an id string or an options object', (t) => {
  const a = Model('alice')
  const b = new Model({ id: 'bob' })
  const c = Model()
  t.equal(a.id, 'alice')
  t.equal(b.id, 'bob')
  t.ok(c.id.length > 0)
  t.ok(a instanceof Model && a instanceof GrapevineModel, 'instances are grapevine Models')
  t.end()
})

test('set and get a property; set(key, null) deletes it from toJSON (scuttlebutt test/model.js)', (t) => {
  const seen = sideBySide((make) => {
    const m = make()
    const events: unknown[] = []
    const empty = m.toJSON()
    m.once('change', (key, value) => events.push(['change', key, value, m.toJSON()]))
    m.once('change:key', (value) => events.push(['change:key', value]))
    m.set('key', 0.5)
    m.set('key', null)
    return { empty, events, get: m.get('key'), json: m.toJSON() }
  })
  t.deepEqual(seen.ours, seen.theirs, 'same observations as scuttlebutt')
  t.deepEqual(seen.ours.json, {})
  t.equal(seen.ours.get, null)
  const m = Model()
  m.set('key', 1).set('key', null)
  t.equal(m.has('key'), false, 'has() is false after set(key, null)')
  m.set('other', 1).set('other', undefined)
  t.equal(m.has('other'), false, 'set(key, undefined) deletes too, as in scuttlebutt')
  t.deepEqual(m.toJSON(), {})
  t.end()
})

test('keys in insertion order, each visits every value (scuttlebutt test/iterate.js)', (t) => {
  const seen = sideBySide((make) => {
    const m = make()
    'aoeui'.split('').forEach((k, i) => m.set(k, i + 1))
    let sum = 0
    const ret = m.each((v) => { sum += v as number })
    return { keys: m.keys(), sum, chained: ret === m }
  })
  t.deepEqual(seen.ours, seen.theirs)
  t.deepEqual(seen.ours, { keys: ['a', 'o', 'e', 'u', 'i'], sum: 15, chained: true })
  t.end()
})

test('_update returns true for a new update and false for an old one; history keeps the newer (scuttlebutt test/index.js)', (t) => {
  const ts = Scuttlebutt.timestamp()
  const seen = sideBySide((make) => {
    const g = make()
    const first = g._update([['key', 1], ts, 'source'])
    const older = g._update([['key', 2], ts - 1, 'source'])
    return { first, older, value: g.get('key'), history: g.history() }
  })
  t.deepEqual(seen.ours, seen.theirs)
  t.deepEqual(seen.ours, { first: true, older: false, value: 1, history: [[['key', 1], ts, 'source']] })
  t.equal(Model()._update('not an update'), false, 'a malformed update is false, not a throw')
  t.end()
})

test('history(sources) filters by a plain {source: ts} object; null means everything (scuttlebutt test/index.js)', (t) => {
  const ts = Scuttlebutt.timestamp()
  const seen = sideBySide((make) => {
    const g = make()
    g._update([['A', 'aaa'], ts, '#A'])
    g._update([['B', 'bbb'], ts, '#B'])
    g._update([['C', 'ccc'], ts, '#C'])
    const filter: Record<string, number | null> = { '#A': ts, '#B': ts, '#C': ts }
    const none = g.history(filter)
    filter['#B'] = ts - 1
    const justB = g.history(filter)
    filter['#C'] = null
    const bAndC = g.history(filter)
    return { none, justB, bAndC, all: g.history().length }
  })
  t.deepEqual(seen.ours, seen.theirs)
  t.deepEqual(seen.ours.justB, [[['B', 'bbb'], ts, '#B']])
  t.ok(Array.isArray(seen.ours.none), 'history returns an array')
  t.end()
})

test("on('update') gets (change, ts, source) for an update that wins, as scuttlebutt emits it", (t) => {
  const ts = Scuttlebutt.timestamp()
  const seen = sideBySide((make) => {
    const m = make('me')
    const got: unknown[] = []
    m.on('update', (...args) => got.push(args))
    m._update([['k', 'v'], ts, 'peer'])
    m._update([['k', 'older'], ts - 1, 'other']) // loses to the first
    m.set('mine', 1)
    return got.map((args) => [(args as unknown[]).length, (args as unknown[])[0], typeof (args as unknown[])[1], (args as unknown[])[2]])
  })
  t.deepEqual(seen.ours, seen.theirs)
  t.deepEqual(seen.ours, [[3, ['k', 'v'], 'number', 'peer'], [3, ['mine', 1], 'number', 'me']])
  t.end()
})

test('two Models piped together replicate (the README example, in memory)', async (t) => {
  const a = new Model()
  const b = new Model()
  a.set('key', 'value')
  const updates: unknown[] = []
  b.on('update', (change) => updates.push(change))
  const s = a.createStream()
  const bs = b.createStream()
  s.pipe(bs).pipe(s)
  // Node streams deliver on a later tick, not in the same one as scuttlebutt's.
  await once(bs, 'synced')
  t.equal(b.get('key'), 'value')
  t.deepEqual(updates, [['key', 'value']])
  a.set('later', 1)
  await until(() => b.get('later') === 1, 5000, 'live update')
  t.deepEqual(b.toJSON(), a.toJSON())
  s.destroy()
})

test('replication over net, as in the README: server and client', async (t) => {
  const s = new Model()
  const z = new Model()
  const server = net.createServer((stream) => { stream.pipe(s.createStream()).pipe(stream) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const stream = net.connect((server.address() as AddressInfo).port, '127.0.0.1')
  stream.pipe(z.createStream()).pipe(stream)
  s.set('from-server', 1)
  z.set('from-client', 2)
  await until(() => z.get('from-server') === 1 && s.get('from-client') === 2, 5000, 'both ways')
  t.deepEqual(s.toJSON(), z.toJSON())
  stream.destroy()
  s.dispose()
  z.dispose()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

test('a clone holds the same history at once', (t) => {
  const a = Model()
  a.set('x', 1).set('y', 2)
  const b = a.clone()
  t.deepEqual(b.history(), a.history())
  a.dispose()
  b.dispose()
  t.end()
})

test("accepted updates are announced as '_update', never as 'update' with grapevine's arguments", (t) => {
  const m = Model('me')
  const internal: unknown[] = []
  const update: unknown[] = []
  m.on('_update', (u) => internal.push(u))
  m.on('update', (...args) => update.push(args.length))
  m.set('k', 1)
  t.equal(internal.length, 1)
  t.deepEqual((internal[0] as unknown[]).slice(0, 1), [['k', 1]])
  t.deepEqual(update, [3])
  t.end()
})

for (const { weServe, label } of DIRECTIONS) {
  test(`the compat Model replicates with a scuttlebutt@5 Model over TCP, deletes included (${label})`, async (t) => {
    const a = Model('compat')
    const b = new SbModel('sb')
    a.set('a', 1).set('gone', 1).set('gone', undefined)
    b.set('b', 2).set('b-gone', 3).set('b-gone', null)
    const close = await linkSb(a, b, weServe)
    await until(() => a.get('b') === 2 && b.get('a') === 1, 5000, 'history exchange')
    a.set('a', null)
    b.set('c', 3)
    await until(() => a.get('c') === 3 && b.get('a') === null, 5000, 'live')
    t.deepEqual(a.toJSON(), b.toJSON())
    t.deepEqual(a.toJSON(), { b: 2, c: 3 })
    await close()
    a.dispose()
    b.dispose()
  })
}

test('an old-style subclass of Model (util.inherits, Model.call(this)) keeps every Model behaviour', async (t) => {
  interface Expiring extends InstanceType<typeof Model> { stamp (k: string): void }
  function ExpiringModel (this: Expiring, id?: string): void {
    Model.call(this, id)
  }
  inherits(ExpiringModel, Model)
  ;(ExpiringModel.prototype as Expiring).stamp = function (this: Expiring, k: string) { this.set(k, Date.now()) }
  const a = new (ExpiringModel as unknown as new (id: string) => Expiring)('a')
  const b = Model('b')
  t.ok(a instanceof Model && a instanceof GrapevineModel)
  const perKey: unknown[] = []
  a.on('change:k', (v) => perKey.push(v))
  a.set('k', 1)
  t.deepEqual(perKey, [1], "'change:<key>' listeners are counted on the subclass instance")
  a.stamp('t')
  const as = a.createStream()
  const bs = b.createStream()
  as.pipe(bs).pipe(as)
  await once(bs, 'synced')
  t.deepEqual(b.toJSON(), a.toJSON())
  as.destroy()
})
