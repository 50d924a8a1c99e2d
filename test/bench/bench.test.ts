import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
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
      stateless: sys.stateless,
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

for (const name of ['grapevine', 'grapevine-bin', 'raw', 'parse', 'scuttlebutt', 'yjs']) {
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
    t.equal(b.received, n, 'B took in n updates')
    if (rec.sys.stateless === true || (systems[name] as System).stateless === true) return t.end()
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

test('bench S1 cold (warmups: 0) measures the first sync of the process, one sample', async (t) => {
  const rec = recording(systems['grapevine-bin'] as System)
  const samples = await s1(rec.sys, { n: 200, transport: 'pipe', runs: 1, warmups: 0, limitMs: 10_000 })
  t.equal(samples.length, 1)
  t.equal(rec.peers.length, 2, 'no warm-up pair was made')
  t.ok(samples[0]?.converged)
})

test('bench S5 counts heap and off-heap memory per key, and RSS beside it (in a worker process, as npm run bench does)', (t) => {
  for (const name of ['grapevine', 'raw']) {
    const job = JSON.stringify({ scenario: 's5', system: name, params: { n: 20_000, runs: 1 } })
    const out = execFileSync(process.execPath, ['--expose-gc', join(__dirname, '../../bench/worker.js'), job], { encoding: 'utf8' })
    const { samples } = JSON.parse(out.trim().split('\n').pop() as string) as { samples: Array<{ figures: Record<string, number>, converged: boolean }> }
    const f = samples[0]?.figures ?? {}
    t.deepEqual(Object.keys(f).sort(), ['bytesPerKey', 'heapPerKey', 'rssPerKey'], `${name}: figure names`)
    t.ok((f.bytesPerKey ?? 0) > 8, `${name}: more than 8 bytes per key (${(f.bytesPerKey ?? 0).toFixed(1)})`)
    t.ok(samples[0]?.converged)
  }
  t.end()
})

test('bench S4 delivered() counts updates, not chunks: it equals the update lines seen on the wire', async (t) => {
  for (const name of ['grapevine', 'scuttlebutt']) {
    const sys = systems[name] as System
    const peers: Peer[] = []
    for (let i = 0; i < 4; i++) peers.push(sys.create(`r${i}`, { countDelivered: true }))
    let lines = 0
    for (const [i, j] of [[0, 1], [1, 2], [2, 3], [3, 0], [0, 2]] as const) {
      const a = (peers[i] as Peer).stream()
      const b = (peers[j] as Peer).stream()
      for (const [from, to] of [[a, b], [b, a]] as const) {
        let rest = ''
        const tap = new PassThrough()
        tap.on('data', (c: Buffer) => {
          const parts = (rest + c.toString('utf8')).split('\n')
          rest = parts.pop() as string
          for (const l of parts) if (l.startsWith('[')) lines++
        })
        from.pipe(tap).pipe(to)
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
    for (let i = 0; i < 4; i++) for (let x = 0; x < 50; x++) (peers[i] as Peer).set(`p${i}-${x}`, `v${x}`)
    const total = (): number => peers.reduce((n, q) => n + q.delivered(), 0)
    for (let last = -1; total() !== last || total() < 4 * 50 * 3;) {
      last = total()
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    t.ok(total() >= 4 * 50 * 3, `${name}: at least the minimum delivered (${total()})`)
    t.equal(total(), lines, `${name}: delivered equals the update lines on the wire`)
    for (const q of peers) q.dispose()
  }
})
