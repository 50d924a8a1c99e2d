import test from 'tape'
import { Model, isGrapevineError } from '../../index'
import type { GrapevineError } from '../../index'
import { connect } from '../../lib/stream/connect'
import { overTcp, tick, until } from '../helpers/replicas'

/** A wall clock a test can set wrong, then fix. */
function wall (offsetMs: number): { now: () => number, set: (ms: number) => void } {
  let off = offsetMs
  return { now: () => Date.now() + off, set: (ms) => { off = ms } }
}

const codes = (errs: GrapevineError[]): string[] => errs.map((e) => e.code)

test('a write refused for clock drift is held, not lost: it applies once the clock is fixed, before later writes', async (t) => {
  const bClock = wall(-90_000)
  const a = new Model({ id: 'a' })
  const b = new Model({ id: 'b', now: bClock.now })
  const held: GrapevineError[] = []
  const refused: GrapevineError[] = []
  const skew: GrapevineError[] = []
  b.on('held', (e: GrapevineError) => held.push(e))
  a.on('refused', (e: GrapevineError) => refused.push(e))
  a.on('skew', (e: GrapevineError) => skew.push(e))
  const link = await overTcp(a, b, { client: { holdRetryMs: 20 } })
  a.set('k1', 'first')
  await until(() => held.length === 1 && refused.length === 1, 5000, 'b to hold k1 and a to hear of it')
  t.equal(b.get('k1'), undefined, 'k1 not applied while b is 90 s slow')
  t.equal(b.clock.get(a.id), 0, "b's clock does not claim k1")
  t.equal(held[0]?.details.held, true, 'held, not dropped')
  t.equal(refused[0]?.code, 'ERR_PEER_REFUSED', 'the writer learns of it on its own side')
  t.equal(refused[0]?.details.reason, 'ERR_CLOCK_DRIFT')
  t.deepEqual(codes(skew), ['ERR_CLOCK_SKEW'], 'the writer was warned of the skew at the handshake')
  t.ok((skew[0]?.details.offsetMs as number) < -80_000, 'skew names how far behind the peer is')
  a.set('k2', 'second')
  await tick(60)
  t.equal(b.get('k2'), undefined, 'a later write of the same source waits behind the held one')
  bClock.set(0)
  await until(() => b.get('k2') === 'second', 5000, 'b to apply once its clock is fixed')
  t.equal(b.get('k1'), 'first', 'k1 applied: nothing lost')
  t.equal(link.clientStream.stats.held, 0, 'nothing held any more')
  await link.close()
  a.dispose()
  b.dispose()
})

test('a peer 59 s fast drags an honest clock; a peer 30 s slow holds the honest writes and loses none', async (t) => {
  const fast = new Model({ id: 'fast', now: wall(59_000).now })
  const honest = new Model({ id: 'honest' })
  const slowClock = wall(-30_000)
  const slow = new Model({ id: 'slow', now: slowClock.now })
  const warned: string[] = []
  honest.on('skew', () => warned.push('honest'))
  slow.on('skew', () => warned.push('slow'))
  const l1 = connect(fast, honest)
  const l2 = connect(honest, slow, { b: { holdRetryMs: 20 } })
  fast.set('from-fast', 1)
  await until(() => honest.get('from-fast') === 1, 5000, 'honest to accept the fast write')
  for (let i = 0; i < 20; i++) honest.set(`h${i}`, i)
  await until(() => l2.b.stats.held > 0, 5000, 'slow to hold')
  t.ok(warned.includes('honest'), 'the honest peer was warned that a peer is 59 s fast')
  t.equal(slow.get('h0'), undefined, 'the honest writes are held on the slow peer')
  slowClock.set(0)
  await until(() => slow.get('h19') === 19 && slow.get('from-fast') === 1, 5000, 'slow to catch up once its clock is fixed')
  for (let i = 0; i < 20; i++) t.equal(slow.get(`h${i}`), i, `h${i} arrived`)
  t.equal(slow.get('from-fast'), 1, 'the fast write arrived too')
  t.equal(l2.b.stats.held, 0, 'nothing left held')
  l1()
  l2()
  for (const r of [fast, honest, slow]) r.dispose()
})

test('more held updates than maxHeld end the stream with ERR_CLOCK_DRIFT; a reconnect resends them all', async (t) => {
  const bClock = wall(-120_000)
  const a = new Model({ id: 'a' })
  const b = new Model({ id: 'b', now: bClock.now })
  const link = connect(a, b, { b: { maxHeld: 5 } })
  for (let i = 0; i < 10; i++) a.set(`k${i}`, i)
  await link.closed
  t.equal(isGrapevineError(link.b.error) ? link.b.error.code : undefined, 'ERR_CLOCK_DRIFT', 'ended with the drift code')
  t.equal(b.size, 0, 'nothing applied, so nothing is claimed by the clock')
  bClock.set(0)
  const again = connect(a, b)
  await until(() => b.size === 10, 5000, 'reconnect to deliver every write')
  t.equal(b.get('k9'), 9)
  again()
  a.dispose()
  b.dispose()
})

test('a write-only stream fed updates it must hold finishes only after applying them', async (t) => {
  const a = new Model({ id: 'a' })
  for (let i = 0; i < 3; i++) a.set(`k${i}`, i)
  const bClock = wall(-70_000)
  const b = new Model({ id: 'b', now: bClock.now })
  const w = b.createWriteStream({ holdRetryMs: 20 })
  let closed = false
  w.on('close', () => { closed = true })
  a.createReadStream({ tail: false }).pipe(w)
  await until(() => w.stats.held === 3, 5000, 'the dump to be held')
  await tick(50)
  t.notOk(closed, 'the stream waits for what it holds')
  bClock.set(0)
  await until(() => closed, 5000, 'the stream to close once everything applied')
  t.deepEqual(b.toJSON(), { k0: 0, k1: 1, k2: 2 }, 'the whole dump applied')
  a.dispose()
  b.dispose()
})

test('headers carry the wall clock; peers within skewWarnMs hear nothing', async (t) => {
  const a = new Model({ id: 'a', now: wall(3_000).now })
  const b = new Model({ id: 'b' })
  let warnings = 0
  a.on('skew', () => warnings++)
  b.on('skew', () => warnings++)
  const link = connect(a, b)
  await until(() => link.a.synced && link.b.synced)
  const now = (link.b.peerHeader as { now?: unknown } | undefined)?.now
  t.equal(typeof now, 'number', 'the header says when it was sent')
  t.equal(warnings, 0, '3 s is within the default 5 s')
  link()
  const tight = connect(a, b, { a: { skewWarnMs: 1000 } })
  await until(() => warnings === 1, 5000, 'a warning with a tighter threshold')
  tight()
  a.dispose()
  b.dispose()
})

test('a dump has no wall clock: feeding an old dump warns of no skew', async (t) => {
  const a = new Model({ id: 'a' })
  a.set('k', 1)
  const chunks: Buffer[] = []
  const r = a.createReadStream({ tail: false })
  r.on('data', (c: Buffer) => chunks.push(c))
  await new Promise((resolve) => r.on('end', resolve))
  const header = JSON.parse(Buffer.concat(chunks).toString('utf8').split('\n')[0] as string) as Record<string, unknown>
  t.equal(header.now, undefined, 'no clock reading in a dump')
  t.equal(header.notices, undefined, 'no notices offered by a dump')
  a.dispose()
})
