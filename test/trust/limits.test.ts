import test from 'tape'
import { Events, type GrapevineError, Model, TokenBucket } from '../../index'
import { until } from '../helpers/replicas'

test('a token bucket gives a burst, then one token per 1/rate seconds', (t) => {
  let now = 1000
  const b = new TokenBucket(10, 3, () => now)
  t.deepEqual([b.take(), b.take(), b.take()], [0, 0, 0], 'burst of 3')
  t.equal(b.take(), 100, 'then wait 100 ms')
  now += 50
  t.equal(b.take(), 50, 'half a token: 50 ms more')
  now += 50
  t.equal(b.take(), 0)
  now += 10_000
  t.deepEqual([b.take(), b.take(), b.take(), b.take() > 0], [0, 0, 0, true], 'refill stops at the burst size')
  t.throws(() => new TokenBucket(0), /rate/)
  t.end()
})

test('maxMessagesPerSecond paces reading from a flooding peer and drops nothing', async (t) => {
  const b = new Events('b')
  const s = b.createStream({ maxMessagesPerSecond: 200 })
  s.resume()
  let text = JSON.stringify({ id: 'flood', clock: {} }) + '\n'
  const ts0 = Date.now() - 1000
  for (let i = 1; i <= 300; i++) text += JSON.stringify([['e', i], ts0 + i, 'flood']) + '\n'
  s.write(text)
  await until(() => b.size === 300, 10_000, 'all 300 events applied')
  t.ok(s.stats.throttled > 0, `reading paused ${s.stats.throttled} times`)
  t.equal(s.stats.rejected, 0, 'nothing rejected')
  t.deepEqual(b.events().map((e) => e[1]), Array.from({ length: 300 }, (_, i) => i + 1), 'all in order')
  b.dispose()
})

test('a stream accepts updates from at most maxSources new sources', async (t) => {
  const b = new Model('b')
  const s = b.createStream({ maxSources: 3 })
  const invalid: GrapevineError[] = []
  s.on('invalid', (e: GrapevineError) => invalid.push(e))
  s.resume()
  const now = Date.now()
  s.write(JSON.stringify({ id: 'p', clock: {} }) + '\n')
  for (let i = 0; i < 6; i++) s.write(JSON.stringify([[`k${i}`, i], now, `src-${i}`]) + '\n')
  // A known source is still welcome after the cap.
  s.write(JSON.stringify([['k0', 'again'], now + 1, 'src-0']) + '\n')
  await until(() => invalid.length === 3 && b.get('k0') === 'again')
  t.ok(invalid.every((e) => e.code === 'ERR_TOO_MANY_SOURCES'), 'excess rejected with ERR_TOO_MANY_SOURCES')
  t.deepEqual(Object.keys(b.getClock()).sort(), ['src-0', 'src-1', 'src-2'], 'the clock grew by three sources only')
  t.deepEqual(b.keys().sort(), ['k0', 'k1', 'k2'])
  b.dispose()
})

test('a slow peer holds at most maxQueueBytes of live updates, then catches up from history', async (t) => {
  const a = new Model('a')
  const b = new Model('b')
  const sa = a.createStream({ maxQueueBytes: 4096 })
  const sb = b.createStream()
  // b's header reaches a, but nobody reads a's side yet: a slow peer.
  sb.pipe(sa)
  await until(() => sa.peerHeader !== undefined)
  const big = 'x'.repeat(1000)
  for (let i = 0; i < 50; i++) a.set(`k${i}`, big)
  sa.pipe(sb)
  await until(() => b.size === 50, 5000, 'b to catch up')
  t.ok(sa.stats.queueOverflows > 0, `live queue dropped ${sa.stats.queueOverflows} times`)
  t.deepEqual(b.toJSON(), a.toJSON())
  a.dispose()
  b.dispose()
})

test('limits are coded: a line too long, too deep, or a header with too many sources', async (t) => {
  const cases: Array<[Record<string, number>, string, string]> = [
    [{ maxLineBytes: 100 }, '"' + 'x'.repeat(200), 'ERR_LINE_TOO_LONG'],
    [{ maxDepth: 4 }, '[[[[[[1]]]]]]', 'ERR_TOO_DEEP'],
    [{ maxSources: 2 }, JSON.stringify({ id: 'p', clock: { a: 1, b: 1, c: 1 } }), 'ERR_TOO_MANY_SOURCES']
  ]
  for (const [opts, line, code] of cases) {
    const m = new Model('m')
    const s = m.createStream(opts)
    s.resume()
    s.write(line + '\n')
    await until(() => s.destroyed)
    t.equal((s.error as GrapevineError | undefined)?.code, code, code)
    m.dispose()
  }
})
