import test from 'tape'
import { sign } from 'node:crypto'
import net from 'node:net'
import { Duplex, PassThrough } from 'node:stream'
import { AUTH_PROTOCOL, type AuthOptions, type GrapevineError, Model, authenticate, generateKeyPair, isGrapevineError, keyId, peerKeyOf } from '../../index'
import { authTranscript, hmac } from '../../lib/trust/authenticate'
import { dial, listen, pipeBoth, until, waitSynced } from '../helpers/replicas'
import type { ReplicaStream } from '../../lib/stream/replica-stream'

const SECRET = 'correct horse battery staple'

/** A server replica that authenticates each socket before attaching a stream. */
async function authServer (replica: Model, opts: Omit<AuthOptions, 'role'> = { secret: SECRET }): Promise<{ port: number, close: () => Promise<void>, failures: GrapevineError[], streams: ReplicaStream[], peers: Array<string | undefined> }> {
  const failures: GrapevineError[] = []
  const streams: ReplicaStream[] = []
  const peers: Array<string | undefined> = []
  const srv = await listen((sock) => {
    authenticate(sock, { ...opts, role: 'server' }).then((s) => {
      peers.push(peerKeyOf(s))
      const stream = replica.createStream()
      streams.push(stream)
      pipeBoth(stream, s)
    }, (err: GrapevineError) => { failures.push(err) })
  })
  return { ...srv, failures, streams, peers }
}

/** Dial and record every byte received until the socket closes. */
async function capture (port: number, write: (sock: net.Socket, received: () => string) => void): Promise<string> {
  const sock = await dial(port)
  const chunks: Buffer[] = []
  sock.on('data', (c: Buffer) => chunks.push(c))
  sock.on('error', () => {})
  const received = (): string => Buffer.concat(chunks).toString('utf8')
  write(sock, received)
  await new Promise<void>((resolve) => sock.once('close', () => resolve()))
  return received()
}

/** The only thing an unauthenticated peer may see: one hello line with a random nonce. */
function assertOnlyHello (t: test.Test, bytes: string, replica: Model): void {
  const lines = bytes.split('\n').filter((l) => l !== '')
  t.equal(lines.length, 1, 'exactly one line received')
  const hello = JSON.parse(lines[0] as string) as Record<string, unknown>
  t.deepEqual(Object.keys(hello).filter((k) => k !== 'key').sort(), ['auth', 'nonce', 'role'], 'the hello has no other fields (but the public key id)')
  t.equal(hello.auth, AUTH_PROTOCOL)
  t.notOk(bytes.includes('clock'), 'no clock')
  t.notOk(bytes.includes(replica.id), 'no replica id')
  t.notOk(bytes.includes('secret-value'), 'no data')
  t.notOk(bytes.includes('hmac') || bytes.includes('sig'), 'no proof from the server')
}

test('peers holding the network secret authenticate and then replicate', async (t) => {
  const a = new Model()
  const b = new Model()
  a.set('k', 'secret-value')
  const srv = await authServer(a)
  const sock = await authenticate(await dial(srv.port), { secret: SECRET, role: 'client' })
  const stream = b.createStream()
  pipeBoth(stream, sock)
  await waitSynced(stream)
  t.equal(b.get('k'), 'secret-value')
  b.set('back', 1)
  await until(() => a.get('back') === 1)
  t.equal(srv.failures.length, 0)
  await srv.close()
  a.dispose()
  b.dispose()
})

test('a peer with the wrong secret is refused with ERR_AUTH and learns nothing', async (t) => {
  const a = new Model()
  a.set('k', 'secret-value')
  const srv = await authServer(a)
  let clientError: unknown
  const bytes = await capture(srv.port, (sock) => {
    authenticate(sock, { secret: 'a different secret, long enough', role: 'client' }).catch((e) => { clientError = e })
  })
  await until(() => srv.failures.length === 1)
  t.equal(srv.failures[0]?.code, 'ERR_AUTH', 'server refuses with ERR_AUTH')
  t.ok(isGrapevineError(clientError, 'ERR_AUTH'), 'client fails with ERR_AUTH')
  assertOnlyHello(t, bytes, a)
  t.equal(a.streams, 0, 'no replica stream was ever attached')
  await srv.close()
  a.dispose()
})

test('a plain replica stream without authentication cannot complete the handshake', async (t) => {
  const a = new Model()
  a.set('k', 'secret-value')
  const srv = await authServer(a)
  const intruder = new Model()
  const bytes = await capture(srv.port, (sock) => {
    // Speaks grapevine directly: its header is not a hello.
    intruder.createStream().pipe(sock)
  })
  await until(() => srv.failures.length === 1)
  t.equal(srv.failures[0]?.code, 'ERR_AUTH')
  assertOnlyHello(t, bytes, a)
  t.equal(intruder.get('k'), undefined)
  await srv.close()
  a.dispose()
  intruder.dispose()
})

test('a peer that sends a well-formed hello and a guessed proof gets no proof and no data', async (t) => {
  const a = new Model()
  a.set('k', 'secret-value')
  const srv = await authServer(a)
  const bytes = await capture(srv.port, (sock, received) => {
    sock.write(JSON.stringify({ auth: AUTH_PROTOCOL, role: 'client', nonce: Buffer.alloc(32, 7).toString('base64url') }) + '\n')
    const serverNonce = (): string => (JSON.parse(received().split('\n')[0] as string) as { nonce: string }).nonce
    until(() => received().includes('\n')).then(() => {
      // Right shape, wrong key.
      sock.write(JSON.stringify({ hmac: hmac(Buffer.from('not the secret at all!'), authTranscript('client', Buffer.alloc(32, 7).toString('base64url'), serverNonce())) }) + '\n')
    }, () => {})
  })
  await until(() => srv.failures.length === 1)
  t.equal(srv.failures[0]?.code, 'ERR_AUTH')
  assertOnlyHello(t, bytes, a)
  await srv.close()
  a.dispose()
})

test('raw bytes, an HTTP request or a reflected server hello are refused', async (t) => {
  const a = new Model()
  const srv = await authServer(a)
  const attempts: Array<(sock: net.Socket, received: () => string) => void> = [
    (sock) => sock.write(Buffer.from([0x16, 0x03, 0x01, 0xff, 0x00, 0x0a])),
    (sock) => sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
    (sock) => sock.write('x'.repeat(1000)),
    // Reflect the server's own hello back: same role, same nonce.
    (sock, received) => { until(() => received().includes('\n')).then(() => sock.write(received()), () => {}) }
  ]
  for (const attempt of attempts) {
    const bytes = await capture(srv.port, attempt)
    assertOnlyHello(t, bytes, a)
  }
  await until(() => srv.failures.length === attempts.length)
  t.ok(srv.failures.every((e) => e.code === 'ERR_AUTH'), 'each refused with ERR_AUTH')
  await srv.close()
  a.dispose()
})

test('a peer that stalls is dropped with ERR_TIMEOUT', async (t) => {
  const a = new Model()
  const srv = await authServer(a, { secret: SECRET, timeoutMs: 100 })
  const bytes = await capture(srv.port, () => {})
  await until(() => srv.failures.length === 1)
  t.equal(srv.failures[0]?.code, 'ERR_TIMEOUT')
  assertOnlyHello(t, bytes, a)
  await srv.close()
  a.dispose()
})

test('two ends that both claim to be the client fail with ERR_AUTH', async (t) => {
  const x = new PassThrough()
  const y = new PassThrough()
  const left = duplexOf(x, y)
  const right = duplexOf(y, x)
  const results = await Promise.allSettled([
    authenticate(left, { secret: SECRET, role: 'client' }),
    authenticate(right, { secret: SECRET, role: 'client' })
  ])
  t.ok(results.every((r) => r.status === 'rejected' && isGrapevineError(r.reason, 'ERR_AUTH')))
  t.end()
})

test('bytes that arrive with the last handshake line are kept for the replica stream', async (t) => {
  const x = new PassThrough()
  const y = new PassThrough()
  const client = duplexOf(x, y)
  const server = duplexOf(y, x)
  // A hand-written server: its proof and the first replica line in one write.
  const serverNonce = Buffer.alloc(32, 9).toString('base64url')
  server.write(JSON.stringify({ auth: AUTH_PROTOCOL, role: 'server', nonce: serverNonce }) + '\n')
  let buf = ''
  server.on('data', (c: Buffer) => {
    buf += c.toString('utf8')
    const lines = buf.split('\n')
    if (lines.length < 3) return
    server.removeAllListeners('data')
    const clientNonce = (JSON.parse(lines[0] as string) as { nonce: string }).nonce
    server.write(JSON.stringify({ hmac: hmac(Buffer.from(SECRET), authTranscript('server', clientNonce, serverNonce)) }) + '\n{"id":"s","clock":{}}\n')
  })
  const sock = await authenticate(client, { secret: SECRET, role: 'client' })
  const b = new Model()
  const stream = b.createStream()
  let header: unknown
  stream.on('header', (h: unknown) => { header = h })
  sock.pipe(stream)
  await until(() => header !== undefined)
  t.deepEqual(header, { id: 's', clock: {} })
  b.dispose()
})

/** A duplex reading from `r` and writing to `w`. */
function duplexOf (r: PassThrough, w: PassThrough): Duplex {
  return Duplex.from({ readable: r, writable: w })
}

test('with an allow-list of keys, a peer holding an allowed key connects and is identified', async (t) => {
  const serverKey = generateKeyPair()
  const clientKey = generateKeyPair()
  const a = new Model()
  const b = new Model()
  a.set('k', 'secret-value')
  const srv = await authServer(a, { keyPair: serverKey, allow: [keyId(clientKey.publicKey)] })
  const sock = await authenticate(await dial(srv.port), { keyPair: clientKey, allow: [keyId(serverKey.publicKey)], role: 'client' })
  t.equal(peerKeyOf(sock), keyId(serverKey.publicKey), 'the client knows which key the server proved')
  const stream = b.createStream()
  pipeBoth(stream, sock)
  await waitSynced(stream)
  t.equal(b.get('k'), 'secret-value')
  t.deepEqual(srv.peers, [keyId(clientKey.publicKey)], 'the server knows which key the client proved')
  await srv.close()
  a.dispose()
  b.dispose()
})

test('a key not on the allow-list, or one claimed but not held, is refused and learns nothing', async (t) => {
  const serverKey = generateKeyPair()
  const allowedKey = generateKeyPair()
  const a = new Model()
  a.set('k', 'secret-value')
  const srv = await authServer(a, { keyPair: serverKey, allow: [keyId(allowedKey.publicKey)] })
  const stranger = await capture(srv.port, (sock) => {
    authenticate(sock, { keyPair: generateKeyPair(), allow: () => true, role: 'client' }).catch(() => {})
  })
  assertOnlyHello(t, stranger, a)
  // Claims the allowed key id in its hello, signs with another key.
  const impostor = await capture(srv.port, (sock, received) => {
    const clientNonce = Buffer.alloc(32, 3).toString('base64url')
    const claimed = keyId(allowedKey.publicKey)
    sock.write(JSON.stringify({ auth: AUTH_PROTOCOL, role: 'client', nonce: clientNonce, key: claimed }) + '\n')
    until(() => received().includes('\n')).then(() => {
      const hello = JSON.parse(received().split('\n')[0] as string) as { nonce: string, key: string }
      const forged = createSignature(authTranscript('client', clientNonce, hello.nonce, claimed, hello.key))
      sock.write(JSON.stringify({ sig: forged }) + '\n')
    }, () => {})
  })
  assertOnlyHello(t, impostor, a)
  await until(() => srv.failures.length === 2)
  t.deepEqual(srv.failures.map((e) => e.message), ['peer key is not allowed', 'peer does not hold its key'])
  t.ok(srv.failures.every((e) => e.code === 'ERR_AUTH'))
  await srv.close()
  a.dispose()
})

test('secret and keys together: a peer needs both', async (t) => {
  const serverKey = generateKeyPair()
  const clientKey = generateKeyPair()
  const a = new Model()
  const srv = await authServer(a, { secret: SECRET, keyPair: serverKey, allow: [keyId(clientKey.publicKey)] })
  const withoutSecret = await Promise.allSettled([authenticate(await dial(srv.port), { secret: 'the wrong secret, long enough', keyPair: clientKey, role: 'client' })])
  t.ok(withoutSecret[0]?.status === 'rejected' && isGrapevineError(withoutSecret[0].reason, 'ERR_AUTH'), 'the right key without the secret fails')
  const sock = await authenticate(await dial(srv.port), { secret: SECRET, keyPair: clientKey, role: 'client' })
  t.ok(sock.readable, 'the right key and the secret pass')
  sock.destroy()
  await srv.close()
  a.dispose()
})

test('authenticate without a secret or an allow-list is a programmer mistake', async (t) => {
  const x = new PassThrough()
  t.throws(() => { void authenticate(x, { role: 'client' }) }, /secret, an allow list/)
  t.throws(() => { void authenticate(x, { secret: 'short', role: 'client' }) }, /16 bytes/)
  t.end()
})

function createSignature (transcript: string): string {
  return sign(null, Buffer.from(transcript, 'utf8'), generateKeyPair().privateKey).toString('base64url')
}
