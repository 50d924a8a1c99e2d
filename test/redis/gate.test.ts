import test from 'tape'
import { GrapevineError } from '../../lib/errors/grapevine-error'
import { Events } from '../../lib/models/events'
import { Model } from '../../lib/models/model'
import type { Replica } from '../../lib/replica/replica'
import { VectorClock } from '../../lib/clock/vector-clock'
import { type GateHooks, WriteGate } from '../../lib/redis/gate'
import { Intake } from '../../lib/redis/intake'
import { connect, type Disconnect } from '../../lib/stream/connect'
import { createReplicaStream } from '../../lib/stream/replica-stream'
import type { ClockJSON, Update } from '../../lib/wire/types'
import { Rng } from '../helpers/rng'
import { testSeed } from '../helpers/fake-timers'
import { tick, until, waitSynced } from '../helpers/replicas'

// The write gate alone, in memory: real replica streams on both sides, and
// an append the test settles by hand (the gate's only I/O), so each step of
// "store first, then apply, forward and acknowledge" can be watched.

interface Pending { updates: Update[], resolve: () => void, reject: (e: Error) => void }

interface Harness<R extends Replica> {
  relay: R
  gate: WriteGate
  appends: Pending[]
  durable: Array<{ origin: unknown, clock: ClockJSON }>
  refused: Array<{ origin: unknown, err: GrapevineError }>
  join: (m: Replica) => Promise<Disconnect>
}

function harness (opts: { up?: () => boolean } = {}): Harness<Model> {
  return harnessOf(new Model({ id: 'relay', maxDriftMs: Infinity }), opts)
}

function harnessOf<R extends Replica> (relay: R, opts: { up?: () => boolean } = {}): Harness<R> {
  const appends: Pending[] = []
  const durable: Array<{ origin: unknown, clock: ClockJSON }> = []
  const refused: Array<{ origin: unknown, err: GrapevineError }> = []
  const intake = new Intake((origin, err) => {
    refused.push({ origin, err })
    ;(origin as { destroy: (e: Error) => void }).destroy(err)
  })
  const hooks: GateHooks = {
    append: (updates) => new Promise<void>((resolve, reject) => { appends.push({ updates: [...updates], resolve, reject }) }),
    up: opts.up ?? (() => true),
    durable: (origin, clock) => { durable.push({ origin, clock }) },
    invalid: () => {}
  }
  const gate = new WriteGate(relay, intake, hooks)
  const join = async (m: Replica): Promise<Disconnect> => {
    const d = connect(m, { createStream: (o) => createReplicaStream(gate, o) })
    await Promise.all([waitSynced(d.a), waitSynced(d.b)])
    return d
  }
  return { relay, gate, appends, durable, refused, join }
}

test('a client write reaches the relay and the other clients only once its append resolved, then is acknowledged to its writer', async (t) => {
  const h = harness()
  const a = new Model('a')
  const b = new Model('b')
  const da = await h.join(a)
  await h.join(b)
  a.set('k', 1)
  await until(() => h.appends.length === 1, 5000, 'the append')
  await tick(20)
  t.equal(h.relay.get('k'), undefined, 'not applied while Redis has not answered')
  t.equal(b.get('k'), undefined, 'not forwarded while Redis has not answered')
  t.deepEqual(h.durable, [], 'not acknowledged yet')
  ;(h.appends[0] as Pending).resolve()
  await until(() => b.get('k') === 1, 5000, 'the forward')
  t.equal(h.relay.get('k'), 1, 'applied once stored')
  t.equal(h.durable.length, 1, 'acknowledged once')
  t.equal(h.durable[0]?.origin, da.b, 'to the stream it came from')
  t.deepEqual(h.durable[0]?.clock, { a: a.clock.get(a.id) }, 'with the writer\'s timestamp')
  t.equal(da.b.stats.updatesSent, 0, 'never echoed to its writer')
})

test('a failed append refuses every writer with updates behind it, and nothing behind it is appended', async (t) => {
  const h = harness()
  const a = new Model('a')
  const b = new Model('b')
  const da = await h.join(a)
  const db = await h.join(b)
  a.set('x', 1)
  await until(() => h.appends.length === 1, 5000, 'first append')
  a.set('y', 2) // behind the batch in flight: it continues source a
  b.set('z', 3)
  await tick(20)
  t.equal(h.appends.length, 1, 'one batch in flight at a time')
  t.equal(h.gate.pending, 3, 'three updates wait')
  ;(h.appends[0] as Pending).reject(new GrapevineError('ERR_BACKEND', 'connection lost'))
  await Promise.all([da.closed, db.closed])
  t.equal(h.appends.length, 1, 'no later batch was appended (it would store y without x)')
  t.deepEqual(h.refused.map((r) => r.err.code), ['ERR_BACKEND', 'ERR_BACKEND'], 'both writers refused with ERR_BACKEND')
  t.deepEqual(h.relay.toJSON(), {}, 'the relay holds nothing Redis may not hold')
  t.equal(h.gate.pending, 0, 'nothing left waiting')
  t.deepEqual(h.durable, [], 'nothing acknowledged')
  // The writers kept their writes: the next connection sends exactly what the relay lacks.
  const again = await h.join(a)
  await until(() => h.appends.length === 2, 5000, 'resend')
  t.deepEqual(h.appends[1]?.updates.map((u) => u[0]), [['x', 1], ['y', 2]], 'a resends x then y, in order')
  ;(h.appends[1] as Pending).resolve()
  await until(() => h.relay.get('y') === 2, 5000, 'stored')
  again()
})

test('while Redis is down a write is refused at once, never queued', async (t) => {
  let up = true
  const h = harness({ up: () => up })
  const a = new Model('a')
  const reader = new Model('reader')
  const da = await h.join(a)
  const dr = await h.join(reader)
  up = false
  a.set('k', 1)
  await da.closed
  t.equal(h.appends.length, 0, 'no append attempted')
  t.equal(h.refused[0]?.err.details.kind, 'down', 'refused as down')
  t.notOk(dr.b.destroyed, 'a client that only reads stays connected')
  up = true
  const again = await h.join(a)
  await until(() => h.appends.length === 1, 5000, 'the write, resent after Redis came back')
  ;(h.appends[0] as Pending).resolve()
  await until(() => reader.get('k') === 1, 5000, 'forwarded')
  t.pass('the write arrived once Redis was back')
  again()
  dr()
})

test('an update two clients send at once is stored once, and acknowledged to both', async (t) => {
  const h = harness()
  const a = new Model('a')
  const b = new Model('b')
  const c = new Model('c')
  await connectPair(a, b)
  const da = await h.join(a)
  const db = await h.join(b)
  a.set('k', 1) // b gets it from a directly and forwards it too
  await until(() => b.get('k') === 1, 5000, 'b has it')
  await until(() => h.appends.length >= 1, 5000, 'append')
  await tick(20)
  const all = h.appends.flatMap((p) => p.updates)
  t.equal(all.filter((u) => u[2] === 'a').length, h.appends.length, 'at most once per batch')
  for (const p of h.appends) p.resolve()
  await h.join(c)
  await until(() => c.get('k') === 1, 5000, 'a new client gets it')
  t.ok(h.durable.some((d) => d.origin === da.b) && (h.durable.some((d) => d.origin === db.b) || h.appends.length === 1), 'acknowledged to whoever sent it')
})

test('far-future updates end the client stream with ERR_CLOCK_DRIFT before anything is appended; old ones are dropped', async (t) => {
  const h = harness()
  const s = createReplicaStream(h.gate)
  const closed = new Promise<void>((resolve) => s.once('close', () => resolve()))
  s.write(JSON.stringify({ id: 'p', clock: {} }) + '\n')
  s.write(JSON.stringify([['k', 1], Date.now() + 3_600_000, 'p']) + '\n')
  s.resume()
  await closed
  t.equal((s.error as GrapevineError | undefined)?.code, 'ERR_CLOCK_DRIFT', 'the stream ends with ERR_CLOCK_DRIFT (a reconnect resends it)')
  t.equal(h.appends.length, 0, 'nothing appended')
  h.relay.receive([['a', 1], 100, 'p'] as never, undefined)
  const r = h.gate.receive([['k', 1], 50, 'p'] as never, {})
  t.equal(r.status, 'old', 'an update the relay\'s clock covers is old')
})

test('random writers, failures and reconnects: the stored log never has a hole, and everything converges', async (t) => {
  // Events keep every update in their history, so "no hole" is exact: what
  // is stored of each source is a prefix of what its writer issued.
  const seed = testSeed()
  const rng = new Rng(seed)
  t.comment(`seed ${seed} (SEED=${seed} replays)`)
  const log: Update[] = []
  const h = harnessOf(new Events({ id: 'relay', maxDriftMs: Infinity }))
  const writers = [new Events('w0'), new Events('w1'), new Events('w2')]
  const links: Array<Disconnect | undefined> = writers.map(() => undefined)
  const rejoin = async (): Promise<void> => {
    for (let i = 0; i < writers.length; i++) {
      const l = links[i]
      if (l === undefined || l.b.destroyed) links[i] = await h.join(writers[i] as Events)
    }
  }
  for (let round = 0; round < 150; round++) {
    await rejoin()
    for (const w of writers) if (rng.chance(0.5)) w.emit('e', round)
    await tick(rng.int(0, 1))
    // Settle the batch in flight only sometimes, so later ones queue up behind it.
    const p = h.appends.shift()
    if (p === undefined) continue
    if (!rng.chance(0.5)) {
      h.appends.unshift(p)
    } else if (rng.chance(0.25)) {
      p.reject(new GrapevineError('ERR_BACKEND', 'flaky'))
    } else {
      log.push(...p.updates)
      checkNoHole(t, log, writers)
      p.resolve()
    }
  }
  const same = (): boolean => writers.every((w) => w.events().length === h.relay.events().length)
  const settle = Date.now() + 10_000
  while (!same() && Date.now() < settle) {
    // A refusal of the last round lands a turn later: reconnect whoever it closed.
    await rejoin()
    while (h.appends.length > 0) {
      const p = h.appends.shift() as Pending
      log.push(...p.updates)
      p.resolve()
    }
    await tick(5)
  }
  t.ok(h.refused.length > 0, `writers were refused along the way (${h.refused.length})`)
  // A relay that replays the stored log from scratch ends in the same state.
  const replay = new Events({ id: 'replay', maxDriftMs: Infinity })
  for (const u of log) replay.receive(u, undefined)
  t.deepEqual(replay.events(), h.relay.events(), 'replaying the stored log gives the relay\'s state')
  for (const w of writers) t.deepEqual(w.events(), h.relay.events(), `${w.id} converged (seed ${seed})`)
  for (const l of links) l?.()
})

/** Every source's stored updates are a prefix of what its writer issued: no update stored after a missing one. */
function checkNoHole (t: test.Test, log: readonly Update[], writers: Events[]): void {
  for (const w of writers) {
    const issued = [...w.history(new VectorClock())].filter((u) => u[2] === w.id).map((u) => u[1])
    const stored = new Set(log.filter((u) => u[2] === w.id).map((u) => u[1]))
    const maxStored = Math.max(0, ...stored)
    const hole = issued.find((ts) => ts < maxStored && !stored.has(ts))
    if (hole !== undefined) t.fail(`source ${w.id}: ${hole} missing below stored ${maxStored}`)
  }
}

function connectPair (a: Model, b: Model): Promise<Disconnect> {
  const d = connect(a, b)
  return Promise.all([waitSynced(d.a), waitSynced(d.b)]).then(() => d)
}
