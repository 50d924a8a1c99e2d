// Signed updates over authenticated TCP connections, relayed A -> B -> C.
// Run: npm run build && node dist/examples/trust.js
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { Model, authenticate, generateKeyPair, trust } from '../index'

const DOC = 'shopping-list'
const SECRET = 'a long random network secret, shared out of band'

/** Pipe a replica stream and an authenticated socket both ways. */
function join (replica: Model, sock: Duplex): void {
  const stream = replica.createStream()
  stream.pipe(sock).pipe(stream)
  sock.on('error', () => {})
  sock.once('close', () => stream.destroy())
  stream.once('close', () => sock.destroy())
}

/** Serve `replica` to peers that hold the secret. */
function serve (replica: Model): Promise<net.Server> {
  const server = net.createServer((sock) => {
    authenticate(sock, { secret: SECRET, role: 'server' })
      .then((s) => join(replica, s))
      .catch((err: Error) => console.log(`refused a peer: ${err.message}`))
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

async function dial (replica: Model, server: net.Server): Promise<void> {
  const sock = net.connect((server.address() as AddressInfo).port, '127.0.0.1')
  join(replica, await authenticate(sock, { secret: SECRET, role: 'client' }))
}

async function main (): Promise<void> {
  const alice = generateKeyPair()
  // A writes and signs; B only relays (it could verify too); C verifies and allows only A.
  const a = new Model({ ...trust({ keyPair: alice, docId: DOC }) })
  const b = new Model()
  const c = new Model({ ...trust({ docId: DOC, allow: [a.id] }) })
  const serverB = await serve(b)
  await dial(a, serverB)
  await dial(c, serverB)

  a.set('milk', 2).set('bread', 1)
  await new Promise<void>((resolve) => c.on('change:bread', () => resolve()))
  console.log(`C holds ${JSON.stringify(c.toJSON())}, every update signed by ${a.id}`)

  // Someone without the secret gets a nonce and a closed socket.
  const intruder = net.connect((serverB.address() as AddressInfo).port, '127.0.0.1')
  intruder.on('error', () => {})
  const seen: Buffer[] = []
  intruder.on('data', (d: Buffer) => seen.push(d))
  intruder.write('{"id":"intruder","clock":{}}\n')
  await new Promise((resolve) => intruder.once('close', resolve))
  console.log(`the intruder received only: ${Buffer.concat(seen).toString().trim()}`)

  for (const r of [a, b, c]) r.dispose()
  serverB.close()
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
