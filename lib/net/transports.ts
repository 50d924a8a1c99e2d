import net from 'node:net'
import tls from 'node:tls'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocket, WebSocketServer, createWebSocketStream } from 'ws'
import { invalidArgument } from '../errors/grapevine-error'
import { DEFAULT_LIMITS } from '../wire/line-decoder'
import { type Address, formatAddress, parseAddress } from './address'
import { MAX_WRITE_BYTES } from './link'

/** Transport options shared by listening and dialing. */
export interface TransportOptions {
  /**
   * TLS settings for `tls://` and `wss://`: on the server side `key` and
   * `cert` (required), on the client side `ca` (to trust a self-signed
   * server), `servername`, client certificates, etc. Passed to node:tls.
   */
  tls?: tls.SecureContextOptions & tls.CommonConnectionOptions & { servername?: string }
  /** Give up dialing after this long, in ms. Default 10 000. */
  connectTimeoutMs?: number
  /**
   * Largest WebSocket message accepted (ws, wss), in bytes; a bigger one
   * closes the connection (code 1009) before it is buffered. Default: the
   * stream's `maxLineBytes` (1 MiB) plus room for a frame header, and never
   * under `MAX_WRITE_BYTES`, the most grapevine writes in one message.
   */
  maxMessageBytes?: number
}

/** Pending connections the kernel may queue before we accept them (capped by net.core.somaxconn). */
export const LISTEN_BACKLOG = 4096

/** The WebSocket message limit for these options (see `maxMessageBytes`). */
export function wsMaxPayload (opts: TransportOptions, maxLineBytes: number = DEFAULT_LIMITS.maxLineBytes): number {
  return opts.maxMessageBytes ?? Math.max(maxLineBytes + 64, MAX_WRITE_BYTES)
}

/** A listening transport. */
export interface Listener {
  /** The address peers can dial (with the real port when 0 was asked). */
  readonly address: string
  /** Stop listening and destroy every open socket. */
  close (): Promise<void>
}

/**
 * Listen on `address` (tcp, tls, ws or wss) and hand each incoming
 * connection to `onSocket` as an ordinary duplex of bytes.
 */
export async function listenOn (address: string, onSocket: (socket: Duplex) => void, opts: TransportOptions = {}): Promise<Listener> {
  const a = parseAddress(address)
  const open = new Set<Duplex>()
  const accept = (sock: Duplex): void => {
    open.add(sock)
    sock.on('error', () => {})
    sock.once('close', () => open.delete(sock))
    onSocket(sock)
  }
  if (a.scheme === 'tcp' || a.scheme === 'tls') {
    // TCP half-open: a peer's end of input must not end our side before we
    // are done (updates held for clock drift apply first, then we end, so a
    // tail:false writer's ack is true). TLS and WebSocket close both ways.
    const server = a.scheme === 'tcp'
      ? net.createServer({ allowHalfOpen: true }, (s) => { tune(s); accept(s) })
      : tls.createServer({ ...needTls(opts, a) }, (s) => { tune(s); accept(s) })
    // A TLS client that fails the handshake is not our business beyond closing it.
    server.on('tlsClientError', () => {})
    const port = await listenServer(server, a)
    return {
      address: formatAddress({ ...a, port }),
      close: () => closeServer(server, open)
    }
  }
  const http = a.scheme === 'wss' ? https.createServer({ ...needTls(opts, a) }) : undefined
  const maxPayload = wsMaxPayload(opts)
  const wss = http !== undefined
    ? new WebSocketServer({ server: http, path: a.path, maxPayload })
    : new WebSocketServer({ host: a.host, port: a.port, path: a.path, maxPayload, backlog: LISTEN_BACKLOG })
  wss.on('connection', (ws) => accept(createWebSocketStream(ws)))
  wss.on('error', () => {})
  let port: number
  if (http !== undefined) {
    port = await listenServer(http, a)
  } else {
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve)
      wss.once('error', reject)
    })
    port = (wss.address() as AddressInfo).port
  }
  return {
    address: formatAddress({ ...a, port }),
    close: async () => {
      for (const s of open) s.destroy()
      for (const c of wss.clients) c.terminate()
      await new Promise<void>((resolve) => wss.close(() => resolve()))
      if (http !== undefined) await closeServer(http, open)
    }
  }
}

/** Dial `address` and resolve with an ordinary duplex of bytes once connected. */
export function openSocket (address: string, opts: TransportOptions = {}): Promise<Duplex> {
  const a = parseAddress(address)
  const timeoutMs = opts.connectTimeoutMs ?? 10_000
  return new Promise((resolve, reject) => {
    let settled = false
    const fail = (err: Error): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      cleanup()
      reject(err)
    }
    const ok = (d: Duplex): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(d)
    }
    let cleanup: () => void = () => {}
    const timer = setTimeout(() => fail(Object.assign(new Error(`connect to ${address} timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs)
    if (a.scheme === 'tcp') {
      const s = net.connect({ host: a.host, port: a.port, allowHalfOpen: true }, () => { tune(s); ok(s) })
      s.once('error', fail)
      cleanup = () => s.destroy()
    } else if (a.scheme === 'tls') {
      const s = tls.connect({ servername: isIp(a.host) ? undefined : a.host, ...opts.tls, host: a.host, port: a.port }, () => { tune(s); ok(s) })
      s.once('error', fail)
      cleanup = () => s.destroy()
    } else {
      const maxPayload = wsMaxPayload(opts)
      const ws = new WebSocket(formatAddress(a), a.scheme === 'wss' ? { ...opts.tls, maxPayload } : { maxPayload })
      ws.once('open', () => ok(createWebSocketStream(ws)))
      ws.once('error', fail)
      cleanup = () => ws.terminate()
    }
  })
}

/**
 * No Nagle delay (live updates are small), and TCP keepalive as a last
 * resort against half-open links with peers that send no heartbeats.
 */
function tune (s: net.Socket): void {
  s.setNoDelay(true)
  s.setKeepAlive(true, 30_000)
}

function isIp (host: string): boolean {
  return net.isIP(host) !== 0
}

function needTls (opts: TransportOptions, a: Address): tls.TlsOptions {
  if (opts.tls?.cert === undefined || opts.tls.key === undefined) {
    invalidArgument(`${a.scheme}:// needs opts.tls.key and opts.tls.cert to listen`)
  }
  return opts.tls
}

function listenServer (server: net.Server, a: Address): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen({ port: a.port, host: a.host, backlog: LISTEN_BACKLOG }, () => {
      server.removeListener('error', reject)
      resolve((server.address() as AddressInfo).port)
    })
  })
}

function closeServer (server: net.Server, open: Set<Duplex>): Promise<void> {
  return new Promise((resolve) => {
    for (const s of open) s.destroy()
    server.close(() => resolve())
  })
}
