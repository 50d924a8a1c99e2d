import { invalidArgument } from '../errors/grapevine-error'

/** Transport schemes understood by `serve`, `dial` and `Mesh`. */
export type Scheme = 'tcp' | 'tls' | 'ws' | 'wss'

/** A parsed peer address such as `tcp://127.0.0.1:7000` or `ws://host:80/path`. */
export interface Address {
  readonly scheme: Scheme
  readonly host: string
  readonly port: number
  /** WebSocket path; '/' for other schemes. */
  readonly path: string
}

const SCHEMES: readonly string[] = ['tcp', 'tls', 'ws', 'wss']

/**
 * Parse an address string. A bare `host:port` or `port` means TCP.
 * Throws ERR_INVALID_ARGUMENT on anything else (a caller's mistake).
 */
export function parseAddress (text: string): Address {
  if (typeof text !== 'string' || text.length === 0) invalidArgument('address must be a non-empty string')
  let s = text
  if (/^\d+$/.test(s)) s = `tcp://127.0.0.1:${s}`
  else if (!s.includes('://')) s = `tcp://${s}`
  let url: URL
  try {
    url = new URL(s)
  } catch {
    return invalidArgument(`not an address: ${text}`)
  }
  const scheme = url.protocol.replace(/:$/, '')
  if (!SCHEMES.includes(scheme)) invalidArgument(`unknown scheme "${scheme}" in ${text} (use tcp, tls, ws or wss)`)
  if (url.port === '' && scheme !== 'ws' && scheme !== 'wss') invalidArgument(`address needs a port: ${text}`)
  const port = url.port === '' ? (scheme === 'wss' ? 443 : 80) : Number(url.port)
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  return { scheme: scheme as Scheme, host: host === '' ? '127.0.0.1' : host, port, path: url.pathname === '' ? '/' : url.pathname }
}

/** The canonical string form of an address (what peers gossip). */
export function formatAddress (a: Address): string {
  const host = a.host.includes(':') ? `[${a.host}]` : a.host
  const path = a.scheme === 'ws' || a.scheme === 'wss' ? a.path : ''
  return `${a.scheme}://${host}:${a.port}${path}`
}

/** Canonical form of an address string (so two spellings compare equal). */
export function normalizeAddress (text: string): string {
  return formatAddress(parseAddress(text))
}
