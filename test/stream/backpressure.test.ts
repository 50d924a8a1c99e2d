import test from 'tape'
import net from 'node:net'
import { Model } from '../../index'
import { listen, tick, until } from '../helpers/replicas'

test('history to a slow peer is produced lazily, not queued all at once', async (t) => {
  const a = new Model('a')
  for (let i = 0; i < 50_000; i++) a.set(`key${i}`, i)
  const s = a.createStream()
  s.write(JSON.stringify({ id: 'slow', clock: {} }) + '\n')
  await tick(50)
  t.ok(s.stats.updatesSent < 5_000, `only ${s.stats.updatesSent} of 50 000 produced while nobody reads`)
  // Now read everything.
  let lines = 0
  s.on('data', (buf: Buffer) => { for (const b of buf) if (b === 10) lines++ })
  await until(() => lines >= 50_002, 10_000, 'all lines')
  t.equal(s.stats.updatesSent, 50_000)
  s.destroy()
  a.dispose()
})

test('a peer that never reads while we write 200 000 updates cannot grow memory without bound', async (t) => {
  const a = new Model('a')
  let server: net.Socket | undefined
  const srv = await listen((sock) => { server = sock })
  const s = a.createStream({ maxQueue: 1000 })
  const sock = net.connect(srv.port, '127.0.0.1')
  await new Promise((resolve) => sock.once('connect', resolve))
  s.pipe(sock).pipe(s)
  await until(() => server !== undefined)
  const peer = server as net.Socket
  peer.pause() // never reads
  peer.write(JSON.stringify({ id: 'never-reads', clock: {} }) + '\n')
  await until(() => s.peerHeader !== undefined)
  let maxQueued = 0
  const pad = 'x'.repeat(200)
  for (let i = 0; i < 200_000; i++) {
    a.set(`k${i % 5000}`, `${i} ${pad}`)
    if (i % 1000 === 0) {
      await tick(0)
      maxQueued = Math.max(maxQueued, s.writableLength + s.readableLength + sock.writableLength)
    }
  }
  t.ok(s.stats.queueOverflows > 0, 'the live queue overflowed and was dropped')
  t.ok(maxQueued < 2 * 1024 * 1024, `bytes buffered toward the peer stayed bounded (${maxQueued})`)
  t.ok(s.stats.updatesSent < 200_000, `not every update was queued (${s.stats.updatesSent})`)

  // The peer starts reading: it catches up from history, only the 5000 live keys.
  const b = new Model('b')
  const sb = b.createStream()
  peer.unpipe()
  peer.removeAllListeners('data')
  // Replay the header b would have sent: the victim already has one; feed b from the socket.
  peer.pipe(sb)
  peer.resume()
  await until(() => b.size === 5000 && b.get('k4999') === a.get('k4999'), 20_000, 'peer to catch up')
  t.deepEqual(b.toJSON(), a.toJSON(), 'converged after the stall')
  sock.destroy()
  s.destroy()
  sb.destroy()
  await srv.close()
  a.dispose()
  b.dispose()
})
