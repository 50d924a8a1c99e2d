import test from 'tape'
import { Bucket } from '../../lib/bucket/bucket'
import { GrapevineError } from '../../lib/errors/grapevine-error'
import { Model } from '../../lib/models/model'
import { dial } from '../../lib/net/serve'
import { openSocket } from '../../lib/net/transports'
import { connectRelays } from '../../lib/redis/client'
import { docKeys } from '../../lib/redis/entries'
import { makeCert } from '../helpers/certs'
import { once, until } from '../helpers/replicas'
import { client, closeAll, freshPrefix, redisFor, relays } from './fixtures'
import { RedisServer } from './redis-server'

// Relays in this process, a real redis-server of the test's own: what a
// client sees through one relay of writes made through another.

test('a client of any relay sees every write made through any other, over tcp, tls and ws, and each writer is acknowledged', async (t) => {
  const redis = await redisFor(t, test)
  const cert = makeCert()
  if (cert === undefined) throw new Error('no way to make a test certificate')
  const prefix = freshPrefix()
  const [r0] = await relays(redis, 1, { prefix })
  const [r1] = await relays(redis, 1, { prefix, listen: ['tls://127.0.0.1:0'], net: { tls: { key: cert.key, cert: cert.cert } } })
  const [r2] = await relays(redis, 1, { prefix, listen: ['ws://127.0.0.1:0/gv'] })
  const rs = [r0, r1, r2].map((r) => r as NonNullable<typeof r>)
  const cs = rs.map((r, i) => client(`c${i}`, [r.servers[0]?.address as string], { tls: { ca: cert.cert } }))
  try {
    cs.forEach((c, i) => c.model.set(`from${i}`, i))
    await until(() => cs.every((c) => c.model.size === 3), 10_000, 'every client holds every write')
    t.pass('every client holds the three writes')
    for (const r of rs) t.deepEqual(r.document<Model>()?.toJSON(), { from0: 0, from1: 1, from2: 2 }, `relay on ${r.servers[0]?.address.split(':')[0] ?? ''} holds them`)
    await until(() => cs.every((c, i) => c.client.isDurable([['from' + i, i], c.model.clock.get(c.model.id), c.model.id] as never)), 10_000, 'acks')
    t.pass('each writer was told its write is in Redis')
  } finally {
    await closeAll(rs, cs.map((c) => c.client))
  }
})

test('a client that moves to another relay receives only what it missed and sends nothing the relay has', async (t) => {
  const redis = await redisFor(t, test)
  const rs = await relays(redis, 2)
  const [r0, r1] = rs as [NonNullable<typeof rs[0]>, NonNullable<typeof rs[0]>]
  const a = client('a', [r0.servers[0]?.address as string])
  const b = client('b', [r1.servers[0]?.address as string])
  try {
    for (let i = 0; i < 10; i++) a.model.set(`a${i}`, i)
    await until(() => b.model.size === 10, 10_000, 'b has a\'s writes')
    a.client.close()
    await until(() => a.client.link === undefined, 5000, 'a is off')
    for (let i = 0; i < 5; i++) b.model.set(`b${i}`, i)
    await until(() => r1.document<Model>()?.size === 15 && r0.document<Model>()?.size === 15, 10_000, 'both relays have b\'s writes')
    const l = await dial(a.model, r1.servers[0]?.address as string)
    await once(l.stream, 'synced')
    t.equal(l.stream.stats.updatesReceived, 5, 'a received the 5 updates it missed, nothing else')
    t.equal(l.stream.stats.updatesSent, 0, 'a sent nothing: the other relay already had its writes')
    l.close()
  } finally {
    await closeAll(rs, [a.client, b.client])
  }
})

test('bucket relays load a document when a client names it, and share each document across relays', async (t) => {
  const redis = await redisFor(t, test)
  const rs = await relays(redis, 2, { bucket: true })
  const [r0, r1] = rs as [NonNullable<typeof rs[0]>, NonNullable<typeof rs[0]>]
  const A = new Bucket('A').add('x', new Model('ax')).add('y', new Model('ay'))
  const B = new Bucket('B').add('y', new Model('by')).add('z', new Model('bz'))
  const ca = connectRelays(A, [r0.servers[0]?.address as string], { baseMs: 20 })
  const cb = connectRelays(B, [r1.servers[0]?.address as string], { baseMs: 20 })
  const m = (b: Bucket, n: string): Model => b.get<Model>(n) as Model
  try {
    m(A, 'x').set('k', 'ax')
    m(A, 'y').set('fromA', 1)
    m(B, 'y').set('fromB', 2)
    m(B, 'z').set('k', 'bz')
    await until(() => m(A, 'y').size === 2 && m(B, 'y').size === 2, 10_000, 'the shared document converges')
    t.deepEqual(m(A, 'y').toJSON(), { fromA: 1, fromB: 2 }, 'A sees B\'s write to y')
    t.deepEqual(m(B, 'y').toJSON(), { fromA: 1, fromB: 2 }, 'B sees A\'s write to y')
    t.deepEqual([...r0.documents.entries()].map(([n]) => n).sort(), ['x', 'y'], 'relay 0 holds only what its client named')
    t.deepEqual([...r1.documents.entries()].map(([n]) => n).sort(), ['y', 'z'], 'relay 1 holds only what its client named')
    await until(() => Object.keys(ca.durable('y')).length > 0 && Object.keys(ca.durable('x')).length > 0, 10_000, 'acks per document')
    t.pass('acknowledgements name their document')
  } finally {
    await closeAll(rs, [ca, cb])
  }
})

test('compaction bounds a hot document\'s log in Redis; a new relay catches up from the snapshot plus the tail', async (t) => {
  const redis = await redisFor(t, test)
  const prefix = freshPrefix()
  const rs = await relays(redis, 2, { prefix, compactMin: 500 })
  const a = client('hot', [rs[0]?.servers[0]?.address as string])
  const keys = docKeys(prefix, 'default')
  const compactions: number[] = []
  for (const r of rs) r.on('compact', (_d: string, n: number) => compactions.push(n))
  try {
    const writes = 6000
    for (let i = 0; i < writes; i++) {
      a.model.set(`k${i % 20}`, i)
      if (i % 500 === 499) await until(() => (rs[1]?.document<Model>()?.get(`k${i % 20}`) ?? -1) === i, 10_000, 'relay 1 follows')
    }
    await until(() => compactions.length >= 3, 10_000, 'compactions')
    const cmd = (args: string[]): Promise<unknown> => (rs[0] as NonNullable<typeof rs[0]>).backend.command(args)
    const total = Number(await cmd(['HGET', keys.meta, 'total']))
    const snapTotal = Number(await cmd(['HGET', keys.snap, 'total']))
    const logBytes = Number(await cmd(['MEMORY', 'USAGE', keys.log]))
    // A writer whose stream falls behind sends only the latest update of each key, so total <= writes.
    t.ok(total > writes / 2, `the writes went through Redis (${total} updates appended)`)
    t.ok(total - snapTotal <= 2 * 500 + 2048, `the log after the snapshot holds ${total - snapTotal} updates, not ${total}`)
    t.comment(`log ${logBytes} bytes after ${writes} writes to 20 keys; ${compactions.length} compactions (snapshots of ${compactions.join(', ')} updates)`)
    t.ok(compactions.every((n) => n === 20), 'each snapshot holds the live state (20 keys)')
    const [late] = await relays(redis, 1, { prefix, compactMin: 500 })
    const held = late?.documents.get('default')
    t.equal(held?.doc.counts.snapshots, 1, 'the new relay loaded the snapshot')
    t.ok((held?.doc.counts.updates ?? Infinity) < writes / 2, `then read only the tail (${held?.doc.counts.updates ?? -1} updates)`)
    t.deepEqual(late?.document<Model>()?.toJSON(), rs[0]?.document<Model>()?.toJSON(), 'and holds the same state')
    if (late !== undefined) rs.push(late)
  } finally {
    await closeAll(rs, [a.client])
  }
})

test('with Redis down relays serve what they hold, report ERR_BACKEND and refuse writes; after a restart nothing acknowledged is lost', async (t) => {
  const own = await RedisServer.start({ appendfsync: 'always' }).catch((err: Error) => { t.fail(err.message); throw err })
  const rs = await relays(own, 2)
  const [r0, r1] = rs as [NonNullable<typeof rs[0]>, NonNullable<typeof rs[0]>]
  const codes: string[] = []
  for (const r of rs) r.on('error', (e: GrapevineError) => codes.push(e.code))
  const a = client('writer', [r0.servers[0]?.address as string])
  const c = client('reader', [r1.servers[0]?.address as string])
  const backend: boolean[] = []
  a.client.on('backend', (up: boolean) => backend.push(up))
  try {
    a.model.set('before', 1)
    await until(() => c.model.get('before') === 1 && a.client.isDurable(lastOf(a.model)), 10_000, 'before is stored')
    const down = Promise.all(rs.map((r) => once(r, 'down', 10_000)))
    await own.kill()
    const errs = await down as Array<[GrapevineError] | GrapevineError>
    t.ok(errs.every((e) => (Array.isArray(e) ? e[0] : e).code === 'ERR_BACKEND'), 'both relays report ERR_BACKEND')
    await until(() => backend.includes(false), 5000, 'the writer is told')
    t.pass('the relay told its client Redis is down')

    const late = client('late', [r1.servers[0]?.address as string])
    await until(() => late.model.get('before') === 1, 5000, 'a new client is served')
    t.pass('a client connecting during the outage gets what the relay holds')

    a.model.set('during', 2)
    const during = lastOf(a.model)
    await once(a.client, 'disconnect', 5000)
    t.pass('the write is refused: its connection is closed, the writer keeps it')
    t.notOk(a.client.isDurable(during), 'not acknowledged')
    t.equal(c.model.get('during'), undefined, 'and not forwarded')

    await own.boot()
    await until(() => a.client.isDurable(during), 15_000, 'the write is stored after the restart')
    await until(() => c.model.get('during') === 2 && late.model.get('during') === 2, 10_000, 'readers get it')
    t.pass('after Redis restarted the writer resent it, it was stored and forwarded')
    const [fresh] = await relays(own, 1, { prefix: (r0 as unknown as { opts: { prefix: string } }).opts.prefix })
    t.deepEqual(fresh?.document<Model>()?.toJSON(), { before: 1, during: 2 }, 'a relay started from Redis alone holds both writes')
    if (fresh !== undefined) rs.push(fresh)
    late.client.close()
    t.ok(codes.includes('ERR_BACKEND'), 'relays reported ERR_BACKEND as an error too')
  } finally {
    await closeAll(rs, [a.client, c.client])
    await own.destroy()
  }
})

test('an update the data type refuses is stored, then applied by no relay and reported on the stream that sent it', async (t) => {
  const redis = await redisFor(t, test)
  const rs = await relays(redis, 2)
  const [r0, r1] = rs as [NonNullable<typeof rs[0]>, NonNullable<typeof rs[0]>]
  const errors: string[] = []
  r1.on('error', (e: GrapevineError) => errors.push(e.code))
  const sock = await openSocket(r0.servers[0]?.address as string)
  const b = client('b', [r1.servers[0]?.address as string])
  try {
    await until(() => (r0.servers[0]?.links.size ?? 0) === 1, 5000, 'the raw link')
    const relayStream = [...(r0.servers[0]?.links ?? [])][0]?.stream
    const seen = relayStream !== undefined ? once<GrapevineError>(relayStream, 'invalid', 10_000) : Promise.reject(new Error('no stream'))
    sock.write(JSON.stringify({ id: 'raw', clock: {} }) + '\n')
    sock.write(JSON.stringify([42, Date.now(), 'raw']) + '\n') // a Model change must be [key, value]
    sock.write(JSON.stringify([['ok', 1], Date.now() + 1, 'raw']) + '\n')
    const err = await seen
    t.equal(err.code, 'ERR_INVALID_UPDATE', 'the sender\'s stream gets ERR_INVALID_UPDATE')
    await until(() => b.model.get('ok') === 1, 10_000, 'the good update')
    t.deepEqual(r0.document<Model>()?.toJSON(), { ok: 1 }, 'the refused update changed nothing on its relay')
    t.deepEqual(r1.document<Model>()?.toJSON(), { ok: 1 }, 'nor on another relay')
    t.equal(r0.snapshotStats().invalid, 1, 'counted')
    t.ok(errors.includes('ERR_INVALID_UPDATE'), 'the other relay reports it too')
  } finally {
    sock.destroy()
    await closeAll(rs, [b.client])
  }
})

test('when Redis loses a document\'s batches, the relays notice the numbering going back and store what they hold as its snapshot', async (t) => {
  const redis = await redisFor(t, test)
  const prefix = freshPrefix()
  const rs = await relays(redis, 2, { prefix })
  const a = client('a', [rs[0]?.servers[0]?.address as string])
  const lost: string[] = []
  for (const r of rs) r.on('error', (e: GrapevineError) => { if (e.details.kind === 'lost') lost.push(e.code) })
  try {
    for (let i = 0; i < 20; i++) a.model.set(`k${i}`, i)
    await until(() => rs.every((r) => r.document<Model>()?.size === 20), 10_000, 'stored and read by both')
    // What a Redis crash without fsync does to the document: its newest batches are gone.
    const keys = docKeys(prefix, 'default')
    await rs[0]?.backend.command(['DEL', keys.log, keys.meta])
    a.model.set('after', 1)
    await until(() => lost.length > 0, 10_000, 'the loss is noticed')
    t.ok(lost.every((c) => c === 'ERR_BACKEND'), 'reported as ERR_BACKEND (kind lost)')
    // Appending the lost updates again would not do: a reader would skip them as older than 'after'.
    let stored = 0
    await until(() => {
      void rs[0]?.backend.command(['HGET', keys.snap, 'seq']).then((n) => { stored = Number(n) })
      return stored >= 1
    }, 10_000, 'a snapshot of the relay\'s state')
    const [fresh] = await relays(redis, 1, { prefix })
    t.equal(fresh?.document<Model>()?.size, 21, 'a relay started from Redis alone holds all 21 keys again')
    if (fresh !== undefined) rs.push(fresh)
  } finally {
    await closeAll(rs, [a.client])
  }
})

function lastOf (m: Model): never {
  return [undefined, m.clock.get(m.id), m.id] as never
}
