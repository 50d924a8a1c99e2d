import test from 'tape'
import Value = require('../../lib/compat/r-value')
import { Value as GrapevineValue } from '../../index'
import { once, until } from '../helpers/replicas'

// r-value's README and tests, against grapevine/r-value; side by side with
// the original r-value where the observation is local.

interface AnyValue {
  set (v: unknown): unknown
  get (): unknown
  toJSON (): unknown
  history (sources?: Record<string, number>): unknown[]
  on (name: string, fn: (...args: unknown[]) => void): unknown
}
const RValue = require('r-value') as (id?: string) => AnyValue
const sideBySide = <T>(scenario: (make: () => AnyValue) => T): { ours: T, theirs: T } =>
  ({ ours: scenario(() => Value() as unknown as AnyValue), theirs: scenario(() => RValue()) })

test('Value() without new; get() is null before any set (README example)', (t) => {
  const seen = sideBySide((make) => {
    const v = make()
    const before = v.get()
    v.set({ any: 'object' })
    return { before, after: v.get(), json: v.toJSON() }
  })
  t.deepEqual(seen.ours, seen.theirs)
  t.deepEqual(seen.ours, { before: null, after: { any: 'object' }, json: { any: 'object' } })
  t.ok(Value() instanceof GrapevineValue)
  t.equal(Value('my-id').id, 'my-id', 'the first argument is the id')
  t.end()
})

test("'update' carries the new value alone, once per set (r-value test 'history')", (t) => {
  const seen = sideBySide((make) => {
    const v = make()
    const updates: unknown[] = []
    v.on('update', (...args) => updates.push(args))
    v.set('hello')
    v.set(0.25)
    v.set({ thing: true })
    return { updates, get: v.get() }
  })
  t.deepEqual(seen.ours, seen.theirs)
  t.deepEqual(seen.ours.updates, [['hello'], [0.25], [{ thing: true }]])
  t.end()
})

test("set(null) stores null (r-value test 'null toJSON'); 'change' keeps grapevine's (value, update)", (t) => {
  const v = Value()
  const changes: unknown[] = []
  v.on('change', (value, update) => changes.push([value, Array.isArray(update)]))
  v.set({ thing: true })
  v.set(null)
  t.equal(v.get(), null)
  t.equal(v.toJSON(), null)
  v.set(undefined)
  t.equal(v.get(), null, 'undefined is sent as null, as JSON would send it')
  t.deepEqual(changes, [[{ thing: true }, true], [null, true], [null, true]])
  t.end()
})

test('history() returns an array; history(sources) takes a plain object', (t) => {
  const v = Value('me')
  v.set(1)
  v.set(2)
  const h = v.history()
  t.ok(Array.isArray(h))
  t.deepEqual(h.map((u) => u[0]), [2], 'only the winning update is history (r-value kept histLength of them)')
  t.deepEqual(v.history({ me: h[0]?.[1] as number }), [])
  t.end()
})

test("two Values piped together replicate (r-value test 'replicate')", async (t) => {
  const v = Value()
  const w = Value()
  const vs = v.createStream()
  const ws = w.createStream()
  vs.pipe(ws).pipe(vs)
  v.set({ hello: true })
  // Node streams deliver on a later tick; r-value's test read w at once.
  await once(ws, 'synced')
  await until(() => w.get() !== null, 5000, 'the value')
  t.deepEqual(w.get(), v.get())
  vs.destroy()
})

test("a concurrent older write arriving late does not emit a stale 'update'", (t) => {
  const v = Value('v')
  const seen: unknown[] = []
  v.on('update', (x) => seen.push(x))
  const now = Date.now()
  v._update(['new', now, 'x'])
  v._update(['old', now - 10, 'y'])
  t.deepEqual(seen, ['new'], 'r-value would also have emitted "old" while get() stayed "new"')
  t.equal(v.get(), 'new')
  t.end()
})
