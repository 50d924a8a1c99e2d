import test from 'tape'
import { Bucket } from '../../lib/bucket/bucket'
import { Events } from '../../lib/models/events'
import { Model } from '../../lib/models/model'
import { Mesh, type MeshOptions, type PeerInfo } from '../../lib/net/mesh'
import { until } from '../helpers/replicas'

const fast: MeshOptions = { baseMs: 20, maxMs: 200, heartbeatMs: 200, idleTimeoutMs: 2000 }

function ids (m: Mesh): string[] {
  return m.peers().map((p) => p.id).sort()
}

test('peers seeded with one address find each other by gossip and converge', async (t) => {
  const a = await Mesh.start(new Model('a'), fast)
  const b = await Mesh.start(new Model('b'), { ...fast, peers: [a.address as string] })
  const c = await Mesh.start(new Model('c'), { ...fast, peers: [a.address as string] })
  const d = await Mesh.start(new Model('d'), { ...fast, peers: [c.address as string] })
  const all = [a, b, c, d]
  await until(() => all.every((m) => m.peers().length === 3), 5000, 'a full mesh')
  t.deepEqual(ids(b), ['a', 'c', 'd'], 'b knows every other peer, though seeded with a only')
  t.deepEqual(ids(d), ['a', 'b', 'c'], 'd knows every other peer, though seeded with c only')
  for (const m of all) m.replica.set(`from-${m.id}`, m.id)
  await until(() => all.every((m) => m.replica.size === 4), 5000, 'convergence')
  const states = all.map((m) => JSON.stringify([...m.replica.entries()].sort()))
  t.ok(states.every((s) => s === states[0]), 'all four hold the same state')
  await Promise.all(all.map((m) => m.close()))
})

test('two peers dialing each other at once keep exactly one link, the same on both ends', async (t) => {
  for (let round = 0; round < 5; round++) {
    const a = new Mesh(new Model(`a${round}`), fast)
    const b = new Mesh(new Model(`b${round}`), fast)
    await Promise.all([a.start(), b.start()])
    a.join(b.address as string)
    b.join(a.address as string)
    await until(() => a.peers().length === 1 && b.peers().length === 1, 5000, 'linked')
    // Let any duplicate be found and closed, then look again.
    await new Promise((r) => setTimeout(r, 150))
    const pa = a.peers()
    const pb = b.peers()
    t.equal(pa.length + pb.length, 2, `round ${round}: one link per side`)
    const ia = (pa[0] as PeerInfo).initiator
    const ib = (pb[0] as PeerInfo).initiator
    t.notEqual(ia, ib, `round ${round}: both ends keep the same link (${ia}/${ib})`)
    t.equal(a.replica.streams, 1, `round ${round}: a has one stream open`)
    t.equal(b.replica.streams, 1, `round ${round}: b has one stream open`)
    await Promise.all([a.close(), b.close()])
  }
})

test('six peers that all dial all the others at once end with exactly one link per pair', async (t) => {
  const ms = await Promise.all(Array.from({ length: 6 }, (_, i) => Mesh.start(new Model(`n${i}`), fast)))
  for (const m of ms) for (const o of ms) if (o !== m) m.join(o.address as string)
  await until(() => ms.every((m) => m.peers().length === 5), 5000, 'a full mesh')
  await until(() => ms.every((m) => m.replica.streams === 5), 5000, 'duplicates closed')
  t.pass('every peer has five peers and five open streams (15 links, no duplicates)')
  const pairs = new Set<string>()
  for (const m of ms) {
    for (const p of m.peers()) {
      const opener = p.initiator === 'us' ? m.id : p.id
      pairs.add(`${[m.id, p.id].sort().join('-')}:${opener}`)
    }
  }
  t.equal(pairs.size, 15, 'both ends of each pair agree on who opened their link')
  ms[0]?.replica.set('x', 1)
  await until(() => ms.every((m) => m.replica.get('x') === 1), 5000, 'replication')
  t.pass('a write reaches all six')
  await Promise.all(ms.map((m) => m.close()))
})

test('a mesh reports peers joining and leaving, and a restarted peer rejoins', async (t) => {
  const a = await Mesh.start(new Model('a'), fast)
  const joined: string[] = []
  const left: string[] = []
  a.on('peer-join', (p: PeerInfo) => joined.push(p.id))
  a.on('peer-leave', (p: PeerInfo) => left.push(p.id))
  const b = await Mesh.start(new Model('b'), { ...fast, peers: [a.address as string] })
  await until(() => joined.includes('b'), 5000, 'join event')
  t.pass('peer-join fired for b')
  const port = (b.address as string).split(':').pop() as string
  await b.close()
  await until(() => left.includes('b'), 5000, 'leave event')
  t.pass('peer-leave fired for b')

  // b comes back on the same address with a new id; a redials it (its address is known).
  const b2 = await Mesh.start(new Model('b2'), { ...fast, listen: `tcp://127.0.0.1:${port}` })
  a.replica.set('while-away', 1)
  await until(() => joined.includes('b2'), 5000, 'a redials the restarted peer')
  await until(() => b2.replica.get('while-away') === 1, 5000, 'b2 catches up')
  t.pass('the restarted peer is redialed and catches up')
  await Promise.all([a.close(), b2.close()])
})

test('a peer that dials its own address drops it instead of linking to itself', async (t) => {
  const a = await Mesh.start(new Model('self'), fast)
  a.join((a.address as string).replace('127.0.0.1', 'localhost'))
  await new Promise((r) => setTimeout(r, 300))
  t.equal(a.peers().length, 0, 'no link to itself')
  await a.close()
})

test('a mesh carries a Bucket of several replicas as well as a single replica', async (t) => {
  const make = (id: string): { bucket: Bucket, doc: Model, chat: Events } => {
    const doc = new Model(`${id}-doc`)
    const chat = new Events(`${id}-chat`)
    const bucket = new Bucket(id).add('doc', doc).add('chat', chat)
    return { bucket, doc, chat }
  }
  const x = make('x')
  const y = make('y')
  const z = make('z')
  const mx = await Mesh.start(x.bucket, fast)
  const my = await Mesh.start(y.bucket, { ...fast, peers: [mx.address as string] })
  const mz = await Mesh.start(z.bucket, { ...fast, peers: [my.address as string] })
  await until(() => [mx, my, mz].every((m) => m.peers().length === 2), 5000, 'a full mesh of buckets')
  t.pass('three buckets form a full mesh by gossip')
  x.doc.set('title', 'hello')
  z.chat.emit('msg', 'hi from z')
  await until(() => y.doc.get('title') === 'hello' && x.chat.size === 1 && y.chat.size === 1, 5000, 'both replicas of every bucket converge')
  t.pass('both replicas in each bucket replicate across the mesh')
  await Promise.all([mx, my, mz].map((m) => m.close()))
})
