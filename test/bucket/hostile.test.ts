import test from 'tape'
import { Bucket, Model, isGrapevineError } from '../../index'
import type { BucketStream, BucketStreamOptions } from '../../index'
import { connect } from '../../lib/stream/connect'
import { tick, until } from '../helpers/replicas'

const PROTO = 'grapevine-bucket/1'
const HEADER = JSON.stringify({ id: 'peer', clock: {}, proto: PROTO, buckets: { doc: {} } })
const NOW = Date.now()
const update = (change: unknown, ts = NOW - 1000, source = 'peer'): unknown[] => [change, ts, source]

interface Fixture {
  bucket: Bucket
  model: Model
  stream: BucketStream
  invalid: string[]
  unknown: string[]
  snapshot: () => string
}

/** A bucket holding one Model with some state, and a stream whose output nobody needs. */
function fixture (opts: BucketStreamOptions = {}): Fixture {
  const model = new Model('local')
  model.set('k', 'v')
  const bucket = new Bucket('local-bucket').add('doc', model)
  const stream = bucket.createStream(opts)
  stream.resume() // drain our output; we only care what the stream does with its input
  const invalid: string[] = []
  const unknown: string[] = []
  stream.on('invalid', (err: unknown) => invalid.push(isGrapevineError(err) ? err.code : 'not coded'))
  stream.on('unknown', (name: string) => unknown.push(name))
  const snapshot = (): string => JSON.stringify([model.toJSON(), model.getClock(), bucket.names()])
  return { bucket, model, stream, invalid, unknown, snapshot }
}

async function feed (f: Fixture, lines: string[]): Promise<void> {
  for (const line of lines) f.stream.write(line + '\n')
  await tick()
  await tick()
}

const fatalCases: Array<[string, string[], string, BucketStreamOptions?]> = [
  ['an update before the header', [JSON.stringify(['doc', update(['k', 1])])], 'ERR_PROTOCOL'],
  ['an announce before the header', [JSON.stringify(['doc', { clock: {} }])], 'ERR_PROTOCOL'],
  ['a named SYNC before the header', [JSON.stringify(['doc', 'SYNC'])], 'ERR_PROTOCOL'],
  ['SYNC before the header', ['"SYNC"'], 'ERR_PROTOCOL'],
  ['a second header', [HEADER, HEADER], 'ERR_PROTOCOL'],
  ['a plain replica header (no proto)', [JSON.stringify({ id: 'p', clock: {} })], 'ERR_PROTOCOL'],
  ['another protocol version', [JSON.stringify({ id: 'p', clock: {}, proto: 'grapevine-bucket/9', buckets: {} })], 'ERR_PROTOCOL'],
  ['a header without buckets', [JSON.stringify({ id: 'p', clock: {}, proto: PROTO })], 'ERR_PROTOCOL'],
  ['buckets as an array', [JSON.stringify({ id: 'p', clock: {}, proto: PROTO, buckets: [] })], 'ERR_PROTOCOL'],
  ['a header naming "__proto__"', ['{"id":"p","clock":{},"proto":"grapevine-bucket/1","buckets":{"__proto__":{}}}'], 'ERR_PROTOCOL'],
  ['a header clock that is not numbers', [JSON.stringify({ id: 'p', clock: {}, proto: PROTO, buckets: { doc: { x: 'NaN' } } })], 'ERR_PROTOCOL'],
  ['a header without a clock', [JSON.stringify({ id: 'p', proto: PROTO, buckets: {} })], 'ERR_PROTOCOL'],
  ['more names than maxNames', [JSON.stringify({ id: 'p', clock: {}, proto: PROTO, buckets: { a: {}, b: {}, c: {} } })], 'ERR_TOO_MANY_NAMES', { maxNames: 2 }],
  ['a header "more" that is not a count', [JSON.stringify({ id: 'p', clock: {}, proto: PROTO, buckets: {}, more: -1 })], 'ERR_PROTOCOL'],
  ['a header "more" past maxNames', [JSON.stringify({ id: 'p', clock: {}, proto: PROTO, buckets: { a: {} }, more: 2 })], 'ERR_TOO_MANY_NAMES', { maxNames: 2 }],
  ['a handshake announce the header did not count', [HEADER, JSON.stringify(['doc', { clock: {}, handshake: true }])], 'ERR_PROTOCOL'],
  ['an announce that is both reply and handshake', [HEADER, JSON.stringify(['doc', { clock: {}, handshake: true, reply: true }])], 'ERR_PROTOCOL'],
  ['an announce whose clock is not an object', [HEADER, JSON.stringify(['doc', { clock: 5 }])], 'ERR_PROTOCOL'],
  ['an announce with a non-boolean reply', [HEADER, JSON.stringify(['doc', { clock: {}, reply: 'yes' }])], 'ERR_PROTOCOL'],
  ['a second SYNC', [HEADER, '"SYNC"', '"SYNC"'], 'ERR_PROTOCOL'],
  ['an HTTP request', ['GET / HTTP/1.1'], 'ERR_WRONG_PROTOCOL'],
  ['JSON nested 100 000 deep', [HEADER, '['.repeat(100_000) + ']'.repeat(100_000)], 'ERR_TOO_DEEP'],
  ['a line over maxLineBytes', [HEADER, JSON.stringify(['doc', update(['k', 'x'.repeat(5000)])])], 'ERR_LINE_TOO_LONG', { maxLineBytes: 4096 }]
]

for (const [what, lines, code, opts] of fatalCases) {
  test(`${what} destroys the bucket stream with ${code}, state unchanged`, async (t) => {
    const f = fixture(opts)
    const before = f.snapshot()
    await feed(f, lines)
    await until(() => f.stream.destroyed, 2000, 'stream destroyed')
    t.equal((f.stream.error as { code?: string } | undefined)?.code, code)
    t.equal(f.snapshot(), before, 'replica state and clock unchanged')
    f.bucket.dispose()
  })
}

test('bad tagged messages are rejected one by one with coded errors; the stream goes on', async (t) => {
  const f = fixture()
  const before = f.snapshot()
  await feed(f, [
    HEADER,
    JSON.stringify([1, update(['k', 1])]),
    JSON.stringify(['__proto__', update(['k', 1])]),
    JSON.stringify(['', update(['k', 1])]),
    JSON.stringify(['doc']),
    JSON.stringify(['doc', update(['k', 1]), 'extra']),
    JSON.stringify(['doc', 42]),
    JSON.stringify(['doc', null]),
    JSON.stringify(['doc', 'BOGUS']),
    JSON.stringify(['doc', ['k', 'not a number', 'peer']]),
    JSON.stringify(['doc', update(['k', 1], NOW - 1000, '__proto__')]),
    JSON.stringify(['doc', update('not a model change')]),
    JSON.stringify(['doc', [['k', 1], NOW - 1000, 'peer', 7]])
  ])
  t.deepEqual(f.invalid, [
    'ERR_INVALID_UPDATE', 'ERR_INVALID_UPDATE', 'ERR_INVALID_UPDATE', 'ERR_INVALID_UPDATE',
    'ERR_INVALID_UPDATE', 'ERR_INVALID_UPDATE', 'ERR_INVALID_UPDATE', 'ERR_INVALID_UPDATE',
    'ERR_INVALID_UPDATE', 'ERR_INVALID_UPDATE', 'ERR_INVALID_UPDATE', 'ERR_INVALID_UPDATE'
  ])
  t.equal(f.stream.stats.rejected, 12)
  t.equal(f.snapshot(), before, 'replica state and clock unchanged')
  t.notOk(f.stream.destroyed, 'stream still open')
  await feed(f, [JSON.stringify(['doc', update(['k', 'good'])])])
  t.equal(f.model.get('k'), 'v', 'an older write loses to the local one, as it should')
  await feed(f, [JSON.stringify(['doc', update(['n', 'good'], NOW + 10)])])
  t.equal(f.model.get('n'), 'good', 'a valid update after the bad ones applies')
  f.bucket.dispose()
})

test('an update years in the future ends the bucket stream with ERR_CLOCK_DRIFT and changes nothing', async (t) => {
  const f = fixture()
  const before = f.snapshot()
  await feed(f, [HEADER, JSON.stringify(['doc', update(['k', 'future'], NOW + 365 * 24 * 3600 * 1000)])])
  await until(() => f.stream.destroyed, 5000, 'stream to end')
  t.equal((f.stream.error as { code?: string } | undefined)?.code, 'ERR_CLOCK_DRIFT', 'ended with the drift code')
  t.equal(f.snapshot(), before, 'replica state and clock unchanged: a reconnect would be sent it again')
  f.bucket.dispose()
})

test('names the bucket does not hold, object-prototype names included, are ignored with events', async (t) => {
  const f = fixture()
  const before = f.snapshot()
  await feed(f, [
    JSON.stringify({ id: 'peer', clock: {}, proto: PROTO, buckets: { doc: {}, constructor: { x: 5 } } }),
    JSON.stringify(['nope', update(['k', 1])]),
    JSON.stringify(['toString', { clock: {} }]),
    JSON.stringify(['hasOwnProperty', 'SYNC']),
    JSON.stringify(['valueOf', 'DROP'])
  ])
  t.deepEqual(f.unknown, ['constructor', 'nope', 'toString', 'hasOwnProperty', 'valueOf'])
  t.equal(f.stream.stats.unknown, 5)
  t.deepEqual(f.invalid, [], 'nothing counted as invalid')
  t.equal(f.snapshot(), before, 'state unchanged')
  t.notOk(f.stream.destroyed, 'stream still open')
  f.bucket.dispose()
})

test('a peer that keeps sending rejected messages is cut off with ERR_TOO_MANY_INVALID', async (t) => {
  const f = fixture({ maxInvalid: 5 })
  const before = f.snapshot()
  await feed(f, [HEADER, ...Array.from({ length: 10 }, () => JSON.stringify(['doc', 42]))])
  await until(() => f.stream.destroyed, 2000)
  t.equal((f.stream.error as { code?: string } | undefined)?.code, 'ERR_TOO_MANY_INVALID')
  t.equal(f.snapshot(), before)
  f.bucket.dispose()
})

test('a bucket stream and a plain replica stream refuse each other without harm', async (t) => {
  const bucket = new Bucket('b')
  const inBucket = new Model('in-bucket')
  inBucket.set('a', 1)
  bucket.add('doc', inBucket)
  const plain = new Model('plain')
  plain.set('b', 2)
  const d = connect(bucket, plain)
  await d.closed
  t.equal((d.a.error as { code?: string } | undefined)?.code, 'ERR_PROTOCOL', 'the bucket side names the cause')
  t.deepEqual(inBucket.toJSON(), { a: 1 })
  t.deepEqual(plain.toJSON(), { b: 2 })
  bucket.dispose()
  plain.dispose()
})

test('a peer that never sends its header is cut off with ERR_TIMEOUT when handshakeTimeoutMs is set', async (t) => {
  const f = fixture({ handshakeTimeoutMs: 50 })
  const before = f.snapshot()
  await feed(f, ['"just chatting"'])
  await until(() => f.stream.destroyed, 2000, 'timeout')
  t.equal((f.stream.error as { code?: string } | undefined)?.code, 'ERR_TIMEOUT')
  t.equal(f.snapshot(), before)
  f.bucket.dispose()
})

test('a listener that throws on a peer update fails that stream, not the process', async (t) => {
  const f = fixture()
  f.model.on('change', () => { throw new Error('listener bug') })
  await feed(f, [HEADER, JSON.stringify(['doc', update(['n', 1], NOW + 10)])])
  await until(() => f.stream.destroyed, 2000)
  const err = f.stream.error as (Error & { code?: string, cause?: unknown }) | undefined
  t.equal(err?.code, 'ERR_LISTENER', 'a coded error is on the stream')
  t.equal((err?.cause as Error | undefined)?.message, 'listener bug', 'with the original as cause')
  f.bucket.dispose()
})

test('a peer repeating announces to a stream it never reads cannot grow our queue', async (t) => {
  const model = new Model('local')
  model.set('k', 'v')
  const bucket = new Bucket('local-bucket').add('doc', model)
  const stream = bucket.createStream() // nobody reads its output
  stream.write(HEADER + '\n')
  const announce = JSON.stringify(['doc', { clock: {} }]) + '\n'
  for (let i = 0; i < 5000; i++) stream.write(announce)
  await until(() => stream.stats.announcesReceived === 5000, 5000, 'announces processed')
  stream.resume()
  await tick(20)
  t.ok(stream.stats.announcesSent < 10, `${stream.stats.announcesSent} replies for 5 000 repeated announces`)
  t.ok(stream.stats.announcesSent >= 1, 'but the peer was answered')
  t.notOk(stream.destroyed)
  bucket.dispose()
})

test('updates from more new sources than maxSources are rejected with ERR_TOO_MANY_SOURCES', async (t) => {
  const f = fixture({ maxSources: 3 })
  await feed(f, [HEADER, ...[1, 2, 3, 4, 5].map((i) => JSON.stringify(['doc', update([`k${i}`, i], NOW - 1000, `src${i}`)]))])
  t.deepEqual(f.invalid, ['ERR_TOO_MANY_SOURCES', 'ERR_TOO_MANY_SOURCES'])
  t.deepEqual(f.model.keys().sort(), ['k', 'k1', 'k2', 'k3'], 'the first three sources applied, the rest did not')
  t.notOk(f.stream.destroyed)
  f.bucket.dispose()
})

test('maxMessagesPerSecond paces reading without dropping anything', async (t) => {
  const f = fixture({ maxMessagesPerSecond: 200 })
  const lines = Array.from({ length: 240 }, (_, i) => JSON.stringify(['doc', update([`k${i}`, i], NOW - 1000 + i)]))
  await feed(f, [HEADER, ...lines])
  await until(() => f.model.size === 241, 5000, 'all applied')
  t.ok(f.stream.stats.throttled > 0, `reading paused ${f.stream.stats.throttled} times`)
  t.equal(f.stream.stats.updatesApplied, 240, 'nothing dropped')
  f.bucket.dispose()
})
