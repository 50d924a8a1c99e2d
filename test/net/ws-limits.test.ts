import test from 'tape'
import { WebSocket } from 'ws'
import { Model } from '../../lib/models/model'
import { dial, serve } from '../../lib/net/serve'
import { wsMaxPayload, type TransportOptions } from '../../lib/net/transports'
import { MAX_WRITE_BYTES } from '../../lib/net/link'
import { DEFAULT_LIMITS } from '../../lib/wire/line-decoder'
import { until, waitSynced } from '../helpers/replicas'
import { servingChild } from '../helpers/serving-child'

test('the WebSocket message limit follows the line limit, never under one write slice', (t) => {
  const none: TransportOptions = {}
  t.equal(wsMaxPayload(none), DEFAULT_LIMITS.maxLineBytes + 64, 'default: 1 MiB line plus a frame header')
  t.equal(wsMaxPayload(none, 4 * 1024 * 1024), 4 * 1024 * 1024 + 64, 'a bigger line limit raises it')
  t.equal(wsMaxPayload(none, 1024), MAX_WRITE_BYTES, 'a tiny line limit still lets one 64 KiB slice through')
  t.equal(wsMaxPayload({ maxMessageBytes: 12345 }, 1024), 12345, 'an explicit limit wins')
  t.end()
})

/** Open a raw ws client to `address`, send `bytes` in one message, and resolve with the close code. */
async function sendOneMessage (address: string, bytes: Buffer): Promise<number> {
  return await new Promise((resolve, reject) => {
    const ws = new WebSocket(address)
    ws.on('error', () => {}) // the server may reset us mid-send; the close code is what we read
    ws.once('open', () => { ws.send(bytes) })
    ws.once('close', (code) => resolve(code))
    setTimeout(() => reject(new Error('no close within 10 s')), 10_000).unref()
  })
}

test('a 90 MiB WebSocket message to serve() is refused with 1009 before it is buffered, and the server keeps serving', async (t) => {
  const server = await servingChild('ws://127.0.0.1:0/gv', 1)
  const before = await server.peakMiB()
  const huge = Buffer.alloc(90 * 1024 * 1024, 0x61)
  const code = await sendOneMessage(server.address, huge)
  t.equal(code, 1009, 'closed with 1009 (message too big)')
  const after = await server.peakMiB()
  // Without a limit the server held the whole message: its peak grew by
  // ~180 MiB (measured before the fix). With it, what grows is the bytes
  // read and thrown away while the close handshake runs (~36 MiB here).
  t.ok(after - before < 80, `the server's peak RSS grew ${(after - before).toFixed(1)} MiB (from ${before.toFixed(1)} MiB)`)
  const b = new Model('b')
  const l = await dial(b, server.address)
  await waitSynced(l.stream)
  await until(() => b.get('k0') === 0, 5000, 'an honest client syncs after the refusal')
  t.pass('the server still serves')
  l.close()
  await l.closed
  server.stop()
  b.dispose()
})

test('a catch-up far bigger than one WebSocket message goes through in slices (JSON and binary)', async (t) => {
  for (const codecs of [[], ['gv-bin/1']] as const) {
    const a = new Model('a')
    // 40 values of 200 KiB plus one of 900 KiB: single lines fit the 1 MiB
    // line limit, but one batch of them is ~9 MiB, far over a ws message.
    const big = 'x'.repeat(200 * 1024)
    for (let i = 0; i < 40; i++) a.set(`v${i}`, big + String(i))
    a.set('huge', 'y'.repeat(900 * 1024))
    const server = await serve(a, 'ws://127.0.0.1:0/gv', { stream: { codecs } })
    const b = new Model('b')
    const l = await dial(b, server.address, { stream: { codecs } })
    await waitSynced(l.stream)
    await until(() => b.get('huge') !== undefined && b.keys().length === 41, 10_000, 'the whole catch-up arrived')
    t.equal(b.get('v39'), big + '39', `${codecs.length === 0 ? 'JSON' : 'binary'}: the 200 KiB values arrived whole`)
    t.equal((b.get('huge') as string).length, 900 * 1024, 'the 900 KiB value arrived whole')
    t.equal(l.error, undefined, 'no error on the link')
    l.close()
    await l.closed
    await server.close()
    a.dispose()
    b.dispose()
  }
})
