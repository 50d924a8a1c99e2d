import net from 'node:net'
import type { AddressInfo } from 'node:net'
import test from 'tape'
import { Model } from '../../lib/models/model'
import { Mesh, type MeshOptions } from '../../lib/net/mesh'
import { tick, until } from '../helpers/replicas'

// Hostile gossip over real loopback sockets: a raw TCP client that speaks
// just enough of the protocol (a header, then side lines) to name thousands
// of addresses, and listeners that accept a connection and never complete a
// handshake. Every bound asserted here is a count, never a speed.

const fast: MeshOptions = { baseMs: 20, maxMs: 200, heartbeatMs: 200, idleTimeoutMs: 2000, handshakeTimeoutMs: 500 }

/** Tighter than the defaults (32 per peer, 10 dials/s), to see the bounds act in a short test. */
const hardening: MeshOptions = { maxGossipPerPeer: 16, maxDialsPerSecond: 20 }

type Behaviour = 'close' | 'garbage' | 'silent'

/** Loopback listeners that accept and then never give a valid header; counts every accept. */
async function badListeners (n: number): Promise<{ addrs: string[], accepts: () => number, close: () => Promise<void> }> {
  let accepts = 0
  const servers: net.Server[] = []
  const sockets = new Set<net.Socket>()
  const kinds: Behaviour[] = ['close', 'garbage', 'silent']
  for (let i = 0; i < n; i++) {
    const kind = kinds[i % kinds.length] as Behaviour
    const server = net.createServer((sock) => {
      accepts++
      sock.on('error', () => {})
      if (kind === 'close') return sock.destroy()
      sockets.add(sock)
      sock.on('close', () => sockets.delete(sock))
      if (kind === 'garbage') sock.end('HTTP/1.1 400 Bad Request\r\n\r\n')
      // 'silent' holds the socket open and says nothing: the dialer's handshake deadline ends it.
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    servers.push(server)
  }
  const addrs = servers.map((s) => `tcp://127.0.0.1:${(s.address() as AddressInfo).port}`)
  return {
    addrs,
    accepts: () => accepts,
    close: async () => {
      for (const s of sockets) s.destroy()
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
    }
  }
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
async function closedPort (): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as AddressInfo).port
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}

/**
 * A hostile peer: dials `target`, sends a header naming the first 256
 * addresses in its mesh meta, then the rest as gossip side lines of 256.
 */
async function hostilePeer (target: string, id: string, addrs: string[]): Promise<{ regossip: () => void, close: () => void }> {
  const port = Number(target.split(':').pop())
  const sock = net.connect(port, '127.0.0.1')
  sock.on('error', () => {})
  sock.on('data', () => {}) // read and drop whatever the victim says
  await new Promise<void>((resolve) => sock.once('connect', resolve))
  const header = { id, clock: {}, meta: { mesh: 1, addr: null, peers: addrs.slice(0, 256) } }
  sock.write(JSON.stringify(header) + '\n')
  const regossip = (): void => {
    for (let i = 256; i < addrs.length; i += 256) sock.write(JSON.stringify(`gv-mesh ${addrs.slice(i, i + 256).join(' ')}`) + '\n')
  }
  regossip()
  return { regossip, close: () => sock.destroy() }
}

test('a peer gossiping 2 000 dead-end addresses cannot crowd out a newcomer nor make the mesh dial in a loop', async (t) => {
  const bad = await badListeners(300)
  const dead = await closedPort()
  // 300 listeners that accept and fail the handshake, then 1 700 loopback addresses that refuse.
  const flood = [...bad.addrs]
  for (let i = 0; flood.length < 2000; i++) flood.push(`tcp://127.1.${1 + Math.floor(i / 250)}.${1 + (i % 250)}:${dead}`)
  const hostileSet = new Set(flood)

  const honest = await Mesh.start(new Model('honest'), fast)
  // maxKnown 256 (not the default 1 024) so 300 listeners are enough to fill it: same mechanism, fewer descriptors.
  const victim = await Mesh.start(new Model('victim'), { ...fast, ...hardening, maxKnown: 256, peers: [honest.address as string] })
  let forgotten = 0
  victim.on('forget', (addr: string) => { if (hostileSet.has(addr)) forgotten++ })
  await until(() => victim.peers().length === 1, 5000, 'victim linked to the honest peer')
  const goodLink = victim.linkOf('honest')

  const hostile = await hostilePeer(victim.address as string, 'hostile', flood)
  // It keeps repeating its gossip, so whatever room frees up it fills again at once.
  const timer = setInterval(() => hostile.regossip(), 200)
  await until(() => victim.peers().some((p) => p.id === 'hostile'), 5000, 'hostile peer linked')
  await tick(300)
  const knownAfterFlood = victim.known().length
  const hostileKnown = victim.known().filter((a) => hostileSet.has(a)).length
  t.comment(`known() after the flood: ${knownAfterFlood} (${hostileKnown} of them hostile)`)
  t.ok(hostileKnown <= 16, `the hostile peer holds at most its share of the address book (${hostileKnown})`)

  // A newcomer that dials only the honest peer (and gossips nothing itself):
  // the victim hears of it from the honest peer and must dial it.
  const started = Date.now()
  const newcomer = await Mesh.start(new Model('newcomer'), { ...fast, gossip: false, peers: [honest.address as string] })
  let linked = true
  try {
    await until(() => victim.peers().some((p) => p.id === 'newcomer'), 5000, 'the victim links to the newcomer')
  } catch {
    linked = false
  }
  t.comment(`newcomer linked by the victim: ${linked ? `yes, after ${Date.now() - started} ms` : 'no, not within 5 s'}`)
  t.ok(linked, 'the newcomer announced after the flood is dialed and linked')

  // Dials to the hostile listeners, counted over a window while the flood goes on.
  const window = 3000
  const before = bad.accepts()
  await tick(window)
  const dials = bad.accepts() - before
  t.comment(`dials accepted by the hostile listeners: ${dials} in ${window} ms (${(dials * 1000 / window).toFixed(1)}/s)`)
  // 20 dials/s with a burst of 20: 80 in 3 s at most; the slack absorbs nothing but timer granularity.
  t.ok(dials <= 100, `dials toward hostile addresses stay within the unverified rate (${dials} <= 100)`)
  t.ok(forgotten > 0, `hostile addresses that failed their dials are forgotten (${forgotten})`)
  const stillKnown = victim.known().filter((a) => hostileSet.has(a)).length
  t.ok(stillKnown <= 16, `the hostile share stays bounded while it keeps gossiping (${stillKnown})`)

  t.equal(victim.linkOf('honest'), goodLink, 'the known-good link was never dropped')
  honest.replica.set('after-flood', 1)
  await until(() => victim.replica.get('after-flood') === 1 && newcomer.replica.get('after-flood') === 1, 5000, 'replication')
  t.pass('a write still reaches the victim and the newcomer')

  clearInterval(timer)
  hostile.close()
  await Promise.all([victim.close(), honest.close(), newcomer.close()])
  await bad.close()
})

test('an address that accepts and closes counts as a failed dial: gossiped ones are forgotten, seeds are kept', async (t) => {
  const bad = await badListeners(2)
  const [gossiped, seed] = bad.addrs as [string, string]
  const victim = await Mesh.start(new Model('victim2'), { ...fast, forgetAfter: 3, peers: [seed] })
  const gone: string[] = []
  victim.on('forget', (addr: string) => gone.push(addr))
  const hostile = await hostilePeer(victim.address as string, 'hostile2', [gossiped])
  await until(() => gone.includes(gossiped), 5000, 'the gossiped address is forgotten')
  t.notOk(victim.known().includes(gossiped), 'the gossiped address left the address book after 3 failed dials')
  await until(() => bad.accepts() >= 8, 5000, 'the seed is dialed past forgetAfter')
  t.ok(victim.known().includes(seed), 'the seed is still known after more than forgetAfter failed dials')
  hostile.close()
  await victim.close()
  await bad.close()
})
