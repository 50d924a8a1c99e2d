import test from 'tape'
import { GrapevineError } from '../../lib/errors/grapevine-error'
import { DEFAULT_MAX_HELD_BYTES, MemoryBudget, type MemoryHolder } from '../../lib/limits/memory-budget'

/** A holder that records the errors it was evicted with. */
function holder (b: MemoryBudget, log: GrapevineError[] = []): { h: MemoryHolder, log: GrapevineError[] } {
  return { h: b.register((e) => log.push(e)), log }
}

test('memory budget: reports add up and release gives the bytes back', (t) => {
  const b = new MemoryBudget(1000)
  const x = holder(b)
  const y = holder(b)
  x.h.add(300)
  y.h.add(200)
  t.equal(b.held, 500)
  x.h.add(-100)
  t.equal(x.h.bytes, 200)
  t.equal(b.held, 400)
  x.h.release()
  t.equal(b.held, 200, 'a released holder gives back all it held')
  t.equal(x.h.bytes, 0)
  t.notOk(x.h.active)
  x.h.add(50)
  t.equal(b.held, 200, 'a released holder counts nothing more')
  x.h.release()
  t.equal(b.held, 200, 'release twice is harmless')
  t.equal(b.stats.holders, 1)
  t.equal(b.evictions, 0)
  t.equal(x.log.length + y.log.length, 0, 'no one evicted under the limit')
  t.end()
})

test('memory budget: totals never go negative', (t) => {
  const b = new MemoryBudget(1000)
  const x = holder(b)
  x.h.add(10)
  x.h.add(-50)
  t.equal(x.h.bytes, 0, 'a holder cannot hold less than nothing')
  t.equal(b.held, 0)
  x.h.add(-1)
  t.equal(b.held, 0)
  x.h.release()
  t.equal(b.held, 0)
  t.end()
})

test('memory budget: going over evicts the largest holder, with ERR_OVERLOADED and the facts', (t) => {
  const b = new MemoryBudget(1000)
  const small = holder(b)
  const big = holder(b)
  const mid = holder(b)
  small.h.add(100)
  big.h.add(600)
  mid.h.add(250)
  t.equal(b.held, 950)
  small.h.add(100) // 1050 > 1000: the largest (big) goes, though small asked
  t.equal(big.log.length, 1, 'the largest holder was evicted')
  t.equal(small.log.length + mid.log.length, 0, 'the others were not')
  const e = big.log[0]
  t.ok(e instanceof GrapevineError)
  t.equal(e?.code, 'ERR_OVERLOADED')
  t.equal(e?.details.held, 600)
  t.equal(e?.details.total, 1050)
  t.equal(e?.details.budget, 1000)
  t.equal(b.held, 450, 'its bytes were released before its handler ran')
  t.notOk(big.h.active)
  t.equal(b.evictions, 1)
  t.ok(b.stats.peak <= 1000, 'the peak after a settled report never passes the limit')
  t.end()
})

test('memory budget: the reporting holder is evicted when it is the largest, and again until the total fits', (t) => {
  const b = new MemoryBudget(1000)
  const a = holder(b)
  const c = holder(b)
  const d = holder(b)
  a.h.add(300)
  c.h.add(300)
  d.h.add(300)
  d.h.add(2000) // d alone is over the limit
  t.equal(d.log.length, 1, 'the reporter itself, being the largest')
  t.equal(a.log.length + c.log.length, 0)
  t.equal(b.held, 600)
  const e = holder(b)
  e.h.add(900) // 1500: e is the largest, then 600 fits
  t.equal(e.log.length, 1)
  t.equal(b.held, 600)
  // Equal holders: as many go as needed, not more.
  const f = holder(b)
  f.h.add(300)
  f.h.add(300) // 1200: f (600) goes first, back to 600
  t.equal(f.log.length, 1)
  t.equal(a.log.length + c.log.length, 0)
  const g = holder(b)
  g.h.add(700) // 1300: g (700) goes
  t.equal(g.log.length, 1)
  t.equal(b.held, 600)
  t.end()
})

test('memory budget: several are evicted when one report needs it', (t) => {
  const b = new MemoryBudget(1000)
  const hs = [holder(b), holder(b), holder(b), holder(b)]
  for (const x of hs) x.h.add(240)
  const late = holder(b)
  late.h.add(200) // 1160: one of the 240s goes, and 920 fits
  t.equal(hs.filter((x) => x.log.length === 1).length, 1)
  const huge = holder(b)
  huge.h.add(100)
  // Many small reports past the limit are settled one by one, never above it.
  for (let i = 0; i < 20; i++) huge.h.add(50)
  t.ok(b.held <= 1000, `held ${b.held} within the limit`)
  t.equal(b.stats.peak <= 1000, true)
  t.end()
})

test('memory budget: a handler that reports more is settled without nesting', (t) => {
  const b = new MemoryBudget(1000)
  let calls = 0
  const other = b.register(() => { calls++ })
  other.add(500)
  const x = b.register(() => {
    calls++
    other.add(800) // while evicting: over again, settled by the same loop
  })
  x.add(600)
  t.equal(calls, 2, 'both evicted, each once')
  t.equal(b.held, 0)
  t.end()
})

test('memory budget: Infinity counts but never evicts; bad limits are refused', (t) => {
  const b = new MemoryBudget(Infinity)
  const x = holder(b)
  x.h.add(Number.MAX_SAFE_INTEGER / 2)
  x.h.add(1e9)
  t.equal(x.log.length, 0)
  t.ok(b.held > 1e9)
  t.equal(new MemoryBudget().limit, DEFAULT_MAX_HELD_BYTES, 'default 64 MiB')
  t.equal(DEFAULT_MAX_HELD_BYTES, 64 * 1024 * 1024)
  for (const bad of [0, -1, Number.NaN, '5' as unknown as number]) {
    t.throws(() => new MemoryBudget(bad), (e: unknown) => e instanceof GrapevineError && e.code === 'ERR_INVALID_ARGUMENT', `refuses ${String(bad)}`)
  }
  t.end()
})
