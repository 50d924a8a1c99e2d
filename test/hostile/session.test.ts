import test from 'tape'
import { HEADER, attack } from '../helpers/attack'

const now = (): number => Date.now()
const cases: Array<[string, () => string]> = [
  ['an update before the header', () => `[["k",1],${now()},"mallory"]\n`],
  ['two headers', () => HEADER + HEADER],
  ['a header without a clock', () => '{"id":"mallory"}\n'],
  ['a header whose clock values are not numbers', () => '{"id":"mallory","clock":{"a":"yesterday"}}\n'],
  ['a header whose clock is an array', () => '{"id":"mallory","clock":[1,2]}\n'],
  ['a header whose id is not a string', () => '{"id":42,"clock":{}}\n'],
  ['a header with a __proto__ source in its clock', () => '{"id":"m","clock":{"__proto__":5}}\n'],
  ['"SYNC" before the header', () => '"SYNC"\n']
]

for (const [name, payload] of cases) {
  test(`session: ${name} is ERR_PROTOCOL, closes the stream, changes nothing`, async (t) => {
    const r = await attack((sock) => { sock.write(payload()) }, { expectClose: true })
    t.equal(r.error?.code, 'ERR_PROTOCOL', 'error code')
    t.ok(r.closed, 'stream closed')
    t.ok(r.unchanged, 'state and clock unchanged')
    t.ok(r.othersFine, 'other streams unaffected')
  })
}

test('session: a clock naming more sources than maxSources is refused', async (t) => {
  const clock: Record<string, number> = {}
  for (let i = 0; i < 50; i++) clock[`s${i}`] = i + 1
  const r = await attack((sock) => { sock.write(JSON.stringify({ id: 'm', clock }) + '\n') }, { maxSources: 10, expectClose: true })
  t.equal(r.error?.code, 'ERR_TOO_MANY_SOURCES')
  t.ok(r.closed && r.unchanged && r.othersFine)
})

test('session: unknown header fields and stray scalars are ignored', async (t) => {
  const r = await attack((sock) => {
    sock.write('{"id":"m","clock":{},"proto":"grapevine/9","future":{"x":1}}\n42\ntrue\nnull\n"HELLO"\n"SYNC"\n')
  }, { settleMs: 50 })
  t.equal(r.error, undefined, 'no error')
  t.notOk(r.closed, 'still open')
  t.equal(r.stream.peerHeader?.proto, 'grapevine/9', 'extra field kept on peerHeader')
  t.ok(r.stream.synced)
})
