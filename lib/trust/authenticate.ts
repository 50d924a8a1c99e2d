import { createHmac, randomBytes, sign as edSign, timingSafeEqual, verify as edVerify } from 'node:crypto'
import type { Duplex } from 'node:stream'
import { GrapevineError, invalidArgument } from '../errors/grapevine-error'
import { KeyCache, type KeyPair, keyId } from './keys'

/** Tag of the handshake, in the first line each side sends. */
export const AUTH_PROTOCOL = 'grapevine-auth/1'

/** Which end of the connection this is. The two ends must differ. */
export type AuthRole = 'client' | 'server'

/** Options of `authenticate(socket, opts)`. */
export interface AuthOptions {
  /** A shared network secret, at least 16 bytes (a string is taken as UTF-8). Peers must prove they hold it. */
  secret?: string | Uint8Array
  /** This end's ed25519 key pair: it proves this end holds the key (needed when the peer sets `allow`). */
  keyPair?: KeyPair
  /** Key ids (see `keyId`) whose holders may connect, or a predicate. Peers must then prove a key. */
  allow?: Iterable<string> | ((keyId: string) => boolean)
  /** 'client' on the end that dialed, 'server' on the end that accepted. */
  role: AuthRole
  /** Fail with ERR_TIMEOUT if the handshake is not done by then (ms). Default 10 000. */
  timeoutMs?: number
}

// Both handshake lines are tiny; anything longer is not our peer.
const MAX_AUTH_LINE = 512
const NONCE_BYTES = 32

const peerKeys = new WeakMap<Duplex, string>()

/** The key id an authenticated peer proved it holds, if it used a key. */
export function peerKeyOf (socket: Duplex): string | undefined {
  return peerKeys.get(socket)
}

/**
 * Mutual challenge-response over any duplex, before any replica data flows.
 * Each end sends `{"auth":"grapevine-auth/1","role":...,"nonce":...,"key"?:...}`;
 * then the client sends its proof, the server checks it and only then sends
 * its own, and the client checks that. Both proofs cover the transcript
 * `"grapevine-auth/1\n" + role + "\n" + clientNonce + "\n" + serverNonce + "\n" + clientKey + "\n" + serverKey`
 * (a missing key is empty): `hmac` is its HMAC-SHA256 under the secret,
 * `sig` its ed25519 signature by the end's key. So a proof is fresh (both
 * nonces), good for one connection only, and cannot be reflected back (the
 * role is inside). A peer that proves nothing receives one random nonce and
 * nothing else.
 *
 * Resolves with the same duplex, paused, with any bytes read past the
 * handshake put back, ready for `stream.pipe(sock).pipe(stream)`. Rejects
 * with ERR_AUTH (or ERR_TIMEOUT) and destroys the duplex on failure.
 */
export function authenticate<T extends Duplex> (socket: T, opts: AuthOptions): Promise<T> {
  const secret = opts.secret === undefined ? undefined : typeof opts.secret === 'string' ? Buffer.from(opts.secret, 'utf8') : Buffer.from(opts.secret)
  if (secret !== undefined && secret.length < 16) invalidArgument('secret must be at least 16 bytes')
  if (opts.role !== 'client' && opts.role !== 'server') invalidArgument("role must be 'client' or 'server'")
  if (secret === undefined && opts.allow === undefined) invalidArgument('give a secret, an allow list, or both: otherwise anyone passes')
  const allowed = opts.allow === undefined ? undefined : allowPolicy(opts.allow)
  const myKey = opts.keyPair !== undefined ? keyId(opts.keyPair.publicKey) : undefined
  const privateKey = opts.keyPair?.privateKey
  const role = opts.role
  const peerRole: AuthRole = role === 'client' ? 'server' : 'client'
  const myNonce = randomBytes(NONCE_BYTES).toString('base64url')
  const timeoutMs = opts.timeoutMs ?? 10_000

  return new Promise<T>((resolve, reject) => {
    let buf = Buffer.alloc(0)
    let peerNonce: string | undefined
    let peerKey: string | undefined
    let done = false
    const transcript = (prover: AuthRole): string => {
      const other = peerNonce as string
      return role === 'client'
        ? authTranscript(prover, myNonce, other, myKey, peerKey)
        : authTranscript(prover, other, myNonce, peerKey, myKey)
    }
    const proofLine = (): string => {
      const t = transcript(role)
      const p: Record<string, string> = {}
      if (secret !== undefined) p.hmac = hmac(secret, t)
      if (privateKey !== undefined) p.sig = edSign(null, Buffer.from(t, 'utf8'), privateKey).toString('base64url')
      return JSON.stringify(p) + '\n'
    }

    const cleanup = (): void => {
      done = true
      clearTimeout(timer)
      socket.removeListener('data', onData)
      socket.removeListener('end', onEnd)
      socket.removeListener('close', onEnd)
      socket.removeListener('error', onError)
    }
    const fail = (err: GrapevineError): void => {
      if (done) return
      cleanup()
      // Keep a listener: a late socket error must not crash the process.
      socket.on('error', () => {})
      socket.destroy()
      reject(err)
    }
    const succeed = (rest: Buffer): void => {
      cleanup()
      socket.pause()
      if (rest.length > 0) socket.unshift(rest)
      resolve(socket)
    }

    const onLine = (line: Buffer, rest: Buffer): void => {
      let msg: unknown
      try {
        msg = JSON.parse(line.toString('utf8'))
      } catch {
        return fail(authError('peer did not speak ' + AUTH_PROTOCOL))
      }
      if (typeof msg !== 'object' || msg === null) return fail(authError('peer did not speak ' + AUTH_PROTOCOL))
      const m = msg as Record<string, unknown>
      if (peerNonce === undefined) {
        if (m.auth !== AUTH_PROTOCOL) return fail(authError('peer did not speak ' + AUTH_PROTOCOL))
        if (m.role !== peerRole) return fail(authError(`both ends claim to be the ${role}`))
        if (typeof m.nonce !== 'string' || !isNonce(m.nonce) || m.nonce === myNonce) return fail(authError('bad nonce'))
        if (m.key !== undefined && (typeof m.key !== 'string' || keys.get(m.key) === undefined)) return fail(authError('bad key'))
        if (allowed !== undefined && (typeof m.key !== 'string' || !allowed(m.key))) return fail(authError('peer key is not allowed'))
        peerNonce = m.nonce
        peerKey = m.key as string | undefined
        // The client proves first; the server proves only to a client that did.
        if (role === 'client') socket.write(proofLine())
        return
      }
      const t = transcript(peerRole)
      if (secret !== undefined) {
        const expected = Buffer.from(hmac(secret, t), 'base64url')
        const got = Buffer.from(typeof m.hmac === 'string' ? m.hmac : '', 'base64url')
        if (got.length !== expected.length || !timingSafeEqual(got, expected)) return fail(authError('peer does not hold the network secret'))
      }
      if (allowed !== undefined) {
        const key = keys.get(peerKey as string)
        const sig = Buffer.from(typeof m.sig === 'string' ? m.sig : '', 'base64url')
        if (key === undefined || sig.length !== 64 || !edVerify(null, Buffer.from(t, 'utf8'), key, sig)) return fail(authError('peer does not hold its key'))
      }
      if (role === 'server') socket.write(proofLine())
      if (peerKey !== undefined && allowed !== undefined) peerKeys.set(socket, peerKey)
      succeed(rest)
    }

    const onData = (chunk: Buffer | string): void => {
      if (done) return
      buf = Buffer.concat([buf, typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk])
      for (;;) {
        const nl = buf.indexOf(0x0a)
        if (nl < 0) break
        const line = buf.subarray(0, nl)
        buf = buf.subarray(nl + 1)
        onLine(line, buf)
        if (done) return
      }
      if (buf.length > MAX_AUTH_LINE) fail(authError('handshake line too long'))
    }
    const onEnd = (): void => fail(authError('peer closed the connection during authentication'))
    const onError = (err: Error): void => fail(authError(`connection failed during authentication: ${err.message}`))
    const timer = setTimeout(() => {
      fail(new GrapevineError('ERR_TIMEOUT', `authentication not done within ${timeoutMs} ms`))
    }, timeoutMs)

    socket.on('data', onData)
    socket.on('end', onEnd)
    socket.on('close', onEnd)
    socket.on('error', onError)
    socket.write(JSON.stringify({ auth: AUTH_PROTOCOL, role, nonce: myNonce, ...(myKey !== undefined ? { key: myKey } : {}) }) + '\n')
  })
}

/** What the `prover` end proves for a connection with these nonces and keys. */
export function authTranscript (prover: AuthRole, clientNonce: string, serverNonce: string, clientKey?: string, serverKey?: string): string {
  return `${AUTH_PROTOCOL}\n${prover}\n${clientNonce}\n${serverNonce}\n${clientKey ?? ''}\n${serverKey ?? ''}`
}

/** Base64url HMAC-SHA256 of a transcript under the network secret. */
export function hmac (secret: Uint8Array, transcript: string): string {
  return createHmac('sha256', secret).update(transcript).digest('base64url')
}

const keys = new KeyCache(256)

function allowPolicy (allow: Iterable<string> | ((keyId: string) => boolean)): (keyId: string) => boolean {
  if (typeof allow === 'function') return allow
  const set = new Set(allow)
  return (k) => set.has(k)
}

function isNonce (s: string): boolean {
  return s.length === 43 && Buffer.from(s, 'base64url').toString('base64url') === s
}

function authError (message: string): GrapevineError {
  return new GrapevineError('ERR_AUTH', message)
}
