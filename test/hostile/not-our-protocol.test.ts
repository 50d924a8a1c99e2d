import test from 'tape'
import { Model } from '../../index'
import { attack } from '../helpers/attack'

const cases: Array<[string, Buffer | string, string, { end?: boolean }]> = [
  ['an HTTP request', 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n', 'ERR_WRONG_PROTOCOL', {}],
  ['a TLS client hello', Buffer.from('160301020001000200fc0303' + 'ab'.repeat(32) + '0a', 'hex'), 'ERR_WRONG_PROTOCOL', {}],
  ['random bytes', Buffer.from('8f3a0011ee7c5d0a99', 'hex'), 'ERR_WRONG_PROTOCOL', {}],
  ['invalid UTF-8 in a line', Buffer.concat([Buffer.from('{"id":"m","clock":{}}\n["'), Buffer.from([0xc3, 0x28]), Buffer.from('",1,"x"]\n')]), 'ERR_INVALID_UTF8', {}],
  ['a byte-order mark before the header', '\uFEFF{"id":"m","clock":{}}\n', 'ERR_WRONG_PROTOCOL', {}],
  ['a line that is not JSON', 'hello there\n', 'ERR_WRONG_PROTOCOL', {}],
  ['a header line that is not JSON', '{"id": nope}\n', 'ERR_INVALID_JSON', {}],
  ['bytes without a newline, then end of input', Buffer.from('{"id":"m","clo'), 'ERR_INVALID_JSON', { end: true }]
]

for (const [name, bytes, code, o] of cases) {
  test(`${name} gets ${code}, closes that stream only, changes nothing`, async (t) => {
    const r = await attack((sock) => { o.end === true ? sock.end(bytes) : sock.write(bytes) }, { expectClose: true })
    t.equal(r.error?.code, code, 'error code')
    t.ok(r.closed, 'stream closed')
    t.ok(r.unchanged, 'state and clock unchanged')
    t.ok(r.othersFine, 'other streams unaffected')
  })
}

const likely: Array<[string, Buffer | string, string]> = [
  ['a TLS ClientHello without a newline', Buffer.from('16030100f8010000f40303', 'hex'), 'tls'],
  ['an HTTP request split before its first space', 'GE', 'http'],
  ['an HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'http2'],
  ['an SSH client', 'SSH-2.0-OpenSSH_9.2\r\n', 'ssh']
]
for (const [name, bytes, cause] of likely) {
  test(`${name} is named as ${cause} at its first bytes, without waiting for a newline or a deadline`, async (t) => {
    const r = await attack((sock) => { sock.write(bytes) }, { expectClose: true })
    t.equal(r.error?.code, 'ERR_WRONG_PROTOCOL', 'error code')
    t.equal(r.error?.details.likely, cause, 'the likely cause is named')
    t.ok(r.unchanged, 'state and clock unchanged')
  })
}

test('a bare createStream() tells a TLS client apart at once, with no socket layer involved', (t) => {
  const m = new Model({ id: 'm' })
  const s = m.createStream()
  s.on('error', (err: Error & { code?: string, details?: Record<string, unknown> }) => {
    t.equal(err.code, 'ERR_WRONG_PROTOCOL')
    t.equal(err.details?.likely, 'tls')
    t.ok(/TLS/.test(err.message), `message names TLS: ${err.message}`)
    m.dispose()
    t.end()
  })
  s.write(Buffer.from([0x16, 0x03, 0x01]))
})

test('blank lines before the header are fine', async (t) => {
  const m = new Model({ id: 'm' })
  const s = m.createStream()
  s.resume()
  const header = new Promise((resolve) => s.once('header', resolve))
  s.write('\r\n\n  {"id":"p","clock":{}}\n')
  await header
  t.equal(s.error, undefined, 'the header after blank space is read')
  m.dispose()
})

test('a peer that connects and says nothing is cut off by the handshake deadline', async (t) => {
  const r = await attack(() => {}, { handshakeTimeoutMs: 100, expectClose: true })
  t.equal(r.error?.code, 'ERR_TIMEOUT')
  t.ok(r.closed)
  t.ok(r.unchanged)
  t.ok(r.othersFine)
})
