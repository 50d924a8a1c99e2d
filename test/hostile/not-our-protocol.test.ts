import test from 'tape'
import { attack } from '../helpers/attack'

const cases: Array<[string, Buffer | string, string, { end?: boolean }]> = [
  ['an HTTP request', 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n', 'ERR_INVALID_JSON', {}],
  ['a TLS client hello', Buffer.from('160301020001000200fc0303' + 'ab'.repeat(32) + '0a', 'hex'), 'ERR_INVALID_UTF8', {}],
  ['random bytes', Buffer.from('8f3a0011ee7c5d0a99', 'hex'), 'ERR_INVALID_UTF8', {}],
  ['invalid UTF-8 in a line', Buffer.concat([Buffer.from('["'), Buffer.from([0xc3, 0x28]), Buffer.from('",1,"x"]\n')]), 'ERR_INVALID_UTF8', {}],
  ['a byte-order mark before the header', '\uFEFF{"id":"m","clock":{}}\n', 'ERR_INVALID_JSON', {}],
  ['a line that is not JSON', 'hello there\n', 'ERR_INVALID_JSON', {}],
  ['bytes without a newline, then end of input', Buffer.from([0x16, 0x03, 0x01, 0x00]), 'ERR_INVALID_JSON', { end: true }]
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

test('a peer that connects and says nothing is cut off by the handshake deadline', async (t) => {
  const r = await attack(() => {}, { handshakeTimeoutMs: 100, expectClose: true })
  t.equal(r.error?.code, 'ERR_TIMEOUT')
  t.ok(r.closed)
  t.ok(r.unchanged)
  t.ok(r.othersFine)
})
