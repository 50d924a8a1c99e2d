import test from 'tape'
import fc from 'fast-check'
import { HybridClock, LineDecoder, Model, VectorClock } from '../../index'
import { seedFromEnv } from '../helpers/rng'
import type { Update } from '../../lib/wire/types'

const seed = seedFromEnv()
const params = { seed, numRuns: Number(process.env.PROPERTY_RUNS ?? 200) }
const check = (t: test.Test, name: string, prop: fc.IProperty<never> | fc.IProperty<unknown[]>): void => {
  const r = fc.check(prop as fc.IProperty<unknown[]>, params)
  if (r.failed) t.fail(`${name}: counterexample ${JSON.stringify(r.counterexample)} (replay with SEED=${seed})`)
  else t.pass(`${name} (${r.numRuns} runs, seed ${seed})`)
}

test('framing: any chunking of any JSON lines decodes to the same values', (t) => {
  check(t, 'chunking-invariant decode', fc.property(
    fc.array(fc.jsonValue({ maxDepth: 4 }), { minLength: 1, maxLength: 20 }),
    fc.array(fc.nat(), { maxLength: 20 }),
    (values, cuts) => {
      const bytes = Buffer.from(values.map((v) => JSON.stringify(v)).join('\n') + '\n')
      const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
      const d = new LineDecoder({ maxLineBytes: 1 << 20, maxDepth: 64 })
      const out: unknown[] = []
      let prev = 0
      for (const p of [...points, bytes.length]) {
        d.write(bytes.subarray(prev, p), out)
        prev = p
      }
      d.end(out)
      // JSON round trip normalises -0 and the like, as the wire does.
      return JSON.stringify(out) === JSON.stringify(values.map((v) => JSON.parse(JSON.stringify(v)) as unknown))
    }))
  t.end()
})

test('hybrid clock: strictly increasing and past everything observed, whatever the wall clock does', (t) => {
  check(t, 'HLC monotonic', fc.property(
    fc.array(fc.oneof(
      fc.record({ wall: fc.integer({ min: 0, max: 2e12 }) }),
      fc.record({ observe: fc.double({ min: 1, max: 2e12, noNaN: true }) })
    ), { maxLength: 100 }),
    (steps) => {
      let wall = 1
      const h = new HybridClock(() => wall)
      let last = 0
      let maxSeen = 0
      for (const s of steps) {
        if ('wall' in s) wall = s.wall
        else { h.observe(s.observe); maxSeen = Math.max(maxSeen, s.observe) }
        const ts = h.next()
        if (!(ts > last && ts > maxSeen && ts >= wall)) return false
        last = ts
      }
      return true
    }))
  t.end()
})

test('Model: any delivery order that keeps each source\'s order gives the same state', (t) => {
  const update = fc.tuple(fc.constantFrom('a', 'b', 'c', '__proto__'), fc.option(fc.integer(), { nil: undefined }))
  check(t, 'Model order-independent', fc.property(
    fc.array(fc.tuple(fc.constantFrom('s1', 's2', 's3'), update, fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 40 }),
    fc.array(fc.nat(), { maxLength: 200 }),
    (ops, choices) => {
      // Build per-source streams with strictly increasing, often equal-across-sources timestamps.
      const per = new Map<string, Update[]>()
      const last = new Map<string, number>()
      for (const [src, [key, val], step] of ops) {
        const ts = (last.get(src) ?? 1000) + step + 1
        last.set(src, ts)
        const change = val === undefined ? [key] : [key, val]
        const list = per.get(src) ?? []
        list.push([change, ts, src] as unknown as Update)
        per.set(src, list)
      }
      const inOrder = new Model({ id: 'x', now: () => 0, maxDriftMs: Infinity })
      for (const list of per.values()) for (const u of list) inOrder.receive(u)
      const shuffled = new Model({ id: 'y', now: () => 0, maxDriftMs: Infinity })
      const queues = [...per.values()].map((l) => [...l])
      let c = 0
      while (queues.some((q) => q.length > 0)) {
        const live = queues.filter((q) => q.length > 0)
        const q = live[(choices[c++ % Math.max(1, choices.length)] ?? 0) % live.length] as Update[]
        shuffled.receive(q.shift() as Update)
      }
      const state = (m: Model): string => JSON.stringify([...m.entries()].sort())
      const hist = (m: Model): string => JSON.stringify([...m.history(new VectorClock())])
      return state(inOrder) === state(shuffled) && hist(inOrder) === hist(shuffled)
    }))
  t.end()
})
