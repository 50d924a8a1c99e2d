import test from 'tape'
import { HybridClock } from '../../lib/clock/hybrid-clock'
import { Rng, seedFromEnv } from '../helpers/rng'

test('within(ts, ms) answers as ts <= wallNow() + ms would, reading the wall clock only near the limit', (t) => {
  const seed = seedFromEnv()
  const rng = new Rng(seed)
  let wall = 1_700_000_000_000
  let reads = 0
  const hlc = new HybridClock(() => { reads++; return wall })
  const twin = new HybridClock(() => wall)
  let checks = 0
  for (let i = 0; i < 20_000; i++) {
    // The wall clock mostly creeps forward, sometimes jumps, sometimes steps back an hour.
    const r = rng.next()
    wall += r < 0.9 ? rng.int(0, 3) : r < 0.95 ? rng.int(0, 120_000) : -3_600_000
    const ts = wall + rng.pick([-5000, 0, 59_999, 60_000, 60_001, 200_000]) + rng.pick([0, 0.5])
    checks++
    const got = hlc.within(ts, 60_000)
    const want = ts <= twin.wallNow() + 60_000
    if (got !== want) {
      t.fail(`step ${i}: within said ${got}, wallNow says ${want} (SEED=${seed})`)
      return t.end()
    }
  }
  t.pass(`${checks} checks agree (seed ${seed})`)
  t.ok(reads < checks, `the wall clock was read ${reads} times for ${checks} checks`)
  const calm = new HybridClock(() => { reads++; return 1_700_000_000_000 })
  reads = 0
  for (let i = 0; i < 1000; i++) calm.within(1_700_000_000_000 - i, 60_000)
  t.equal(reads, 0, 'timestamps well inside the limit never read the clock')
  t.end()
})
