import net from 'node:net'
import test from 'tape'
import { WebSocket } from 'ws'
import { Model } from '../../lib/models/model'
import { dial, serve } from '../../lib/net/serve'
import { fromWebSocket } from '../../lib/net/browser-socket'
import { link } from '../../lib/net/link'
import { openSocket } from '../../lib/net/transports'
import { isGrapevineError } from '../../lib/errors/grapevine-error'
import { makeCert } from '../helpers/certs'
import { buildSelfSignedCert } from '../helpers/cert-builder'
import { until, waitSynced } from '../helpers/replicas'

async function replicatesOver (t: test.Test, address: string, opts: Parameters<typeof serve>[2] = {}, dialOpts = opts): Promise<void> {
  const a = new Model('a')
  const b = new Model('b')
  a.set('from-a', 1)
  b.set('from-b', 2)
  const server = await serve(a, address, opts)
  t.ok(!server.address.endsWith(':0'), `listening on ${server.address}`)
  const l = await dial(b, server.address, dialOpts)
  await waitSynced(l.stream)
  await until(() => a.get('from-b') === 2 && b.get('from-a') === 1, 5000, 'initial sync')
  a.set('live', 'x')
  await until(() => b.get('live') === 'x', 5000, 'live update')
  t.deepEqual(a.toJSON(), b.toJSON(), 'both replicas hold the same state')
  t.equal(server.links.size, 1, 'server tracks the link')
  l.close()
  await l.closed
  await until(() => server.links.size === 0, 5000, 'server link closed')
  t.pass('closing the client closes the server side')
  await server.close()
}

test('two replicas replicate over TCP', async (t) => {
  await replicatesOver(t, 'tcp://127.0.0.1:0')
})

test('two replicas replicate over IPv6 loopback TCP', async (t) => {
  const ok = await new Promise<boolean>((resolve) => {
    const s = net.createServer()
    s.once('error', () => resolve(false))
    s.listen(0, '::1', () => s.close(() => resolve(true)))
  })
  if (!ok) { t.skip('no IPv6 loopback (::1) on this machine'); return }
  await replicatesOver(t, 'tcp://[::1]:0')
})

test('two replicas replicate over TLS with a self-signed certificate the client trusts', async (t) => {
  const c = makeCert()
  if (c === undefined) { t.skip('openssl not found: cannot make a test certificate'); return }
  await replicatesOver(t, 'tls://127.0.0.1:0', { tls: { key: c.key, cert: c.cert } }, { tls: { ca: c.cert } })
})

test('TLS works with a certificate built by node:crypto alone (for machines without openssl)', async (t) => {
  const c = buildSelfSignedCert()
  await replicatesOver(t, 'tls://127.0.0.1:0', { tls: { key: c.key, cert: c.cert } }, { tls: { ca: c.cert } })
})

test('a TLS client that does not trust the certificate fails to connect', async (t) => {
  const c = makeCert()
  if (c === undefined) { t.skip('openssl not found'); return }
  const server = await serve(new Model(), 'tls://127.0.0.1:0', { tls: { key: c.key, cert: c.cert } })
  try {
    await dial(new Model(), server.address)
    t.fail('should not connect')
  } catch (err) {
    t.ok(/self.signed|certificate/i.test(String((err as Error).message)), `refused: ${(err as Error).message}`)
  }
  await server.close()
})

test('two replicas replicate over WebSocket', async (t) => {
  await replicatesOver(t, 'ws://127.0.0.1:0/gv')
})

test('two replicas replicate over secure WebSocket (wss)', async (t) => {
  const c = makeCert()
  if (c === undefined) { t.skip('openssl not found'); return }
  await replicatesOver(t, 'wss://127.0.0.1:0/gv', { tls: { key: c.key, cert: c.cert } }, { tls: { ca: c.cert } })
})

test('a browser-style WebSocket client and a net client share a mesh through a relay', async (t) => {
  const relay = new Model('relay')
  const wsServer = await serve(relay, 'ws://127.0.0.1:0/')
  const tcpServer = await serve(relay, 'tcp://127.0.0.1:0')

  // The browser side only touches the WHATWG API (addEventListener, send,
  // binaryType): `ws` implements it, as browsers do.
  const browser = new Model('browser')
  const sock = new WebSocket(wsServer.address)
  const bl = link(browser.createStream(), fromWebSocket(sock))

  const node = new Model('node')
  const nl = await dial(node, tcpServer.address)
  await Promise.all([waitSynced(bl.stream), waitSynced(nl.stream)])

  browser.set('b', 'from the browser')
  node.set('n', 'from node')
  await until(() => node.get('b') === 'from the browser' && browser.get('n') === 'from node', 5000, 'cross-transport replication')
  t.deepEqual(browser.toJSON(), node.toJSON(), 'browser and node converge through the relay')
  t.deepEqual(relay.toJSON(), node.toJSON(), 'the relay holds the same state')
  bl.close()
  nl.close()
  await Promise.all([bl.closed, nl.closed])
  await wsServer.close()
  await tcpServer.close()
})

test('dialing a closed port fails with a connection error', async (t) => {
  const server = await serve(new Model(), 'tcp://127.0.0.1:0')
  const addr = server.address
  await server.close()
  try {
    await openSocket(addr)
    t.fail('should fail')
  } catch (err) {
    t.equal((err as NodeJS.ErrnoException).code, 'ECONNREFUSED', 'ECONNREFUSED')
  }
})

test('a protocol error on a served link closes only that link', async (t) => {
  const a = new Model('a')
  a.set('k', 1)
  const server = await serve(a, 'tcp://127.0.0.1:0')
  const raw = await openSocket(server.address)
  raw.on('error', () => {})
  let ended = false
  raw.on('end', () => { ended = true })
  raw.resume()
  raw.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
  // Sockets are half-open: the server's close shows here as the end of input.
  await until(() => ended || raw.destroyed, 5000, 'bad client closed')
  t.pass('the server closed the connection of a client that spoke HTTP')
  const l = await dial(new Model('b'), server.address)
  await waitSynced(l.stream)
  t.ok(!isGrapevineError(l.error), 'a later client still syncs')
  l.close()
  await server.close()
})
