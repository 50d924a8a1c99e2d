import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { PassThrough, type Duplex } from 'node:stream'

/** A connection between two peer streams, counting bytes each way. */
export interface Wire {
  /** Join stream `a` to one end and `b` to the other. */
  attach (a: Duplex, b: Duplex): void
  /** Bytes from a to b so far. */
  readonly ab: number
  /** Bytes from b to a so far. */
  readonly ba: number
  /** Tear the connection and the attached streams down. */
  close (): Promise<void>
}

export type TransportName = 'pipe' | 'tcp'

/** Open a connection over the named transport (before any timing starts). */
export function openWire (kind: TransportName): Promise<Wire> {
  return kind === 'pipe' ? Promise.resolve(pipeWire()) : tcpWire()
}

/** In-process: a -> counter -> b -> counter -> a. */
export function pipeWire (): Wire {
  const counts = { ab: 0, ba: 0 }
  const ab = new PassThrough()
  const ba = new PassThrough()
  ab.on('data', (c: Buffer | string) => { counts.ab += Buffer.byteLength(c) })
  ba.on('data', (c: Buffer | string) => { counts.ba += Buffer.byteLength(c) })
  const ends: Duplex[] = [ab, ba]
  return {
    attach (a, b) {
      ends.push(a, b)
      a.pipe(ab).pipe(b).pipe(ba).pipe(a)
    },
    get ab () { return counts.ab },
    get ba () { return counts.ba },
    close: async () => { for (const s of ends) s.destroy() }
  }
}

/** Loopback TCP on 127.0.0.1: a dials, b is served. */
export async function tcpWire (): Promise<Wire> {
  const counts = { ab: 0, ba: 0 }
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve))
  const client = net.connect(port, '127.0.0.1')
  await new Promise<void>((resolve) => client.once('connect', () => resolve()))
  const srv = await accepted
  const ends: Duplex[] = [client, srv]
  for (const s of [client, srv]) {
    s.setNoDelay(true)
    s.on('error', () => {})
  }
  srv.on('data', (c: Buffer) => { counts.ab += c.length })
  client.on('data', (c: Buffer) => { counts.ba += c.length })
  return {
    attach (a, b) {
      ends.push(a, b)
      a.pipe(client).pipe(a)
      b.pipe(srv).pipe(b)
    },
    get ab () { return counts.ab },
    get ba () { return counts.ba },
    close: async () => {
      for (const s of ends) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
