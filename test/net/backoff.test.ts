import test from 'tape'
import { Backoff } from '../../lib/net/backoff'
import { type Connection, Dialer } from '../../lib/net/dialer'
import { FakeTimers, seeded, testSeed } from '../helpers/fake-timers'

const seed = testSeed()

/** A fake connection the test can drop. */
function fakeConn (): Connection & { drop: () => void } {
  let drop = (): void => {}
  const closed = new Promise<void>((resolve) => { drop = resolve })
  return { closed, close: () => drop(), drop: () => drop() }
}

function histogram (times: number[], from: number, width: number, buckets: number): number[] {
  const h = new Array<number>(buckets).fill(0)
  for (const x of times) {
    const i = Math.floor((x - from) / width)
    if (i >= 0 && i < buckets) h[i] = (h[i] ?? 0) + 1
  }
  return h
}

test('backoff ceilings double up to the cap and every delay stays under its ceiling', (t) => {
  const random = seeded(seed)
  const b = new Backoff({ baseMs: 100, maxMs: 3000, random })
  const ceilings: number[] = []
  for (let i = 0; i < 10; i++) {
    const c = b.ceiling
    const d = b.next()
    ceilings.push(c)
    if (!(d >= 0 && d < c)) t.fail(`seed ${seed}: delay ${d} outside [0, ${c})`)
  }
  t.deepEqual(ceilings, [100, 200, 400, 800, 1600, 3000, 3000, 3000, 3000, 3000], 'ceilings grow by the factor and stop at the cap')
  b.reset()
  t.equal(b.ceiling, 100, 'reset starts again from the base')
  t.equal(b.attempts, 0, 'reset clears the attempt count')
  t.end()
})

test('1000 dialers dropped by the same server do not come back in lockstep (full jitter)', async (t) => {
  const timers = new FakeTimers()
  const random = seeded(seed)
  let serverUp = true
  const open = new Set<ReturnType<typeof fakeConn>>()
  const firstRedial = new Map<number, number>()
  let dropped = false
  const connects: number[] = []
  const dialers: Dialer[] = []
  for (let i = 0; i < 1000; i++) {
    dialers.push(new Dialer(async () => {
      if (dropped && !firstRedial.has(i)) firstRedial.set(i, timers.now())
      if (!serverUp) throw new Error('ECONNREFUSED')
      const c = fakeConn()
      open.add(c)
      connects.push(timers.now())
      void c.closed.then(() => open.delete(c))
      return c
    }, { baseMs: 100, maxMs: 2000, stableMs: 1000, timers, random }))
  }
  await timers.advance(5000)
  t.equal(open.size, 1000, 'all 1000 connected at start')

  // The server restarts: every connection drops at the same instant, and it
  // stays down for 3 s.
  const dropAt = timers.now()
  dropped = true
  connects.length = 0
  serverUp = false
  for (const c of [...open]) c.drop()
  await timers.advance(3000)
  serverUp = true
  await timers.advance(10_000)

  t.equal(open.size, 1000, 'all 1000 reconnected')
  const first = [...firstRedial.values()]
  t.equal(first.length, 1000, 'every client redialed')
  const hist = histogram(first, dropAt, 10, 10)
  t.comment(`seed ${seed}; each client's first redial after the drop, per 10 ms (base 100 ms): ${hist.join(' ')}`)
  // Full jitter: uniform over [0, base). Expected 100 per bucket, sd ~9.5.
  t.ok(hist.every((n) => n > 50 && n < 150), `first redials are spread evenly over the whole window [seed ${seed}]`)

  const back = histogram(connects, dropAt + 3000, 250, 12)
  t.comment(`reconnects after the server came back, per 250 ms: ${back.join(' ')}`)
  const spreadMs = Math.max(...connects) - Math.min(...connects)
  t.ok(spreadMs > 500, `reconnects are spread over ${spreadMs} ms, not one instant [seed ${seed}]`)
  t.ok(Math.max(...back) < 700, `no 250 ms window takes most clients (max ${Math.max(...back)}) [seed ${seed}]`)
  for (const d of dialers) d.close()
})

test('redial delays never exceed the cap, however long the server stays down', async (t) => {
  const timers = new FakeTimers()
  const random = seeded(seed + 1)
  const gaps: number[] = []
  const dialers: Dialer[] = []
  for (let i = 0; i < 1000; i++) {
    let last = 0
    dialers.push(new Dialer(async () => {
      const now = timers.now()
      if (last > 0) gaps.push(now - last)
      last = now
      throw new Error('down')
    }, { baseMs: 50, maxMs: 1000, timers, random }))
  }
  await timers.advance(30_000)
  const max = Math.max(...gaps)
  t.ok(max <= 1000, `longest gap between dials ${max} ms <= cap 1000 ms`)
  t.ok(max > 900, `the cap is reached (longest gap ${max} ms) [seed ${seed}]`)
  t.ok(dialers.every((d) => d.attempts > 20), 'every dialer keeps trying')
  for (const d of dialers) d.close()
  t.equal(timers.pending, 0, 'closing dialers cancels their timers')
})

test('a stable connection resets the backoff; a flapping one does not', async (t) => {
  const timers = new FakeTimers()
  let up = false
  let conn: ReturnType<typeof fakeConn> | undefined
  const d = new Dialer(async () => {
    if (!up) throw new Error('down')
    conn = fakeConn()
    return conn
  }, { baseMs: 100, maxMs: 100_000, stableMs: 5000, timers, random: () => 0.999 })
  await timers.advance(10_000)
  const grown = d.attempts
  t.ok(grown >= 5, `attempts grew while the server was down (${grown})`)

  up = true
  while (conn === undefined && timers.now() < 1_000_000) await timers.advance(1)
  t.ok(conn !== undefined, 'connected once the server is up')
  const flap = d.attempts
  // A drop after a short connection: the backoff keeps its level.
  let delay = -1
  d.once('retry', (ms: number) => { delay = ms })
  conn?.drop()
  await timers.advance(0)
  t.equal(d.attempts, flap + 1, 'a short-lived connection does not reset the backoff')
  t.ok(delay > 100, `and the next delay stays large (${delay} ms)`)
  const before = conn
  while (conn === before && timers.now() < 2_000_000) await timers.advance(10)
  t.notEqual(conn, before, 'reconnected')

  // Stay up past stableMs, then drop: back to the base delay.
  await timers.advance(6000)
  d.once('retry', (ms: number) => { delay = ms })
  conn?.drop()
  await timers.advance(0)
  t.equal(d.attempts, 1, 'a stable connection resets the attempt count')
  t.ok(delay < 100, `the next delay is back under the base (${delay} ms)`)
  d.close()
})
