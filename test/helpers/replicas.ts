import net from 'node:net'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { connect, type Disconnect, type Streamable } from '../../lib/stream/connect'
import type { ReplicaStream, StreamOptions } from '../../lib/stream/replica-stream'

/** Wait for an event once, with a deadline. */
export function once<T = unknown> (emitter: NodeJS.EventEmitter, event: string, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.removeListener(event, on)
      reject(new Error(`timed out waiting for '${event}'`))
    }, ms)
    const on = (v: T): void => { clearTimeout(timer); resolve(v) }
    emitter.once(event, on)
  })
}

/** Resolve when `cond()` holds, polling; reject after `ms`. */
export async function until (cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

export const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Connect two replicas in memory and wait until both streams are synced. */
export async function syncPair (a: Streamable, b: Streamable): Promise<Disconnect> {
  const d = connect(a, b)
  await Promise.all([waitSynced(d.a), waitSynced(d.b)])
  return d
}

export function waitSynced (s: ReplicaStream, ms = 5000): Promise<void> {
  if (s.synced) return Promise.resolve()
  return once(s, 'synced', ms).then(() => undefined)
}

/** A TCP server on 127.0.0.1 that gives each connection to `onSocket`. */
export async function listen (onSocket: (sock: net.Socket) => void): Promise<{ port: number, close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((sock) => {
    sockets.add(sock)
    sock.on('close', () => sockets.delete(sock))
    sock.on('error', () => {})
    onSocket(sock)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    })
  }
}

/** Dial 127.0.0.1:port. */
export function dial (port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => resolve(sock))
    sock.once('error', reject)
  })
}

/** Serve `replica` on loopback TCP and dial it from `other`; both streams returned. */
export async function overTcp (server: Streamable, client: Streamable, opts: { server?: StreamOptions, client?: StreamOptions } = {}): Promise<{ serverStream: ReplicaStream, clientStream: ReplicaStream, close: () => Promise<void> }> {
  let serverStream: ReplicaStream | undefined
  const srv = await listen((sock) => {
    serverStream = server.createStream(opts.server)
    pipeBoth(serverStream, sock)
  })
  const sock = await dial(srv.port)
  const clientStream = client.createStream(opts.client)
  pipeBoth(clientStream, sock)
  await until(() => serverStream !== undefined)
  return {
    serverStream: serverStream as ReplicaStream,
    clientStream,
    close: async () => {
      clientStream.destroy()
      sock.destroy()
      await srv.close()
    }
  }
}

/** Pipe a replica stream and a socket both ways; destroy each when the other closes. */
export function pipeBoth (stream: Duplex, sock: Duplex): void {
  stream.pipe(sock).pipe(stream)
  sock.on('error', () => {})
  sock.once('close', () => stream.destroy())
  stream.once('close', () => sock.destroy())
}
