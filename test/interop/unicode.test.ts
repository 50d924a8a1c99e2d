import test from 'tape'
import type { Duplex } from 'node:stream'
import { Model, connect } from '../../index'
import { asciiJson } from '../../lib/stream/codec'
import { dial, listen, pipeBoth, until } from '../helpers/replicas'

// scuttlebutt@5 ships no types; these are the parts we drive.
interface SbStream extends NodeJS.EventEmitter {
  pipe<T> (dest: T): T
  destroy (): void
}
interface SbModel extends NodeJS.EventEmitter {
  createStream (opts?: Record<string, unknown>): SbStream
  set (k: string, v: unknown): void
  get (k: string): unknown
  dispose (): void
}
const SbModelCtor = require('scuttlebutt/model') as new (id?: string) => SbModel

/** About 3 MiB of UTF-8 mixing 2-, 3- and 4-byte characters: certain to be cut inside a character by TCP. */
function bigUnicode (tag: string): string {
  const unit = 'é€😀ß中ö🎉ж' // 2 + 3 + 4 + 2 + 3 + 2 + 4 + 2 bytes
  return tag + unit.repeat(Math.ceil((3 * 1024 * 1024) / Buffer.byteLength(unit)))
}

const BIG_LINES = { maxLineBytes: 64 * 1024 * 1024 }

function pipeSb (s: SbStream, sock: Duplex): void {
  s.pipe(sock)
  sock.pipe(s as unknown as NodeJS.WritableStream)
  sock.on('error', () => {})
  sock.once('close', () => s.destroy())
}

/** Serve `serve` on loopback and dial it with `dialer`; each side is a grapevine or scuttlebutt replica. */
async function tcp (serve: (sock: Duplex) => void, dialer: (sock: Duplex) => void): Promise<() => Promise<void>> {
  const srv = await listen(serve)
  const sock = await dial(srv.port)
  dialer(sock)
  return async () => { sock.destroy(); await srv.close() }
}

for (const weServe of [true, false]) {
  test(`a 3 MiB unicode value crosses TCP intact to and from scuttlebutt@5 (${weServe ? 'grapevine serves' : 'scuttlebutt serves'})`, async (t) => {
    const ours = new Model('gv')
    const theirs = new SbModelCtor('sb')
    const ourSide = (sock: Duplex): void => pipeBoth(ours.createStream(BIG_LINES), sock)
    const theirSide = (sock: Duplex): void => pipeSb(theirs.createStream(), sock)
    const close = weServe ? await tcp(ourSide, theirSide) : await tcp(theirSide, ourSide)
    const mine = bigUnicode('gv:')
    const yours = bigUnicode('sb:')
    ours.set('from-gv', mine)
    theirs.set('from-sb', yours)
    await until(() => theirs.get('from-gv') !== undefined && ours.get('from-sb') !== undefined, 20_000, 'both values to cross')
    t.ok(theirs.get('from-gv') === mine, 'scuttlebutt holds our value exactly (no U+FFFD)')
    t.ok(ours.get('from-sb') === yours, 'we hold its value exactly')
    t.notOk(String(theirs.get('from-gv')).includes('\uFFFD'), 'no replacement character on the scuttlebutt side')
    await close()
    ours.dispose()
    theirs.dispose()
  })
}

test('a scuttlebutt@5 relay between two grapevine peers passes unicode intact both ways', async (t) => {
  const a = new Model('a')
  const b = new Model('b')
  const relay = new SbModelCtor('relay')
  const closeA = await tcp((sock) => pipeSb(relay.createStream(), sock), (sock) => pipeBoth(a.createStream(BIG_LINES), sock))
  const closeB = await tcp((sock) => pipeSb(relay.createStream(), sock), (sock) => pipeBoth(b.createStream(BIG_LINES), sock))
  const va = bigUnicode('a:')
  const vb = bigUnicode('b:')
  a.set('from-a', va)
  b.set('from-b', vb)
  await until(() => b.get('from-a') !== undefined && a.get('from-b') !== undefined, 30_000, 'values through the relay')
  t.ok(b.get('from-a') === va, "a's value reached b through scuttlebutt intact")
  t.ok(a.get('from-b') === vb, "b's value reached a through scuttlebutt intact")
  t.ok(relay.get('from-a') === va && relay.get('from-b') === vb, 'the relay itself holds both exactly')
  await closeA()
  await closeB()
  for (const r of [a, b]) r.dispose()
  relay.dispose()
})

test('asciiJson escapes exactly the non-ASCII characters, and the JSON value is the same', (t) => {
  const v = { 'ключ': ['é', '😀', 'plain', '\u0080\uffff', 'a"b\\c'] }
  const text = JSON.stringify(v)
  const ascii = asciiJson(text)
  t.ok(/^[\x00-\x7f]*$/.test(ascii), 'only ASCII left')
  t.deepEqual(JSON.parse(ascii), v, 'same value')
  t.equal(asciiJson('["k","v",1,"s"]'), '["k","v",1,"s"]', 'ASCII text unchanged')
  t.end()
})

test('between grapevine peers JSON lines stay raw UTF-8 (no escapes inflating the line)', async (t) => {
  const a = new Model('a')
  const b = new Model('b')
  const d = connect(a, b)
  await until(() => d.a.synced && d.b.synced)
  const before = d.a.stats.bytesSent
  a.set('k', 'é'.repeat(1000))
  await until(() => b.get('k') !== undefined)
  const sent = d.a.stats.bytesSent - before
  t.ok(sent < 2000 + 100, `about 2 bytes per é on the wire (${sent} bytes), not 6`)
  d()
  a.dispose()
  b.dispose()
})
