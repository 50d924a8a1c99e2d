import test from 'tape'
import { readFileSync } from 'node:fs'
import { inherits } from 'node:util'
import Scuttlebutt = require('../../lib/compat/scuttlebutt')
import util = require('../../lib/compat/scuttlebutt/util')
import Value = require('../../lib/compat/r-value')
import { Replica, type Update } from '../../index'
import { once, until } from '../helpers/replicas'
import { DIRECTIONS, linkSb, type SbReplica } from '../helpers/scuttlebutt'

// scuttlebutt's README: "A custom Scuttlebutt is a data model that inherits
// from Scuttlebutt. It must provide an implementation of history() and
// applyUpdate()." Both ways of inheriting are checked: util.inherits with
// Scuttlebutt.call(this), and an ES class.

interface Register extends InstanceType<typeof Scuttlebutt> {
  value: unknown
  last: Update | undefined
  put (v: unknown): void
}

/** An old-style subclass, as scuttlebutt's README describes it (written for this test). */
function OldRegister (this: Register, id?: string): Register | undefined {
  if (!(this instanceof OldRegister)) return new (OldRegister as unknown as new (id?: string) => Register)(id)
  Scuttlebutt.call(this, id)
  this.value = null
  return undefined
}
inherits(OldRegister, Scuttlebutt)
Object.assign(OldRegister.prototype, {
  put (this: Register, v: unknown) { (this as unknown as { localUpdate: (c: unknown) => void }).localUpdate(v) },
  applyUpdate (this: Register, u: Update) {
    if (this.last === undefined || util.sort([this.last, u])[1] === u) {
      this.last = u
      this.value = u[0]
      this.emit('changed', u[0])
    }
    return true
  },
  history (this: Register, sources?: Record<string, number>) {
    if (sources !== undefined && (typeof sources !== 'object' || Symbol.iterator in sources)) throw new Error('history was not given plain sources')
    return this.last !== undefined && util.filter(this.last, sources) ? [this.last] : []
  }
})
const makeOld = (id?: string): Register => (OldRegister as unknown as (id?: string) => Register)(id)

test('an old-style subclass (util.inherits, Scuttlebutt.call(this)) is a working replica', async (t) => {
  const a = makeOld('a')
  const b = new (OldRegister as unknown as new (id: string) => Register)('b')
  t.ok(a instanceof Scuttlebutt && a instanceof Replica)
  t.equal(a.id, 'a')
  t.equal(b.id, 'b')
  a.put('first')
  t.equal(a.value, 'first')
  t.deepEqual(a.history().map((u) => u[0]), ['first'], 'history() with no sources')
  t.deepEqual(a.history({ a: a.clock.get(a.id) }), [], 'history with plain sources')
  const as = a.createStream()
  const bs = b.createStream()
  as.pipe(bs).pipe(as)
  await once(bs, 'synced')
  t.equal(b.value, 'first', 'the subclass\'s history was called with plain sources and replicated')
  b.put('second')
  await until(() => a.value === 'second', 5000, 'live update back')
  t.deepEqual(a.sources, b.sources, 'sources is the plain clock')
  as.destroy()
})

test('an ES class subclass gets plain sources in history too', async (t) => {
  class Tally extends Scuttlebutt {
    seen: Update[] = []
    add (n: number): void { this.localUpdate(n) }
    override applyUpdate (u: Update): boolean {
      if (typeof u[0] !== 'number') return false
      this.seen.push(u)
      return true
    }

    override history (sources?: Record<string, number | null>): Update[] {
      return util.sort(this.seen.filter((u) => util.filter(u, sources)))
    }

    get total (): number { return this.seen.reduce((s, u) => s + (u[0] as number), 0) }
  }
  const a = new Tally('a')
  const b = new Tally('b')
  a.add(1)
  a.add(2)
  b.add(10)
  const as = a.createStream()
  const bs = b.createStream()
  as.pipe(bs).pipe(as)
  await Promise.all([once(as, 'synced'), once(bs, 'synced')])
  t.equal(a.total, 13)
  t.equal(b.total, 13)
  t.equal(a._update([5, Scuttlebutt.timestamp(), 'c']), true)
  t.equal(a._update(['not a number', Scuttlebutt.timestamp(), 'c']), false, 'a refused update is false')
  as.destroy()
})

test('Scuttlebutt() without new; its history and applyUpdate are the subclass\'s job', (t) => {
  const s = Scuttlebutt('x')
  t.equal(s.id, 'x')
  t.throws(() => s.history(), /implemented by the subclass/)
  t.end()
})

test('the helpers of scuttlebutt and scuttlebutt/util: createId, filter, sort, timestamp', (t) => {
  t.notEqual(Scuttlebutt.createId(), Scuttlebutt.createID())
  t.equal(typeof util.createId(), 'string')
  const u = (ts: number, s: string): Update => [null, ts, s] as unknown as Update
  t.equal(Scuttlebutt.filter(u(5, 'a'), { a: 4 }), true)
  t.equal(Scuttlebutt.updateIsRecent(u(5, 'a'), { a: 5 }), false)
  t.equal(util.filter(u(5, 'a'), { a: null }), true, 'null means everything')
  t.equal(util.filter(u(5, 'a')), true, 'no sources means everything')
  t.deepEqual(util.sort([u(2, 'a'), u(1, 'b'), u(1, 'a')]).map((x) => [x[1], x[2]]), [[1, 'a'], [1, 'b'], [2, 'a']])
  const t1 = Scuttlebutt.timestamp()
  const t2 = Scuttlebutt.timestamp()
  t.ok(t2 > t1 && t1 >= Date.now() - 1000, 'timestamps increase strictly, near the wall clock')
  t.end()
})

test('a scuttlebutt-style verify(update, cb) that answers at once is honoured', (t) => {
  const m = Scuttlebutt({ id: 'v', verify: (u: Update, cb: (err: unknown, ok?: boolean) => void) => cb(null, u[2] === 'trusted') } as never)
  class Keep extends Scuttlebutt {
    override applyUpdate (): boolean { return true }
    override history (): Update[] { return [] }
  }
  const k = new Keep({ id: 'k', verify: (u: Update, cb: (err: unknown, ok?: boolean) => void) => cb(null, u[2] === 'trusted') } as never)
  t.equal(k._update([1, Scuttlebutt.timestamp(), 'trusted']), true)
  t.equal(k._update([1, Scuttlebutt.timestamp(), 'stranger']), false)
  m.dispose()
  t.end()
})

// r-value's own module, loaded with require('scuttlebutt') and
// require('scuttlebutt/util') answered by grapevine: code written for
// scuttlebutt, import swapped.
function loadRValueOnGrapevine (): (id?: string) => SbReplica & { set (v: unknown): unknown, get (): unknown } {
  const file = require.resolve('r-value')
  const source = readFileSync(file, 'utf8')
  const swapped = (name: string): unknown => {
    if (name === 'scuttlebutt') return Scuttlebutt
    if (name === 'scuttlebutt/util') return util
    return require(name)
  }
  const module = { exports: {} as unknown }
  // reason: run the installed package's own file, its requires swapped.
  new Function('require', 'module', 'exports', source)(swapped, module, module.exports)
  return module.exports as never
}

test('r-value\'s own code runs on grapevine/scuttlebutt and replicates with grapevine/r-value', async (t) => {
  const RV = loadRValueOnGrapevine()
  const theirs = RV('their-code')
  const ours = Value('our-value')
  t.ok(theirs instanceof Replica, 'r-value\'s constructor built a grapevine replica')
  theirs.set({ hello: true })
  const ts = theirs.createStream()
  const os = ours.createStream()
  ts.pipe(os as never)
  os.pipe(ts as never)
  await once(os, 'synced')
  t.deepEqual(ours.get(), { hello: true })
  ours.set('back')
  await until(() => theirs.get() === 'back', 5000, 'our write reached r-value\'s code')
  ours.dispose()
  theirs.dispose()
})

for (const { weServe, label } of DIRECTIONS) {
  test(`grapevine/r-value replicates with the original r-value over TCP (${label})`, async (t) => {
    const RValue = require('r-value') as (id?: string) => SbReplica & { set (v: unknown): unknown, get (): unknown }
    const theirs = RValue('original')
    const ours = Value('compat')
    theirs.set('from r-value')
    const close = await linkSb(ours, theirs, weServe)
    await until(() => ours.get() === 'from r-value', 5000, 'history')
    ours.set({ from: 'grapevine' })
    await until(() => (theirs.get() as { from?: string } | null)?.from === 'grapevine', 5000, 'live')
    t.deepEqual(theirs.get(), ours.get())
    await close()
    ours.dispose()
    theirs.dispose()
  })
}
