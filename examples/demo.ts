// `npm start`: three replicas on loopback TCP, wired A - B - C, write
// concurrently, converge, and report what crossed the wire.
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { Model, type ReplicaStream } from '../index'

const peers = ['alice', 'bob', 'carol'].map((id) => new Model(id))
const [alice, bob, carol] = peers as [Model, Model, Model]
const streams: Array<{ label: string, stream: ReplicaStream }> = []
const t0 = Date.now()
const log = (msg: string): void => console.log(`[${String(Date.now() - t0).padStart(4)} ms] ${msg}`)

/** Serve `server` on an ephemeral loopback port and dial it from `client`. */
async function link (server: Model, client: Model): Promise<net.Server> {
  const srv = net.createServer((sock) => {
    const s = server.createStream()
    streams.push({ label: `${server.id} <- ${client.id}`, stream: s })
    sock.pipe(s).pipe(sock)
    sock.on('error', () => s.destroy())
    s.on('close', () => sock.destroy())
  })
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const { port } = srv.address() as AddressInfo
  const sock = net.connect(port, '127.0.0.1')
  const c = client.createStream()
  streams.push({ label: `${client.id} -> ${server.id}`, stream: c })
  sock.pipe(c).pipe(sock)
  sock.on('error', () => c.destroy())
  c.on('close', () => sock.destroy())
  log(`${client.id} dialled ${server.id} on 127.0.0.1:${port}`)
  await new Promise((resolve) => c.once('synced', resolve))
  log(`${client.id} and ${server.id} synced: ${client.id} now holds ${JSON.stringify(client.toJSON())}`)
  return srv
}

async function main (): Promise<void> {
  alice.set('greeting', 'hello from alice')
  carol.set('colour', 'green')
  for (const p of peers) p.on('change', (k: string, v: unknown) => log(`${p.id.padEnd(5)} sees ${k} = ${JSON.stringify(v)}`))

  const servers = [await link(alice, bob), await link(bob, carol)]
  log('now bob and carol both write colour at once, and alice deletes greeting')
  bob.set('colour', 'blue')
  carol.set('colour', 'red') // concurrent with bob's: one winner by (timestamp, id), everywhere
  alice.delete('greeting')
  carol.set('count', 3)

  const same = (): boolean => JSON.stringify(alice.toJSON()) === JSON.stringify(bob.toJSON()) &&
    JSON.stringify(bob.toJSON()) === JSON.stringify(carol.toJSON())
  const deadline = Date.now() + 5000
  while (!same() || carol.has('greeting')) {
    if (Date.now() > deadline) throw new Error('did not converge')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  log(`converged: ${JSON.stringify(alice.toJSON())}`)
  for (const { label, stream } of streams) {
    const s = stream.stats
    log(`${label.padEnd(14)} sent ${s.updatesSent} updates / ${s.bytesSent} B, received ${s.updatesReceived} / ${s.bytesReceived} B, old ${s.oldDropped}`)
  }
  for (const p of peers) p.dispose()
  for (const srv of servers) srv.close()
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
