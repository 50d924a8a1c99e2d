import test from 'tape'
import { s1, s4 } from '../../bench/scenarios'
import { systems } from '../../bench/systems/index'
import type { Peer, System } from '../../bench/systems/types'

/** Wraps a system to keep every peer it made, so the test can inspect them afterwards. */
function recording (sys: System): { sys: System, peers: Peer[] } {
  const peers: Peer[] = []
  return {
    peers,
    sys: {
      name: sys.name,
      create (id, opts) {
        const p = sys.create(id, opts)
        peers.push(p)
        return p
      }
    }
  }
}

function keysOf (p: Peer, n: number): string[] {
  const out: string[] = []
  for (let i = 0; i < n; i++) out.push(String(p.get(`key${i}`)))
  return out
}

for (const name of ['grapevine', 'grapevine-bin', 'raw', 'scuttlebutt', 'yjs']) {
  test(`bench S1 with ${name}: B ends up holding all of A's keys, figures have the right shape`, async (t) => {
    const n = 300
    const rec = recording(systems[name] as System)
    const samples = await s1(rec.sys, { n, transport: 'pipe', runs: 2, limitMs: 10_000 })
    t.equal(samples.length, 2, 'one sample per measured run')
    for (const s of samples) {
      t.deepEqual(Object.keys(s.figures).sort(), ['bytesAB', 'bytesBA', 'bytesPerUpdate', 'cpuMs', 'ms'])
      t.ok(s.figures.ms !== undefined && s.figures.ms > 0, 'time is positive')
      t.ok((s.figures.bytesAB ?? 0) > n * 10, 'A sent at least ten bytes per key')
      t.ok(s.converged, 'the scenario saw convergence')
    }
    // Warm-up pair, then one pair per run: check the last pair ourselves.
    const [a, b] = rec.peers.slice(-2) as [Peer, Peer]
    t.equal(b.size(), n, 'B holds n keys')
    t.deepEqual(keysOf(b, n), keysOf(a, n), 'B holds the same values as A')
    t.notOk(keysOf(b, n).includes('undefined'))
  })
}

test('bench S4 with grapevine: every replica of the mesh holds every write', async (t) => {
  const rec = recording(systems.grapevine as System)
  const writes = 20
  const samples = await s4(rec.sys, { replicas: 10, writes, runs: 1, limitMs: 10_000 })
  t.equal(samples.length, 1)
  const s = samples[0]
  t.ok(s !== undefined && s.converged)
  t.ok((s?.figures.ratio ?? 0) >= 1, 'at least the minimum number of deliveries')
  const last = rec.peers.slice(-10)
  const want = last[0]?.size()
  t.equal(want, 10 * writes)
  for (const p of last) {
    t.equal(p.size(), 10 * writes)
    t.equal(p.get(`p9-${writes - 1}`), `v${writes - 1}`)
  }
})
