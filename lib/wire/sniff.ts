import { GrapevineError } from '../errors/grapevine-error'

/** What the first bytes of a peer's input most likely are, when they are not a header. */
export type LikelyProtocol = 'tls' | 'http' | 'http2' | 'ssh' | 'bom' | 'unknown'

/** Bytes a JSON value can start with: { [ " - 0-9 t f n. */
const JSON_START = new Set([0x7B, 0x5B, 0x22, 0x2D, 0x74, 0x66, 0x6E, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39])

const HTTP_METHODS = ['GET ', 'POST ', 'PUT ', 'HEAD ', 'DELETE ', 'OPTIONS ', 'PATCH ', 'CONNECT ', 'TRACE ']

/** Name the protocol `bytes` (the first non-blank input) most likely belong to. */
export function likelyProtocol (bytes: Uint8Array): LikelyProtocol {
  const b0 = bytes[0]
  if (b0 === 0x16 && (bytes.length < 2 || bytes[1] === 0x03)) return 'tls'
  if (b0 === 0xEF && bytes[1] === 0xBB) return 'bom'
  const head = Buffer.from(bytes.subarray(0, 24)).toString('latin1')
  if (head.startsWith('PRI * HTTP/2')) return 'http2'
  if (HTTP_METHODS.some((m) => head.startsWith(m) || m.startsWith(head))) return 'http'
  if (head.startsWith('SSH-')) return 'ssh'
  return 'unknown'
}

const ADVICE: Record<LikelyProtocol, string> = {
  tls: 'a TLS ClientHello: a TLS client dialed a plain port (use tls on both ends, or plain tcp on both)',
  http: 'an HTTP request: a web client or proxy reached a grapevine port (WebSocket clients need a ws:// listener)',
  http2: 'an HTTP/2 preface: an HTTP client reached a grapevine port',
  ssh: 'an SSH client',
  bom: 'a UTF-8 byte order mark: the peer or file must send plain UTF-8 without one',
  unknown: 'not JSON: every grapevine or scuttlebutt stream begins with a {"id":...,"clock":...} header'
}

/** The coded error for input whose first non-blank byte cannot start JSON. */
export function wrongProtocol (bytes: Uint8Array): GrapevineError {
  const likely = likelyProtocol(bytes)
  return new GrapevineError('ERR_WRONG_PROTOCOL', `the peer does not speak grapevine: its first bytes look like ${ADVICE[likely]}`, { likely })
}

/**
 * Checks the very first bytes of a stream's input, before any line is
 * complete, so a wrong client is told at once rather than after a line
 * limit or a deadline. Blank space may come first; then the first value
 * must at least start like JSON (`{` for a header; `[`, `"`, a number,
 * true, false or null are left to the session, which names what is out of
 * order). Pure; `check` returns the error, or undefined (go on).
 */
export class FirstByteCheck {
  private done = false

  /** Look at the next chunk; once the first value began this is a no-op. */
  check (chunk: Uint8Array): GrapevineError | undefined {
    if (this.done) return undefined
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i] as number
      if (c === 0x20 || c === 0x09 || c === 0x0A || c === 0x0D) continue
      this.done = true
      return JSON_START.has(c) ? undefined : wrongProtocol(chunk.subarray(i))
    }
    return undefined
  }
}
