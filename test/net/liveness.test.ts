import net from 'node:net'
import type { Duplex } from 'node:stream'
import type { AddressInfo } from 'node:net'
import test from 'tape'
import { Model } from '../../lib/models/model'
import { parseAddress } from '../../lib/net/address'
import { Dialer } from '../../lib/net/dialer'
import { type Link, link } from '../../lib/net/link'
import { dial, serve } from '../../lib/net/serve'
import { openSocket } from '../../lib/net/transports'
import { isGrapevineError } from '../../lib/errors/grapevine-error'
import { startProxy } from '../helpers/proxy'
import { tick, until, waitSynced } from '../helpers/replicas'

test('a half-open connection (traffic silently dropped) is detected within the idle bound and closed with ERR_TIMEOUT', async (t) => {
  const a = new Model('a')
  const b = new Model('b')
  const live = { heartbeatMs: 100, idleTimeoutMs: 500 }
  const server = await serve(a, 'tcp://127.0.0.1:0', live)
  const proxy = await startProxy(parseAddress(server.address))
  const l = await dial(b, proxy.address, live)
  await waitSynced(l.stream)
  a.set('k', 1)
  await until(() => b.get('k') === 1, 5000, 'replication through the proxy')
  const serverLink = [...server.links][0] as Link

  const cut = Date.now()
  proxy.blackhole()
  await until(() => l.stream.destroyed, 5000, 'client detects the dead link')
  const detectedMs = Date.now() - cut
  await until(() => serverLink.stream.destroyed, 5000, 'server detects the dead link')
  t.comment(`configured idle bound ${live.idleTimeoutMs} ms; client detected after ${detectedMs} ms`)
  t.ok(isGrapevineError(l.error, 'ERR_TIMEOUT'), `client link failed with ERR_TIMEOUT (${String(l.error)})`)
  t.equal((l.error as { details?: { kind?: string } }).details?.kind, 'idle', 'the idle deadline fired')
  t.ok(isGrapevineError(serverLink.error, 'ERR_TIMEOUT'), 'server link failed with ERR_TIMEOUT too')
  t.ok(l.socket.destroyed, 'the socket was destroyed with the stream')
  await proxy.close()
  await server.close()
})

test('a peer that accepts but never sends a header fails the handshake deadline with ERR_TIMEOUT', async (t) => {
  const silent = net.createServer((s) => { s.on('error', () => {}) })
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  const port = (silent.address() as AddressInfo).port
  const l = await dial(new Model(), `tcp://127.0.0.1:${port}`, { handshakeTimeoutMs: 200, heartbeatMs: 50, idleTimeoutMs: 0 })
  await l.closed
  t.ok(isGrapevineError(l.error, 'ERR_TIMEOUT'), 'ERR_TIMEOUT')
  t.equal((l.error as { details?: { kind?: string } }).details?.kind, 'handshake', 'the handshake deadline fired')
  silent.close()
})

for (const [label, codecs] of [['binary frames (the default)', undefined], ['JSON lines (codecs: [])', []]] as const) {
  test(`heartbeats keep a quiet but healthy link open past the idle deadline, over ${label}`, async (t) => {
    const a = new Model('a')
    const b = new Model('b')
    for (let i = 0; i < 100; i++) a.set(`k${i}`, i)
    const live = { heartbeatMs: 40, idleTimeoutMs: 200, stream: codecs === undefined ? {} : { codecs } }
    const server = await serve(a, 'tcp://127.0.0.1:0', live)
    const l = await dial(b, server.address, live)
    await waitSynced(l.stream)
    const binary = codecs === undefined
    t.equal(Array.isArray(l.stream.peerHeader?.codecs), binary, binary ? 'the peer offered gv-bin/1' : 'no codec offered')
    const before = l.stream.stats.bytesReceived
    await tick(800)
    t.notOk(l.stream.destroyed, 'still open after four idle deadlines without data')
    const serverLink = [...server.links][0] as Link
    t.ok(serverLink.heartbeats > 0, `the server sent ${serverLink.heartbeats} heartbeats`)
    const got = l.stream.stats.bytesReceived - before
    t.equal(got % (binary ? 6 : 5), 0, `heartbeat bytes arrived (${got} bytes, ${binary ? 'JSON frames of null' : 'null lines'})`)
    a.set('after', true)
    await until(() => b.get('after') === true, 5000, 'replication after the quiet period')
    t.equal(l.stream.error, undefined, 'no error on the client stream')
    t.equal(serverLink.stream.error, undefined, 'no error on the server stream')
    l.close()
    await server.close()
  })
}

test('heartbeat lines are ignored by an unmodified scuttlebutt@5 peer, which is not cut for being quiet', async (t) => {
  // reason: scuttlebutt ships no types; we use only createStream and get.
  const SbModel = require('scuttlebutt/model') as new () => { set (k: string, v: unknown): void, get (k: string): unknown, createStream (): Duplex }
  const sb = new SbModel()
  sb.set('old', 'sb')
  let errors = 0
  const srv = net.createServer((sock) => {
    sock.on('error', () => {})
    const s = sb.createStream()
    s.on('error', () => { errors++ })
    sock.pipe(s).pipe(sock)
  })
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const port = (srv.address() as AddressInfo).port
  const g = new Model('g')
  const sock = await openSocket(`tcp://127.0.0.1:${port}`)
  const onCrash = (): void => { errors++ }
  process.on('uncaughtException', onCrash)
  // idleTimeoutMs is set, but scuttlebutt announces no heartbeats, so a quiet link must stay.
  const l = link(g.createStream(), sock, { heartbeatMs: 10, idleTimeoutMs: 100 })
  await until(() => g.get('old') === 'sb', 5000, 'initial sync with scuttlebutt')
  await tick(300)
  g.set('new', 'gv')
  sb.set('later', 'sb')
  await until(() => sb.get('new') === 'gv' && g.get('later') === 'sb', 5000, 'both directions after many heartbeats')
  t.ok(l.heartbeats > 5, `heartbeats were sent (${l.heartbeats})`)
  t.equal(errors, 0, 'no error or exception on the scuttlebutt side')
  t.notOk(l.stream.destroyed, 'the link is still up after 3x the idle deadline without a heartbeat from scuttlebutt')
  process.removeListener('uncaughtException', onCrash)
  l.close()
  srv.close()
})

test('a dialer reconnects after a half-open link times out', async (t) => {
  const a = new Model('a')
  const b = new Model('b')
  const live = { heartbeatMs: 50, idleTimeoutMs: 300 }
  const server = await serve(a, 'tcp://127.0.0.1:0', live)
  const proxy = await startProxy(parseAddress(server.address))
  const links: Link[] = []
  const d = new Dialer(async () => {
    const l = await dial(b, proxy.address, live)
    links.push(l)
    return l
  }, { baseMs: 50, maxMs: 500 })
  const errors: unknown[] = []
  d.on('disconnect', (_c: unknown, err: unknown) => errors.push(err))
  await until(() => links.length === 1 && links[0]?.stream.synced === true, 5000, 'first link')
  proxy.blackhole()
  await until(() => links.length === 2, 5000, 'redial after the timeout')
  t.ok(isGrapevineError(errors[0], 'ERR_TIMEOUT'), 'the first link ended with ERR_TIMEOUT')
  a.set('after', 'reconnect')
  await until(() => b.get('after') === 'reconnect', 5000, 'replication over the new link')
  t.pass('replication resumed over the new link')
  d.close()
  await proxy.close()
  await server.close()
})

test('a header that arrived while the event loop was blocked past the deadline is read before the deadline is judged', async (t) => {
  const a = new Model('a')
  a.set('k', 1)
  const server = await serve(a, 'tcp://127.0.0.1:0', { handshakeTimeoutMs: 300, heartbeatMs: 0, idleTimeoutMs: 0 })
  const accepted = new Promise<Link>((resolve) => server.once('link', resolve))
  const { host, port } = parseAddress(server.address)
  const sock = net.connect({ host, port })
  await new Promise<void>((resolve) => sock.once('connect', () => resolve()))
  const l = await accepted
  // A real client's header line, written raw once the server's deadline runs.
  const b = new Model('b')
  const bs = b.createStream({ codecs: [] })
  const header = await new Promise<Buffer>((resolve) => bs.once('data', resolve))
  sock.write(header)
  // Block the loop well past the deadline: the header sits unread in the
  // kernel when the handshake timer fires.
  const until0 = Date.now() + 800
  while (Date.now() < until0) { /* a stretch of synchronous work */ }
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.equal(l.error, undefined, 'the link was not timed out')
  t.ok(l.stream.peerHeader !== undefined, 'the header was read')
  sock.destroy()
  await l.closed
  bs.destroy()
  await server.close()
  a.dispose()
  b.dispose()
})
