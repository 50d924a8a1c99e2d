import net from 'node:net'
import type { AddressInfo } from 'node:net'

/**
 * A loopback TCP proxy the test controls. `blackhole()` silently stops
 * forwarding on the open connections (no FIN, no RST: both ends see a
 * healthy socket that never delivers again), which is what a vanished peer
 * or a dead NAT looks like. New connections are forwarded normally.
 */
export interface Proxy {
  readonly address: string
  /** Connections accepted so far. */
  readonly accepted: number
  blackhole (): void
  close (): Promise<void>
}

export async function startProxy (target: { host: string, port: number }): Promise<Proxy> {
  const pairs: Array<{ a: net.Socket, b: net.Socket, dead: boolean }> = []
  let accepted = 0
  const server = net.createServer((a) => {
    accepted++
    const b = net.connect(target.port, target.host)
    const pair = { a, b, dead: false }
    pairs.push(pair)
    a.on('error', () => {})
    b.on('error', () => {})
    a.on('data', (d) => { if (!pair.dead) b.write(d) })
    b.on('data', (d) => { if (!pair.dead) a.write(d) })
    a.on('close', () => { if (!pair.dead) b.destroy() })
    b.on('close', () => { if (!pair.dead) a.destroy() })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    address: `tcp://127.0.0.1:${port}`,
    get accepted () { return accepted },
    blackhole () { for (const p of pairs) p.dead = true },
    close: () => new Promise<void>((resolve) => {
      for (const p of pairs) { p.a.destroy(); p.b.destroy() }
      server.close(() => resolve())
    })
  }
}
