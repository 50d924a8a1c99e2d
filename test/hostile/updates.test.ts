import test from 'tape'
import { Events, Model } from '../../index'
import { HEADER, attack } from '../helpers/attack'

const ts = (): number => Date.now()
const bad: Array<[string, () => string]> = [
  ['an update with two elements', () => `[["k",1],${ts()}]`],
  ['an update with five elements', () => `[["k",1],${ts()},"m","sig","extra"]`],
  ['a string timestamp', () => '[["k",1],"1700000000000","m"]'],
  ['an infinite timestamp (1e999)', () => '[["k",1],1e999,"m"]'],
  ['a negative timestamp', () => '[["k",1],-5,"m"]'],
  ['a zero timestamp', () => '[["k",1],0,"m"]'],
  ['an empty source', () => `[["k",1],${ts()},""]`],
  ['a 300-character source', () => `[["k",1],${ts()},"${'x'.repeat(300)}"]`],
  ['a __proto__ source', () => `[["k",1],${ts()},"__proto__"]`],
  ['a numeric source', () => `[["k",1],${ts()},7]`],
  ['a non-string signature', () => `[["k",1],${ts()},"m",{"sig":1}]`],
  ['a Model change that is not [key, value]', () => `[{"k":1},${ts()},"m"]`],
  ['a Model change with a numeric key', () => `[[5,1],${ts()},"m"]`]
]

for (const [name, line] of bad) {
  test(`update: ${name} is rejected with a coded error, state unchanged, stream stays up`, async (t) => {
    const r = await attack((sock) => { sock.write(HEADER + line() + '\n') })
    t.equal(r.invalid[0]?.code, 'ERR_INVALID_UPDATE', 'coded invalid event')
    t.equal(r.error, undefined, 'not a stream error')
    t.notOk(r.closed, 'stream still open')
    t.ok(r.unchanged, 'state and clock unchanged')
    t.ok(r.othersFine, 'other streams unaffected')
  })
}

test('update: with strict: true the first rejection destroys the stream', async (t) => {
  const r = await attack((sock) => { sock.write(HEADER + `[["k",1],${ts()},""]\n`) }, { strict: true, expectClose: true })
  t.equal(r.error?.code, 'ERR_INVALID_UPDATE')
  t.ok(r.closed && r.unchanged && r.othersFine)
})

test('update: a flood of rejected updates past maxInvalid destroys the stream', async (t) => {
  const lines = Array.from({ length: 20 }, () => '[["k",1],"x","m"]').join('\n') + '\n'
  const r = await attack((sock) => { sock.write(HEADER + lines) }, { maxInvalid: 5, expectClose: true })
  t.equal(r.error?.code, 'ERR_TOO_MANY_INVALID')
  t.ok(r.closed && r.unchanged && r.othersFine)
})

test('update: sources and keys named constructor, toString, __proto__ are plain data', async (t) => {
  const victim = new Model({ id: 'victim' })
  const now = ts()
  const r = await attack((sock) => {
    sock.write(HEADER + [
      `[["__proto__",{"polluted":true}],${now},"constructor"]`,
      `[["constructor",1],${now + 1},"toString"]`,
      `[["toString",2],${now + 2},"hasOwnProperty"]`
    ].join('\n') + '\n')
  }, { victim })
  t.equal(r.invalid.length, 0, 'nothing rejected')
  t.deepEqual(victim.get('__proto__'), { polluted: true })
  t.equal(victim.get('constructor'), 1)
  t.equal(victim.clock.get('constructor' as never), now)
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched')
})

test('update: remote events named error, dispose, close, __proto__ are just data', async (t) => {
  const victim = new Events({ id: 'victim' })
  const got: string[] = []
  victim.on('close', () => got.push('close'))
  let dataDisposeWhileAlive = false
  victim.on('dispose', () => { dataDisposeWhileAlive = !victim.disposed })
  let lifecycleDisposes = 0
  victim.lifecycle.on('dispose', () => { lifecycleDisposes++ })
  const now = ts()
  const names = ['error', 'dispose', 'close', '__proto__', 'newListener', 'removeListener']
  const r = await attack((sock) => {
    sock.write(HEADER + names.map((n, i) => JSON.stringify([[n, 'x'], now + i, 'mallory'])).join('\n') + '\n')
  }, { victim })
  t.equal(r.invalid.length, 0, 'accepted as events')
  t.equal(victim.size, names.length, 'all recorded')
  t.deepEqual(got, ['close'], 'only the listener of that name ran')
  t.ok(dataDisposeWhileAlive, 'a remote "dispose" reached its listener and left the replica alive')
  t.equal(lifecycleDisposes, 1, 'the lifecycle dispose fired once, for the real dispose')
  t.equal(r.error, undefined, 'no error from a remote "error" event without listeners')
})

test('time: a timestamp years in the future ends the stream with ERR_CLOCK_DRIFT and changes nothing', async (t) => {
  const victim = new Model({ id: 'victim' })
  const future = ts() + 3 * 365 * 24 * 3600 * 1000
  const r = await attack((sock) => {
    sock.write(HEADER + `[["k","poison"],${future},"mallory"]\n`)
  }, { victim, expectClose: true })
  t.equal(r.error?.code, 'ERR_CLOCK_DRIFT', 'the stream ended with the drift code')
  t.ok(r.closed, 'stream closed: too far ahead to hold, so a reconnect must resend it')
  t.ok(r.unchanged, 'state and clock unchanged')
  t.equal(victim.clock.get('mallory' as never), 0, 'the clock never took the poisoned timestamp')
  t.ok(r.othersFine, 'other streams unaffected')
})
