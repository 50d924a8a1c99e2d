import test from 'tape'
import { cpSync, createReadStream, createWriteStream, rmSync } from 'node:fs'
import { join } from 'node:path'
import { LevelStorage, LogStorage, Model, VectorClock, classicLevelDb, connect, generateKeyPair, isGrapevineError, persist, realFs, sourceId, timestamp, trust } from '../../index'
import type { FsLayer, LevelOp, Storage } from '../../index'
import { once, syncPair, tick, until } from '../helpers/replicas'
import { tempDir } from './conformance'
import { fullableFs } from './faults'

const adapters: Array<[string, (dir: string) => Promise<Storage>]> = [
  ['log', (dir) => LogStorage.open(dir, { fsync: 'always' })],
  ['level', (dir) => LevelStorage.open(dir)]
]

test('an update is stored before any subscriber or stream sees it', async (t) => {
  const { dir, rm } = tempDir()
  const a = new Model('a')
  const b = new Model('b')
  const storage = await LogStorage.open(dir, { fsync: 'never' })
  const seen: boolean[] = []
  // Subscribed before persist(): write-ahead hooks still run first.
  a.subscribe(() => { seen.push(storage.stats.records === seen.length + 1) })
  const p = await persist(a, storage)
  const d = await syncPair(a, b)
  a.set('x', 1)
  a.receive([['y', 2], timestamp(Date.now()), sourceId('c')], undefined)
  a.set('z', 3)
  await until(() => b.get('y') === 2 && b.get('z') === 3)
  t.deepEqual(seen, [true, true, true], 'the store held each update when the listener ran')
  d()
  await p.close()
  rm()
})

test('a local write the store cannot take throws ERR_DISK_FULL and is not sent to peers', async (t) => {
  const { dir, rm } = tempDir()
  const full = { on: false }
  const a = new Model('a')
  const b = new Model('b')
  const p = await persist(a, await LogStorage.open(dir, { fsync: 'never', fs: fullableFs(full) }))
  const d = await syncPair(a, b)
  full.on = true
  t.throws(() => a.set('x', 1), (err: unknown) => isGrapevineError(err, 'ERR_DISK_FULL'))
  full.on = false
  a.set('y', 2)
  await until(() => b.get('y') === 2)
  t.notOk(b.has('x'), 'the unstored write never went out on the live stream')
  d()
  await p.close()
  const back = new Model('a')
  const p2 = await persist(back, await LogStorage.open(dir))
  t.deepEqual(back.toJSON(), { x: 1, y: 2 }, 'it was stored with the next write, in order')
  await p2.close()
  rm()
})

test('a peer update the store cannot take is an error on the handle; the stream lives', async (t) => {
  const { dir, rm } = tempDir()
  const full = { on: false }
  const a = new Model('a')
  const b = new Model('b')
  const p = await persist(a, await LogStorage.open(dir, { fsync: 'never', fs: fullableFs(full) }))
  const errors: unknown[] = []
  p.on('error', (err) => errors.push(err))
  const d = await syncPair(a, b)
  full.on = true
  b.set('k', 1)
  await until(() => a.get('k') === 1)
  t.ok(isGrapevineError(errors[0], 'ERR_DISK_FULL'), 'coded error on the handle')
  full.on = false
  b.set('k2', 2)
  await until(() => a.get('k2') === 2)
  t.notOk(d.a.destroyed, 'stream still open')
  d()
  await p.close()
  const back = new Model('a')
  const p2 = await persist(back, await LogStorage.open(dir))
  t.deepEqual(back.toJSON(), { k: 1, k2: 2 }, 'both stored, in order')
  await p2.close()
  rm()
})

for (const [name, open] of adapters) {
  test(`${name}: after a restart, reconnecting to a peer that moved on sends only the missing updates`, async (t) => {
    const { dir, rm } = tempDir()
    const a = new Model('a')
    const b = new Model('b')
    const p = await persist(a, await open(dir))
    for (let i = 0; i < 100; i++) a.set(`a${i}`, i)
    for (let i = 0; i < 50; i++) b.set(`b${i}`, i)
    const d1 = await syncPair(a, b)
    d1()
    await d1.closed
    a.dispose()
    await p.close()
    for (let i = 0; i < 7; i++) b.set(`late${i}`, i) // the peer moves on while we are down
    const a2 = new Model('a')
    const p2 = await persist(a2, await open(dir))
    t.equal(a2.size, 150, 'state back from disk')
    for (let i = 0; i < 3; i++) a2.set(`new${i}`, i)
    const d2 = await syncPair(a2, b)
    t.equal(d2.b.stats.updatesSent, 7, 'the peer sent only its 7 new updates')
    t.equal(d2.a.stats.updatesSent, 3, 'we sent only our 3 new updates')
    t.deepEqual(a2.toJSON(), b.toJSON(), 'converged')
    d2()
    await d2.closed
    await p2.close()
    rm()
  })

  test(`${name}: after restoring an old backup, new writes are not mistaken for old ones`, async (t) => {
    const { dir: root, rm } = tempDir()
    const dir = join(root, 'live')
    const backup = join(root, 'backup')
    const wall = 1_700_000_000_000
    const frozen = (): number => wall // a clock that never moves: the worst case for reuse
    const a = new Model({ id: 'a', now: frozen })
    const b = new Model('b')
    const p = await persist(a, await open(dir))
    for (let i = 0; i < 10; i++) a.set(`k${i}`, i)
    await p.close()
    cpSync(dir, backup, { recursive: true })
    const p1 = await persist(a, await open(dir))
    for (let i = 10; i < 20; i++) a.set(`k${i}`, i)
    const d1 = await syncPair(a, b)
    d1()
    await d1.closed
    await p1.close()
    a.dispose()
    rmSync(dir, { recursive: true })
    cpSync(backup, dir, { recursive: true }) // the disk is lost; the old backup comes back
    const a2 = new Model({ id: 'a', now: frozen })
    const p2 = await persist(a2, await open(dir))
    t.equal(a2.size, 10, 'the backup holds only the first ten writes')
    // The peer only listens, so the header alone must move our clock on.
    const d2 = connect(a2, b, { b: { readable: false } })
    await once(d2.a, 'header')
    a2.set('after', true)
    await until(() => b.get('after') === true, 2000, 'the new write at the peer')
    t.equal(b.counters.old, 0, 'the peer took it as new, not as a replay')
    d2()
    await p2.close()
    rm()
  })
}

test('level: a crash before the batch lands cannot make the replica reuse a timestamp a peer saw', async (t) => {
  const { dir, rm } = tempDir()
  const wall = 1_700_000_000_000
  const frozen = (): number => wall
  const full = { on: false }
  const failing = await LevelStorage.open(dir, {
    createDb: (loc) => {
      const real = classicLevelDb(loc)
      return {
        ...real,
        batch: async (ops: LevelOp[], o) => { if (full.on) throw new Error('IO error: No space left on device'); await real.batch(ops, o) }
      }
    }
  })
  const a = new Model({ id: 'a', now: frozen })
  const b = new Model('b')
  const p = await persist(a, failing)
  p.on('error', () => {})
  const d = await syncPair(a, b)
  full.on = true // the batch never lands: as if the process died before LevelDB wrote it
  a.set('seen', 1)
  await until(() => b.get('seen') === 1)
  d()
  await d.closed
  await failing.close().catch(() => {}) // still failing: the update never reaches LevelDB
  a.dispose()
  const a2 = new Model({ id: 'a', now: frozen })
  const p2 = await persist(a2, await LevelStorage.open(dir))
  const reopened = a2.getClock().a ?? 0
  t.ok(reopened < (b.getClock().a as number), 'the store lags what the peer saw')
  a2.set('later', 2)
  t.ok((a2.getClock().a as number) > (b.getClock().a as number), 'the next timestamp is past the one the peer saw')
  await p2.close()
  rm()
})

for (const [name, open] of adapters) {
  test(`${name}: auto-compaction shrinks a store that outgrew the live state, while writes keep coming`, async (t) => {
    const { dir, rm } = tempDir()
    const m = new Model('m')
    const p = await persist(m, await open(dir), { compactMin: 50, compactRatio: 2 })
    let compactions = 0
    p.on('compact', () => { compactions++ })
    // Never a quiet moment: a compaction must not wait for one.
    for (let i = 0; compactions < 3; i++) {
      if (i > 20_000) { t.fail('no compaction under a steady write load'); break }
      m.set(`k${i % 5}`, i)
      if (i % 10 === 0) await p.flush()
    }
    await p.flush()
    t.ok(p.storage.stats.records < 120, `store holds ${p.storage.stats.records} records after ${compactions} compactions`)
    await p.close()
    const back = new Model('m')
    const p2 = await persist(back, await open(dir))
    t.deepEqual(back.toJSON(), m.toJSON())
    t.deepEqual(back.getClock(), m.getClock())
    await p2.close()
    rm()
  })
}

test('persist refuses a replica that already has streams', async (t) => {
  const { dir, rm } = tempDir()
  const m = new Model('m')
  const s = m.createStream()
  const storage = await LogStorage.open(dir)
  try {
    await persist(m, storage)
    t.fail('accepted')
  } catch (err) {
    t.ok(isGrapevineError(err, 'ERR_INVALID_ARGUMENT'))
  }
  s.destroy()
  const again = await LogStorage.open(dir)
  t.pass('and released the store it was given')
  await again.close()
  rm()
})

test('the scuttlebutt way: a read stream dumped to a file and written back reproduces the replica', async (t) => {
  const { dir, rm } = tempDir()
  const a = new Model('a')
  for (let i = 0; i < 300; i++) a.set(`k${i % 120}`, { i })
  a.delete('k3')
  const file = join(dir + '.dump')
  const out = createWriteStream(file)
  a.createReadStream({ tail: false }).pipe(out)
  await once(out, 'finish')
  const b = new Model('b')
  const p = await persist(b, await LogStorage.open(dir))
  const w = b.createWriteStream()
  createReadStream(file).pipe(w)
  await once(w, 'synced')
  t.deepEqual(b.toJSON(), a.toJSON(), 'same state')
  t.deepEqual(b.getClock(), a.getClock(), 'same clock')
  await tick(10)
  w.destroy()
  await p.close()
  const c = new Model('c')
  const p2 = await persist(c, await LogStorage.open(dir))
  t.deepEqual(c.toJSON(), a.toJSON(), 'and the persisted copy reopens the same')
  await p2.close()
  rm()
  rmSync(file, { force: true })
})

test('writes made before persist() are stored too', async (t) => {
  const { dir, rm } = tempDir()
  const m = new Model('m')
  m.set('early', 1)
  const p = await persist(m, await LogStorage.open(dir))
  m.set('late', 2)
  await p.close()
  const back = new Model('m')
  const p2 = await persist(back, await LogStorage.open(dir))
  t.deepEqual(back.toJSON(), { early: 1, late: 2 })
  await p2.close()
  rm()
})

test('signed updates keep their signatures through the store and still verify at a peer', async (t) => {
  const { dir, rm } = tempDir()
  const keyPair = generateKeyPair()
  const a = new Model({ ...trust({ keyPair, docId: 'doc' }) })
  const p = await persist(a, await LogStorage.open(dir))
  a.set('x', 1).set('y', 2)
  await p.close()
  const again = new Model({ ...trust({ keyPair, docId: 'doc' }) })
  const p2 = await persist(again, await LogStorage.open(dir))
  t.ok([...again.history(new VectorClock())].every((u) => u.length === 4), 'signature at index 3 kept')
  const verifier = new Model({ ...trust({ docId: 'doc', allow: [again.id] }) })
  const d = await syncPair(again, verifier)
  t.deepEqual(verifier.toJSON(), { x: 1, y: 2 }, 'the restored updates verify')
  t.equal(d.b.stats.rejected, 0)
  d()
  await p2.close()
  rm()
})

test('a compaction that fails is an error on the handle, retried only after the store grows again', async (t) => {
  const { dir, rm } = tempDir()
  const noSnapshots: FsLayer = {
    ...realFs,
    openSync: (path, flags, mode) => {
      if (String(path).endsWith('snapshot.tmp')) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })
      return realFs.openSync(path, flags, mode)
    }
  }
  const m = new Model('m')
  const p = await persist(m, await LogStorage.open(dir, { fsync: 'never', fs: noSnapshots }), { compactMin: 20, compactRatio: 2 })
  const errors: unknown[] = []
  p.on('error', (err) => errors.push(err))
  for (let i = 0; i < 200; i++) {
    m.set(`k${i % 3}`, i)
    await tick(0)
  }
  t.ok(errors.length >= 1 && isGrapevineError(errors[0], 'ERR_DISK_FULL'), 'the failed compaction is reported')
  t.ok(errors.length <= 5, `and not retried on every write (${errors.length} attempts for 200 writes)`)
  await p.close()
  const back = new Model('m')
  const p2 = await persist(back, await LogStorage.open(dir))
  t.deepEqual(back.toJSON(), m.toJSON(), 'the log still holds everything')
  await p2.close()
  rm()
})
