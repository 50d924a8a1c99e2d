// Three peers in a ring over TCP (A -> B -> C -> A): a topology with a cycle.
// Every update reaches every peer once per path; the clocks drop the copies.
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { Model } from '../index'

const nodes = ['a', 'b', 'c'].map((id) => new Model(id))
const servers: net.Server[] = []

function serve (m: Model): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer((sock) => {
      const s = m.createStream()
      sock.pipe(s).pipe(sock)
      s.on('close', () => sock.destroy())
      sock.on('error', () => s.destroy())
    })
    servers.push(srv)
    srv.listen(0, '127.0.0.1', () => resolve((srv.address() as AddressInfo).port))
  })
}

async function main (): Promise<void> {
  const ports = await Promise.all(nodes.map(serve))
  nodes.forEach((m, i) => {
    const sock = net.connect(ports[(i + 1) % nodes.length] as number, '127.0.0.1')
    const s = m.createStream()
    sock.pipe(s).pipe(sock)
    s.on('close', () => sock.destroy())
    sock.on('error', () => s.destroy())
  })
  nodes.forEach((m, i) => { for (let k = 0; k < 100; k++) m.set(`${m.id}${k}`, i * 1000 + k) })
  while (!nodes.every((m) => m.size === 300)) await new Promise((resolve) => setTimeout(resolve, 10))
  console.log('ring converged:', nodes.map((m) => `${m.id}=${m.size} keys`).join(', '))
  for (const m of nodes) m.dispose()
  for (const s of servers) s.close()
}

main().catch((err: unknown) => { console.error(err); process.exitCode = 1 })
