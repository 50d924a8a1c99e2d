import test from 'tape'
import { PassThrough } from 'node:stream'
import { Model } from '../../index'
import { overTcp, until, waitSynced } from '../helpers/replicas'

const BIN = { codecs: ['gv-bin/1'] }

/** Pipe a to b and b to a through taps that keep every byte. */
function tapped (a: NodeJS.ReadWriteStream, b: NodeJS.ReadWriteStream): { ab: Buffer[], ba: Buffer[] } {
  const seen = { ab: [] as Buffer[], ba: [] as Buffer[] }
  const tapAB = new PassThrough()
  const tapBA = new PassThrough()
  tapAB.on('data', (c: Buffer) => seen.ab.push(c))
  tapBA.on('data', (c: Buffer) => seen.ba.push(c))
  a.pipe(tapAB).pipe(b).pipe(tapBA).pipe(a)
  return seen
}

test('two peers that both offer gv-bin/1 replicate history and live updates in binary frames', async (t) => {
  const a = new Model('a')
  const b = new Model('b')
  for (let i = 0; i < 500; i++) a.set(`k${i}`, `v${i}`)
  a.delete('k7')
  a.set('obj', { deep: [1, 2, { x: null }] })
  b.set('from-b', 'hello')
  const sa = a.createStream(BIN)
  const sb = b.createStream(BIN)
  const seen = tapped(sa, sb)
  await Promise.all([waitSynced(sa), waitSynced(sb)])
  a.set('live', 1)
  b.set('live-b', 'é😀')
  await until(() => b.get('live') === 1 && a.get('live-b') === 'é😀')
  t.deepEqual(b.toJSON(), a.toJSON(), 'same state')
  t.equal(b.has('k7'), false, 'the delete replicated')
  t.deepEqual(sa.peerHeader?.codecs, ['gv-bin/1'], 'the peer offered the codec in its header')
  const wire = Buffer.concat(seen.ab)
  const firstLines = wire.toString('latin1').split('\n').slice(0, 2)
  t.equal(JSON.parse(firstLines[0] as string).id, 'a', 'the header is a JSON line')
  t.equal(firstLines[1], '"gv-bin/1"', 'then the switch is announced as a JSON line')
  t.ok(sa.stats.bytesSent < 502 * 30, `history in binary is compact (${sa.stats.bytesSent} bytes for 502 updates)`)
  sa.destroy()
  a.dispose()
  b.dispose()
})

test('a peer that does not offer gv-bin/1 (codecs: []) gets JSON lines only', async (t) => {
  const a = new Model('a')
  const b = new Model('b')
  for (let i = 0; i < 50; i++) a.set(`k${i}`, i)
  const sa = a.createStream(BIN)
  const sb = b.createStream({ codecs: [] })
  const seen = tapped(sa, sb)
  await Promise.all([waitSynced(sa), waitSynced(sb)])
  a.set('live', true)
  await until(() => b.get('live') === true)
  const lines = Buffer.concat(seen.ab).toString('utf8').split('\n').filter((l) => l !== '')
  t.doesNotThrow(() => lines.forEach((l) => JSON.parse(l)), 'every line is JSON')
  t.notOk(lines.includes('"gv-bin/1"'), 'no switch announced')
  t.equal(lines.length, 1 + 50 + 1 + 1, 'header, history, SYNC, live update')
  t.deepEqual(b.toJSON(), a.toJSON())
  sa.destroy()
  a.dispose()
  b.dispose()
})

test('binary codec over loopback TCP: both directions, big history, live tail', async (t) => {
  const a = new Model('a')
  const b = new Model('b')
  for (let i = 0; i < 20_000; i++) a.set(`key${i}`, `value-${i}`)
  for (let i = 0; i < 1000; i++) b.set(`b${i}`, { n: i })
  const link = await overTcp(a, b, { server: BIN, client: BIN })
  await Promise.all([waitSynced(link.serverStream, 10_000), waitSynced(link.clientStream, 10_000)])
  for (let i = 0; i < 1000; i++) a.set(`key${i}`, 'overwritten')
  await until(() => b.get('key999') === 'overwritten', 10_000)
  t.equal(b.size, 21_000)
  t.deepEqual(b.toJSON(), a.toJSON(), 'same state')
  t.equal(link.serverStream.error, undefined)
  t.equal(link.clientStream.error, undefined)
  await link.close()
  a.dispose()
  b.dispose()
})

test('a malformed binary frame destroys only that stream, with ERR_INVALID_FRAME', async (t) => {
  const a = new Model('a')
  const s = a.createStream(BIN)
  const err = new Promise<Error>((resolve) => s.once('error', resolve))
  s.write(JSON.stringify({ id: 'evil', clock: {}, codecs: ['gv-bin/1'] }) + '\n"gv-bin/1"\n')
  s.write(Buffer.from([2, 0x70, 0]))
  const e = await err as Error & { code?: string }
  t.equal(e.code, 'ERR_INVALID_FRAME')
  a.set('still', 'works')
  t.equal(a.get('still'), 'works')
  a.dispose()
})

interface SbModel {
  set (k: string, v: unknown): void
  get (k: string): unknown
  createStream (): NodeJS.ReadWriteStream
  dispose (): void
}
const SbModelCtor = require('scuttlebutt/model') as new (id?: string) => SbModel

test('a scuttlebutt@5 peer never sees binary from a grapevine stream that offers it', async (t) => {
  const ours = new Model('ours')
  const theirs = new SbModelCtor('theirs')
  for (let i = 0; i < 100; i++) ours.set(`k${i}`, i)
  theirs.set('from-sb', 'x')
  const s = ours.createStream(BIN)
  const seen = tapped(s, theirs.createStream())
  await until(() => theirs.get('k99') === 99 && ours.get('from-sb') === 'x')
  ours.set('live', 'y')
  await until(() => theirs.get('live') === 'y')
  const lines = Buffer.concat(seen.ab).toString('utf8').split('\n').filter((l) => l !== '')
  t.doesNotThrow(() => lines.forEach((l) => JSON.parse(l)), 'every byte we sent is a JSON line')
  t.notOk(lines.includes('"gv-bin/1"'), 'no switch announced')
  s.destroy()
  ours.dispose()
  theirs.dispose()
})

test('by default two grapevine streams offer gv-bin/1 and switch to binary frames', async (t) => {
  const a = new Model('a')
  const b = new Model('b')
  for (let i = 0; i < 200; i++) a.set(`k${i}`, `v${i}`)
  const sa = a.createStream()
  const sb = b.createStream()
  const seen = tapped(sa, sb)
  await Promise.all([waitSynced(sa), waitSynced(sb)])
  const lines = Buffer.concat(seen.ab).toString('latin1').split('\n')
  t.deepEqual(JSON.parse(lines[0] as string).codecs, ['gv-bin/1'], 'the header offers the codec')
  t.equal(lines[1], '"gv-bin/1"', 'the switch is announced')
  t.ok(sa.stats.bytesSent < 200 * 25, `history went in binary frames (${sa.stats.bytesSent} bytes for 200 updates)`)
  t.deepEqual(b.toJSON(), a.toJSON())
  sa.destroy()
  a.dispose()
  b.dispose()
})

test('a dump (createReadStream) stays JSON lines and offers no codec, so scuttlebutt or a person can read it', async (t) => {
  const a = new Model('a')
  for (let i = 0; i < 20; i++) a.set(`k${i}`, i)
  const chunks: Buffer[] = []
  const dump = a.createReadStream({ tail: false })
  dump.on('data', (c: Buffer) => chunks.push(c))
  await new Promise((resolve) => dump.once('end', resolve))
  const lines = Buffer.concat(chunks).toString('utf8').split('\n').filter((l) => l !== '')
  const values = lines.map((l) => JSON.parse(l) as unknown)
  t.equal((values[0] as { codecs?: unknown }).codecs, undefined, 'the header offers no codec')
  t.equal(values.length, 1 + 20 + 1, 'header, 20 updates, SYNC: all JSON lines')
  const b = new Model('b')
  const w = b.createWriteStream()
  w.end(Buffer.concat(chunks))
  await until(() => b.size === 20)
  t.deepEqual(b.toJSON(), a.toJSON(), 'the dump loads into a write stream (which offers the codec, harmlessly)')
  a.dispose()
  b.dispose()
})
