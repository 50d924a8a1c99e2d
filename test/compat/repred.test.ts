import test from 'tape'
import repred = require('../../lib/compat/repred')
import { Reducer, isGrapevineError } from '../../index'
import { once, until } from '../helpers/replicas'
import { Rng, seedFromEnv } from '../helpers/rng'
import { dial, listen, pipeBoth } from '../helpers/replicas'

// repred's README and tests, against grapevine/repred (repred itself is not
// on npm, so there is no side-by-side run).

/** A grow-only set of names, repred's first README example (a reduce that returns what it added). */
function addNames (collection: string[], names: unknown): string[] {
  const added: string[] = []
  for (const name of names as string[]) {
    if (!collection.includes(name)) {
      collection.push(name)
      added.push(name)
    }
  }
  return added
}

test('repred(reduce, initial): update() reduces here, "update" fires with (change, source), collection is the state', (t) => {
  const rr = repred(addNames, [] as string[])
  t.ok(rr instanceof Reducer)
  const seen: unknown[] = []
  rr.on('update', (change, source) => seen.push([change, source]))
  t.equal(rr.update(['jim']), rr, 'update returns the instance')
  rr.update(['jim', 'ann'])
  rr.update(['ann']) // nothing new: no event
  t.deepEqual(rr.collection, ['jim', 'ann'])
  t.deepEqual(seen, [[['jim'], rr.id], [['ann'], rr.id]])
  t.end()
})

test('an empty change ([], {}, false, null) is not an update and is not sent', async (t) => {
  const shapes: unknown[] = [[], {}, false, null, undefined, 0]
  for (const empty of shapes) {
    const rr = repred(() => empty, {} as Record<string, unknown>)
    let fired = 0
    rr.on('update', () => fired++)
    rr.update({ anything: 1 })
    t.equal(fired, 0, `${JSON.stringify(empty) ?? 'undefined'} is empty`)
    t.equal(rr.size, 0, 'nothing kept to send')
  }
})

test('repred(map, reduce, initial): map turns update(...args) into a change; a nullish map result is skipped (README map-reduce)', (t) => {
  const rr = repred(
    (whatever: unknown) => (typeof whatever === 'object' && whatever !== null && 'name' in whatever ? [(whatever as { name: string }).name] : null),
    addNames,
    [] as string[]
  )
  rr.update({ name: 'jim', phone: '555' })
  rr.update({ phone: 'no name' })
  rr.update({ name: 'ann' })
  t.deepEqual(rr.collection, ['jim', 'ann'])
  const args = repred(function (this: unknown, a: unknown, b: unknown) { return { [String(a)]: b } }, (c: Record<string, unknown>, ch: unknown) => {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(ch as Record<string, unknown>)) if (c[k] !== v) { c[k] = v; out[k] = v }
    return out
  }, {} as Record<string, unknown>)
  args.update('k', 'v')
  t.deepEqual(args.collection, { k: 'v' }, 'map gets every argument of update')
  t.end()
})

test('reduce is called with the instance as this', (t) => {
  let self: unknown
  const rr = repred(function (this: unknown, c: unknown[], ch: unknown) { self = this; c.push(ch); return [ch] }, [] as unknown[])
  rr.update(1)
  t.equal(self, rr)
  t.end()
})

test('a missing initial or reduce throws ERR_INVALID_ARGUMENT', (t) => {
  t.throws(() => (repred as unknown as (f: unknown) => unknown)(addNames), (e: unknown) => isGrapevineError(e, 'ERR_INVALID_ARGUMENT'))
  t.throws(() => (repred as unknown as (a: unknown, b: unknown) => unknown)('not a function', []), (e: unknown) => isGrapevineError(e, 'ERR_INVALID_ARGUMENT'))
  t.end()
})

test('two instances piped together converge under random updates on both sides (repred test/non-virgins)', async (t) => {
  const seed = seedFromEnv()
  const rng = new Rng(seed)
  const rs1 = repred(addNames, [] as string[])
  const rs2 = repred(addNames, [] as string[])
  const s = rs1.createStream()
  const r = rs2.createStream()
  s.pipe(r).pipe(s)
  const remote: unknown[] = []
  rs2.on('update', (change, source) => { if (source === rs1.id) remote.push(change) })
  for (let i = 0; i < 12; i++) {
    (rng.chance(0.5) ? rs1 : rs2).update([`n${rng.int(0, 20)}`, `n${rng.int(0, 20)}`])
  }
  rs1.update(['only-from-rs1'])
  const sorted = (xs: string[]): string => JSON.stringify([...xs].sort())
  await until(() => sorted(rs1.collection) === sorted(rs2.collection), 5000, `convergence (SEED=${seed})`)
  t.pass(`converged (SEED=${seed})`)
  t.ok(remote.some((c) => JSON.stringify(c) === '["only-from-rs1"]'), 'a remote change fires "update" with the source that made it')
  s.destroy()
})

test('a heartbeat map ("on the wagon"): latest timestamp per name, over TCP', async (t) => {
  const drinks = (): ReturnType<typeof repred<Record<string, number>>> => repred(
    (name: unknown) => ({ [String(name)]: Date.now() }),
    (all: Record<string, number>, changes: unknown) => {
      const change: Record<string, number> = {}
      for (const [name, ts] of Object.entries(changes as Record<string, number>)) {
        if (ts > (all[name] ?? 0)) change[name] = all[name] = ts
      }
      return Object.keys(change).length > 0 ? change : false
    },
    {} as Record<string, number>)
  const rs1 = drinks()
  const rs2 = drinks()
  const srv = await listen((sock) => pipeBoth(rs1.createStream(), sock))
  const sock = await dial(srv.port)
  const cs = rs2.createStream()
  pipeBoth(cs, sock)
  for (const name of ['ann', 'bob', 'cy', 'ann']) rs1.update(name)
  rs2.update('dee')
  await once(cs, 'synced')
  await until(() => Object.keys(rs1.collection).length === 4 && Object.keys(rs2.collection).length === 4, 5000, 'all names both sides')
  t.deepEqual(rs1.collection, rs2.collection)
  sock.destroy()
  await srv.close()
})
