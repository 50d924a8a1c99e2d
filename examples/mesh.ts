// Three peers on loopback form a mesh from one seed address, replicate a
// Model, survive one peer leaving and coming back, then exit.
// Run: npm run build && node dist/examples/mesh.js
import { Mesh, Model, type PeerInfo } from '../index'

async function main (): Promise<void> {
  const opts = { baseMs: 20, maxMs: 500 }
  const alice = await Mesh.start(new Model('alice'), opts)
  const bob = await Mesh.start(new Model('bob'), { ...opts, peers: [alice.address as string] })
  const carol = await Mesh.start(new Model('carol'), { ...opts, peers: [bob.address as string] })
  for (const m of [alice, bob, carol]) {
    m.on('peer-join', (p: PeerInfo) => console.log(`${m.id}: + ${p.id}`))
  }

  const wait = async (cond: () => boolean): Promise<void> => {
    const end = Date.now() + 10_000
    while (!cond()) {
      if (Date.now() > end) throw new Error('timed out')
      await new Promise((r) => setTimeout(r, 10))
    }
  }
  // carol only knew bob; gossip tells her about alice.
  await wait(() => [alice, bob, carol].every((m) => m.peers().length === 2))
  console.log('full mesh:', carol.peers().map((p) => p.id).join(', '), 'are linked to carol')

  // mesh.replica is the Model itself.
  alice.replica.set('greeting', 'hello from alice')
  carol.replica.set('answer', 42)
  await wait(() => bob.replica.get('greeting') !== undefined && bob.replica.get('answer') === 42)
  console.log('bob sees', bob.replica.toJSON())

  // carol leaves; alice writes meanwhile; a new carol on the same address catches up.
  const addr = carol.address as string
  await carol.close()
  await wait(() => alice.peers().length === 1)
  alice.replica.set('while-away', true)
  const carol2 = await Mesh.start(new Model('carol-2'), { ...opts, listen: addr, peers: [alice.address as string] })
  await wait(() => carol2.replica.get('while-away') === true)
  console.log('carol-2 caught up:', carol2.replica.toJSON())

  await Promise.all([alice.close(), bob.close(), carol2.close()])
}

main().catch((err) => { console.error(err); process.exit(1) })
