// Damage in a LevelDB store: LevelDB drops what it cannot read, silently; the ledger and LevelDB's LOG tell.
import test from 'tape'
import { readFileSync, readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { LevelStorage, Model, classicLevelDb, isGrapevineError, persist, sourceId, timestamp } from '../../index'
import type { GrapevineError, HealReport, StoreDamage, Update } from '../../index'
import { keyOf } from '../../lib/storage/level-db'
import { once, syncPair, until } from '../helpers/replicas'
import { makeUpdates, tempDir } from './conformance'

/** The newest write-ahead log of a LevelDB directory. */
function wal (dir: string): string {
  const logs = readdirSync(dir).filter((f) => f.endsWith('.log')).sort()
  return join(dir, logs[logs.length - 1] as string)
}

test('level: a WAL cut in half loses what LevelDB drops, and the ledger reports every record of it', async (t) => {
  const { dir, rm } = tempDir()
  const m = new Model('w')
  const p = await persist(m, await LevelStorage.open(dir), { compactRatio: false })
  for (let i = 0; i < 3_000; i++) m.set(`k${i}`, i) // group commit: one batch of 1, one of 2 999
  await p.flush()
  await p.close()
  const log = wal(dir)
  truncateSync(log, statSync(log).size >> 1)
  try {
    const s = await LevelStorage.open(dir, { onCorrupt: 'refuse' })
    t.fail('opened')
    await s.close()
  } catch (err) {
    t.ok(isGrapevineError(err, 'ERR_STORE_CORRUPT'), `refused: ${String(err)}`)
  }
  const back = new Model('w')
  const p2 = await persist(back, await LevelStorage.open(dir), { compactRatio: false })
  const corrupt = await once<GrapevineError>(p2, 'corrupt')
  const d = corrupt.details as unknown as StoreDamage
  t.comment(`before (measured on main): 1 of 3 000 survived, open() silent; now: ${back.size} of 3 000 survive (LevelDB dropped the rest), ERR_STORE_CORRUPT with at least ${d.recordsLost} records lost`)
  t.equal(back.size, 1, 'LevelDB kept only the first batch: that cannot be undone')
  t.equal(d.recordsLost, 2_999, 'every lost record is counted')
  t.deepEqual(d.missing?.map((x) => [x.source, x.records]), [['w', 2_999]], 'by source')
  t.ok((d.missing?.[0]?.newestStored as number) < (d.missing?.[0]?.newestExpected as number), 'its newest records are the ones lost')
  t.deepEqual(d.affected, [], 'a cut loses a tail per source, no hole: nothing to hold back')
  back.set('after', 1)
  t.ok((back.getClock().w as number) > (d.missing?.[0]?.newestExpected as number), 'new writes are past the lost ones (the clock mark)')
  await p2.close()
  rm()
})

test('level: a flipped bit mid-WAL drops a block but keeps later batches; reported, held back, and a peer fills the hole', async (t) => {
  const { dir, rm } = tempDir()
  const a = new Model('a')
  const b = new Model('b')
  const p = await persist(a, await LevelStorage.open(dir), { compactRatio: false })
  const d1 = await syncPair(a, b)
  for (let i = 0; i < 2_000; i++) {
    b.set(`b${i}`, i)
    if (i % 10 === 9) {
      await until(() => a.get(`b${i}`) === i)
      await p.flush() // many small batches, each on the disk
    }
  }
  d1()
  await d1.closed
  await p.close()
  a.dispose()
  const log = wal(dir)
  const bytes = readFileSync(log)
  bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] as number) ^ 8
  writeFileSync(log, bytes)
  const a2 = new Model('a')
  const p2 = await persist(a2, await LevelStorage.open(dir))
  const corrupt = await once<GrapevineError>(p2, 'corrupt')
  const d = corrupt.details as unknown as StoreDamage
  t.comment(`LevelDB dropped ${d.bytesSkipped} bytes (its LOG says), ${d.recordsLost} records lost, ${d.recordsKept} kept`)
  t.ok(d.ranges.length > 0 && d.bytesSkipped > 0, 'the bytes LevelDB dropped, from its LOG')
  t.ok(d.recordsLost > 0 && d.recordsLost < 2_000, 'the lost records counted by the ledger')
  t.deepEqual(d.affected.map((x) => [x.source, x.intactTo]), [['b', 0]], 'where the hole is is unknown: none of b is certain')
  t.equal(a2.size, 0, 'so b is held back entirely')
  t.equal(p2.heldBack, d.recordsKept)
  const healed = once<HealReport>(p2, 'healed')
  const d2 = await syncPair(a2, b)
  t.deepEqual((await healed).filled, ['b'])
  t.deepEqual(a2.toJSON(), b.toJSON(), 'the peer filled the hole')
  d2()
  await d2.closed
  await p2.close() // waits for the compaction that follows the heal
  const s = await LevelStorage.open(dir)
  t.equal(s.damage, undefined, 'not reported again')
  t.equal((await s.load()).updates.length, 2_000)
  await s.close()
  rm()
})

test('level: damaged tables are repaired by LevelDB or caught by the value checksums: records dropped, never misread', async (t) => {
  const ups: Update[] = makeUpdates(1_000, ['x', 'y']).map((u, i) => [[`k${i}`, `v${'w'.repeat(i % 7)}${i}`], u[1], u[2]])
  const want = new Map(ups.map((u) => [JSON.stringify(u), u]))
  let reported = 0
  for (const at of [0.1, 0.3, 0.5, 0.7, 0.9]) {
    const { dir, rm } = tempDir()
    let s = await LevelStorage.open(dir)
    for (let i = 0; i < ups.length; i += 10) await s.append(ups.slice(i, i + 10))
    await s.close()
    await (await LevelStorage.open(dir)).close() // LevelDB moves the WAL into a table
    const table = readdirSync(dir).find((f) => f.endsWith('.ldb'))
    t.ok(table !== undefined, 'a table file')
    const file = join(dir, table as string)
    const bytes = readFileSync(file)
    bytes[Math.floor(bytes.length * at)] = (bytes[Math.floor(bytes.length * at)] as number) ^ 8
    writeFileSync(file, bytes)
    s = await LevelStorage.open(dir)
    const got = await s.load()
    const misread = got.updates.filter((u) => !want.has(JSON.stringify(u)))
    t.equal(misread.length, 0, `flip at ${at}: nothing misread`)
    if (got.updates.length < ups.length) {
      reported++
      t.ok(got.damage !== undefined && got.damage.recordsLost >= ups.length - got.updates.length,
        `flip at ${at}: ${ups.length - got.updates.length} lost, reported (${got.damage?.recordsLost ?? 0}${got.damage?.repaired === true ? ', LevelDB repaired its tables' : ''})`)
    }
    await s.close()
    rm()
  }
  t.ok(reported >= 3, `most flips lost records, each was reported (${reported} of 5)`)
})

test('level: a damaged MANIFEST is repaired by LevelDB and reported, or refused', async (t) => {
  const { dir, rm } = tempDir()
  let s = await LevelStorage.open(dir)
  for (let i = 0; i < 50; i++) await s.append(makeUpdates(10, ['x'], 10, 1_700_000_000_000 + i * 10))
  await s.close()
  await (await LevelStorage.open(dir)).close()
  const manifest = join(dir, readdirSync(dir).find((f) => f.startsWith('MANIFEST')) as string)
  const bytes = readFileSync(manifest)
  bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] as number) ^ 8
  writeFileSync(manifest, bytes)
  try {
    s = await LevelStorage.open(dir, { onCorrupt: 'refuse' })
    t.fail('opened')
    await s.close()
  } catch (err) {
    t.ok(isGrapevineError(err, 'ERR_STORE_CORRUPT'), String(err))
  }
  s = await LevelStorage.open(dir)
  t.equal((await s.load()).updates.length, 500, 'every record back')
  t.equal(s.damage?.repaired, true, 'reported as repaired')
  t.equal(s.damage?.recordsLost, 0, 'with nothing lost, as the ledger says')
  await s.close()
  rm()
})

test('level: values written before checksums existed still read', async (t) => {
  const { dir, rm } = tempDir()
  const ups = makeUpdates(5)
  const db = classicLevelDb(dir)
  await db.open()
  await db.batch(ups.map((u) => ({ type: 'put' as const, key: keyOf(u), value: JSON.stringify(u) })), { sync: true })
  await db.close()
  const s = await LevelStorage.open(dir)
  t.deepEqual((await s.load()).updates, ups)
  t.equal(s.damage, undefined)
  await s.close()
  rm()
})

test('level: reopening, compacting and a torn ledger copy never report damage', async (t) => {
  const { dir, rm } = tempDir()
  const m = new Model('m')
  for (let round = 0; round < 4; round++) {
    const s = await LevelStorage.open(dir)
    t.equal(s.damage, undefined, `open ${round + 1}: no damage`)
    const p = await persist(m, s, { compactMin: 20, compactRatio: 2 })
    for (let i = 0; i < 60; i++) m.set(`k${i % 7}`, [round, i])
    m.receive([['peer', round], timestamp(Date.now() - 1000 + round), sourceId('other')])
    await p.flush()
    if (round === 2) await p.compact()
    await p.close()
  }
  // Tear the newer ledger copy: the older one is used, which can only under-count.
  const copies = ['GRAPEVINE-LEDGER.0', 'GRAPEVINE-LEDGER.1'].map((f) => join(dir, f))
  const newer = copies.sort((x, y) => statSync(y).mtimeMs - statSync(x).mtimeMs)[0] as string
  truncateSync(newer, 5)
  const s = await LevelStorage.open(dir)
  t.equal(s.damage, undefined, 'after a torn ledger copy: no damage')
  await s.close()
  rm()
})
