import { Duplex, PassThrough } from 'node:stream'
import { isGrapevineError } from '../../lib/errors/grapevine-error'
import { AUTH_PROTOCOL, authTranscript, authenticate, hmac } from '../../lib/trust/authenticate'
import { Rng } from '../helpers/rng'
import { mutateBytes, rawBytes } from './mutate'

/** What an auth fuzz run found. `admitted`, `uncoded` and `crashes` must be empty. */
export interface AuthFuzzReport {
  attempts: number
  refused: Record<string, number>
  /** Attempts that authenticated without the secret. */
  admitted: string[]
  /** Failures without a GrapevineError code. */
  uncoded: string[]
  /** Bytes the server sent beyond its hello line. */
  leaks: string[]
}

const SECRET = 'the real network secret, 32 byte'

/**
 * Attack `authenticate()` on the server side with hellos and proofs made
 * without the secret: well-formed, damaged, raw, split at random. None may
 * pass, each must fail with a coded error, and the attacker must receive
 * nothing but the server's hello.
 */
export async function fuzzAuth (seed: number, attempts: number): Promise<AuthFuzzReport> {
  const rng = new Rng(seed)
  const report: AuthFuzzReport = { attempts: 0, refused: {}, admitted: [], uncoded: [], leaks: [] }
  for (let i = 0; i < attempts; i++) {
    const toServer = new PassThrough()
    const toAttacker = new PassThrough()
    const server = Duplex.from({ readable: toServer, writable: toAttacker })
    const got: Buffer[] = []
    toAttacker.on('data', (c: Buffer) => got.push(c))
    const result = authenticate(server, { secret: SECRET, role: 'server', timeoutMs: 50 }).then(() => 'admitted', (err: unknown) => err)
    await new Promise((resolve) => setImmediate(resolve))
    const serverHello = Buffer.concat(got).toString('utf8')
    const serverNonce = (JSON.parse(serverHello) as { nonce: string }).nonce
    const nonce = rng.chance(0.1) ? serverNonce : Buffer.from(Array.from({ length: 32 }, () => rng.int(0, 255))).toString('base64url')
    const guess = rng.pick(['not the secret, but long enough', SECRET.slice(0, -1) + 'X', ''])
    const hello = JSON.stringify({ auth: rng.chance(0.9) ? AUTH_PROTOCOL : 'x', role: rng.chance(0.9) ? 'client' : 'server', nonce, ...(rng.chance(0.2) ? { key: 'k'.repeat(43) } : {}) })
    const proofLine = JSON.stringify({ hmac: guess === '' ? 'A'.repeat(43) : hmac(Buffer.from(guess), authTranscript('client', nonce, serverNonce)) })
    let input: Buffer = Buffer.from(hello + '\n' + proofLine + '\n{"id":"x","clock":{}}\n')
    const r = rng.next()
    if (r < 0.3) input = mutateBytes(input, rng)
    else if (r < 0.4) input = rawBytes(rng)
    for (let at = 0; at < input.length;) {
      const size = rng.int(1, 64)
      toServer.write(input.subarray(at, at + size))
      at += size
    }
    if (rng.chance(0.5)) toServer.end()
    const outcome = await result
    report.attempts++
    if (outcome === 'admitted') report.admitted.push(`seed ${seed} attempt ${i}: ${input.toString('utf8').slice(0, 200)}`)
    else if (!isGrapevineError(outcome)) report.uncoded.push(`seed ${seed} attempt ${i}: ${String(outcome)}`)
    else report.refused[outcome.code] = (report.refused[outcome.code] ?? 0) + 1
    const sent = Buffer.concat(got).toString('utf8')
    if (sent !== serverHello) report.leaks.push(`seed ${seed} attempt ${i}: ${sent.slice(serverHello.length, serverHello.length + 100)}`)
  }
  return report
}
