import test from 'tape'
import { Bucket, Events, Model, Value, connect } from '../../index'
import type { BucketStreamOptions, Disconnect, Replica, ReplicaOptions } from '../../index'
import { Rng, seedFromEnv } from '../helpers/rng'
import { redeliver, yieldToStreams } from '../conformance/convergence'

/** The replicas every bucket ends up holding; 'constructor' checks that names stay data. */
const NAMES = ['m1', 'm2', 'constructor', 'value', 'events'] as const
type Name = typeof NAMES[number]
const KEYS = ['a', 'b', '__proto__']

function create (name: Name, opts: ReplicaOptions): Replica {
  if (name === 'value') return new Value(opts)
  if (name === 'events') return new Events(opts)
  return new Model(opts)
}

function randomOp (r: Replica, rng: Rng): void {
  if (r instanceof Model) {
    if (rng.chance(0.2)) r.delete(rng.pick(KEYS))
    else r.set(rng.pick(KEYS), rng.int(0, 9))
  } else if (r instanceof Value) {
    r.set(rng.int(0, 99))
  } else if (r instanceof Events) {
    r.emit(rng.pick(['chat', 'error', 'close']), rng.int(0, 9))
  }
}

function state (r: Replica): unknown {
  if (r instanceof Model) return [...r.entries()].sort((x, y) => (x[0] < y[0] ? -1 : 1))
  if (r instanceof Value) return r.get() ?? null
  if (r instanceof Events) return r.events()
  return null
}

/** One peer: a bucket, and every replica it owns (held or set aside). */
interface Peer {
  bucket: Bucket
  replicas: Map<Name, Replica>
}


/**
 * Seeded scenario: 2 to 6 buckets that start with random subsets of the
 * names, random operations on any replica (held or not), random links with
 * cycles and disconnects, names added and removed while streams are open,
 * direct duplicated re-delivery; then every name is held, a ring with chords
 * joins everyone (some names added only after linking, so they travel by
 * announce) and every replica of a name must reach the same state.
 */
let overflows = 0

async function scenario (seed: number, steps: number): Promise<string | undefined> {
  const rng = new Rng(seed)
  let now = 1_700_000_000_000
  const wall = (): number => now
  const n = rng.int(2, 6)
  const peers: Peer[] = []
  for (let i = 0; i < n; i++) {
    const replicas = new Map<Name, Replica>()
    for (const name of NAMES) replicas.set(name, create(name, { id: `p${i}-${name}`, now: wall }))
    const bucket = new Bucket(`p${i}`)
    for (const name of NAMES) if (rng.chance(0.6)) bucket.add(name, replicas.get(name) as Replica)
    peers.push({ bucket, replicas })
  }
  const peer = (i: number): Peer => peers[i] as Peer
  const links = new Map<string, Disconnect>()
  const key = (a: number, b: number): string => `${Math.min(a, b)}-${Math.max(a, b)}`
  const link = (a: number, b: number): void => {
    if (a === b || links.has(key(a, b))) return
    // Some links get tiny live queues (overflows, rebuilds from history) or
    // tiny header lines (clocks follow the header as handshake announces).
    const o: BucketStreamOptions = {}
    if (rng.chance(0.3)) o.maxQueue = rng.int(1, 3)
    if (rng.chance(0.3)) o.maxHeaderBytes = rng.int(0, 60)
    links.set(key(a, b), connect(peer(a).bucket, peer(b).bucket, { a: o, b: o }))
  }
  const toggle = (p: Peer, name: Name): void => {
    if (p.bucket.has(name)) p.bucket.remove(name)
    else p.bucket.add(name, p.replicas.get(name) as Replica)
  }
  try {
    for (let s = 0; s < steps; s++) {
      const roll = rng.next()
      const p = rng.pick(peers)
      if (roll < 0.5) {
        randomOp(p.replicas.get(rng.pick(NAMES)) as Replica, rng)
      } else if (roll < 0.62) {
        link(rng.int(0, n - 1), rng.int(0, n - 1))
      } else if (roll < 0.7 && links.size > 0) {
        const k = rng.pick([...links.keys()])
        ;(links.get(k) as Disconnect)()
        links.delete(k)
      } else if (roll < 0.8) {
        toggle(p, rng.pick(NAMES))
      } else if (roll < 0.86) {
        const name = rng.pick(NAMES)
        redeliver(rng, p.replicas.get(name) as Replica, rng.pick(peers).replicas.get(name) as Replica)
      } else if (roll < 0.92) {
        now += rng.int(0, 3)
      } else {
        await yieldToStreams()
      }
      if (rng.chance(0.3)) await yieldToStreams()
    }
    for (const d of links.values()) d()
    links.clear()
    await yieldToStreams()
    const addAll = (): void => {
      for (const p of peers) for (const name of NAMES) if (!p.bucket.has(name)) toggle(p, name)
    }
    const addAfterLinking = rng.chance(0.5)
    if (!addAfterLinking) addAll()
    for (let i = 0; i < n; i++) link(i, (i + 1) % n)
    for (let c = rng.int(0, n); c > 0; c--) link(rng.int(0, n - 1), rng.int(0, n - 1))
    if (addAfterLinking) {
      await yieldToStreams()
      addAll()
    }
    const deadline = Date.now() + 5000
    for (let stable = 0; stable < 5;) {
      if (Date.now() > deadline) return `did not converge: ${describe(peers)}`
      await yieldToStreams()
      const synced = [...links.values()].every((d) => d.a.synced && d.b.synced)
      stable = synced && converged(peers) ? stable + 1 : 0
    }
    for (const d of links.values()) {
      overflows += d.a.stats.queueOverflows + d.b.stats.queueOverflows
      if (d.a.destroyed || d.b.destroyed) return 'a link was torn down'
      if (d.a.stats.rejected + d.b.stats.rejected > 0) return 'a stream rejected an update'
    }
    return undefined
  } finally {
    for (const d of links.values()) d()
    for (const p of peers) {
      p.bucket.dispose()
      for (const r of p.replicas.values()) r.dispose()
    }
  }
}


function converged (peers: readonly Peer[]): boolean {
  return NAMES.every((name) => {
    const first = JSON.stringify(state((peers[0] as Peer).replicas.get(name) as Replica))
    return peers.every((p) => JSON.stringify(state(p.replicas.get(name) as Replica)) === first)
  })
}

function describe (peers: readonly Peer[]): string {
  return peers.map((p) => `${p.bucket.id}: ` + NAMES.map((name) => `${name}=${JSON.stringify(state(p.replicas.get(name) as Replica)).slice(0, 80)}`).join(' ')).join(' | ')
}

test('buckets converge under random ops, late adds, removes, cyclic topologies, disconnects and re-delivery', async (t) => {
  const runs = Number(process.env.CONFORMANCE_RUNS ?? 100)
  const base = seedFromEnv()
  let failed = false
  for (let i = 0; i < runs && !failed; i++) {
    const seed = (base + i) >>> 0
    const problem = await scenario(seed, 80)
    if (problem !== undefined) {
      failed = true
      t.fail(`${problem} (replay with SEED=${seed} CONFORMANCE_RUNS=1)`)
    }
  }
  if (!failed) t.pass(`${runs} seeded bucket scenarios converged (first seed ${base}; ${overflows} live-queue overflows on final links)`)
})
