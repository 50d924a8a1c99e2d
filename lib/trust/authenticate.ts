import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Duplex } from 'node:stream'
import { GrapevineError, invalidArgument } from '../errors/grapevine-error'

/** Tag of the handshake, in the first line each side sends. */
export const AUTH_PROTOCOL = 'grapevine-auth/1'

/** Which end of the connection this is. The two ends must differ. */
export type AuthRole = 'client' | 'server'

/** Options of `authenticate(socket, opts)`. */
export interface AuthOptions {
  /** The shared network secret, at least 16 bytes (a string is taken as UTF-8). */
  secret: string | Uint8Array
  /** 'client' on the end that dialed, 'server' on the end that accepted. */
  role: AuthRole
  /** Fail with ERR_TIMEOUT if the handshake is not done by then (ms). Default 10 000. */
  timeoutMs?: number
}

// Both handshake lines are tiny; anything longer is not our peer.
const MAX_AUTH_LINE = 256
const NONCE_BYTES = 32

/**
 * Mutual challenge-response over any duplex, before any replica data flows.
 * Each end sends `{"auth":"grapevine-auth/1","role":...,"nonce":...}`; then
 * the client sends its proof, the server checks it and only then sends its
 * own, and the client checks that. A proof is
 * HMAC-SHA256(secret, "grapevine-auth/1\n" + role + "\n" + clientNonce + "\n" + serverNonce),
 * so it is fresh (both nonces), bound to one connection, and cannot be
 * reflected back (the role is inside). A peer without the secret receives
 * one random nonce and nothing else.
 *
 * Resolves with the same duplex, paused, with any bytes read past the
 * handshake put back, ready for `stream.pipe(sock).pipe(stream)`. Rejects
 * with ERR_AUTH (or ERR_TIMEOUT) and destroys the duplex on failure.
 */
export function authenticate<T extends Duplex> (socket: T, opts: AuthOptions): Promise<T> {
  const secret = typeof opts.secret === 'string' ? Buffer.from(opts.secret, 'utf8') : Buffer.from(opts.secret ?? [])
  if (secret.length < 16) invalidArgument('secret must be at least 16 bytes')
  if (opts.role !== 'client' && opts.role !== 'server') invalidArgument("role must be 'client' or 'server'")
  const role = opts.role
  const peerRole: AuthRole = role === 'client' ? 'server' : 'client'
  const myNonce = randomBytes(NONCE_BYTES).toString('base64url')
  const timeoutMs = opts.timeoutMs ?? 10_000

  return new Promise<T>((resolve, reject) => {
    let buf = Buffer.alloc(0)
    let peerNonce: string | undefined
    let done = false
    const nonces = (): [string, string] => {
      const other = peerNonce as string
      return role === 'client' ? [myNonce, other] : [other, myNonce]
    }
    const proofLine = (): string => JSON.stringify({ proof: proof(secret, role, ...nonces()) }) + '\n'

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
        peerNonce = m.nonce
        // The client proves first; the server proves only to a client that did.
        if (role === 'client') socket.write(proofLine())
        return
      }
      if (typeof m.proof !== 'string') return fail(authError('peer sent no proof'))
      const expected = Buffer.from(proof(secret, peerRole, ...nonces()), 'base64url')
      const got = Buffer.from(m.proof, 'base64url')
      if (got.length !== expected.length || !timingSafeEqual(got, expected)) return fail(authError('peer does not hold the network secret'))
      if (role === 'server') socket.write(proofLine())
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
    socket.write(JSON.stringify({ auth: AUTH_PROTOCOL, role, nonce: myNonce }) + '\n')
  })
}

/** The proof a `role` end gives for a connection with these nonces (base64url HMAC-SHA256). */
export function proof (secret: Uint8Array, role: AuthRole, clientNonce: string, serverNonce: string): string {
  return createHmac('sha256', secret)
    .update(`${AUTH_PROTOCOL}\n${role}\n${clientNonce}\n${serverNonce}`)
    .digest('base64url')
}

function isNonce (s: string): boolean {
  return s.length === 43 && Buffer.from(s, 'base64url').toString('base64url') === s
}

function authError (message: string): GrapevineError {
  return new GrapevineError('ERR_AUTH', message)
}
