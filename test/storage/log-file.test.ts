// Behaviour of the log store's files: framing, torn tails, locks, compaction crashes, a real full disk.
import test from 'tape'
import fc from 'fast-check'
import { execFileSync } from 'node:child_process'
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { LogStorage, compareUpdates, isGrapevineError, realFs, sourceId, timestamp } from '../../index'
import type { FsLayer, FsyncPolicy, Update } from '../../index'
import { tick } from '../helpers/replicas'
import { crc32, crc32Fallback, encodeJSON, encodeRecord } from '../../lib/storage/frame'
import { makeUpdates, tempDir } from './conformance'
import { fullableFs } from './faults'

const SEED = process.env.SEED !== undefined ? Number(process.env.SEED) : Date.now() % 2 ** 31

test('the table crc32 agrees with node:zlib and the IEEE check value', (t) => {
  const check = Buffer.from('123456789')
  t.equal(crc32Fallback(check), 0xCBF43926)
  t.equal(crc32(check), 0xCBF43926)
  const buf = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7919) & 0xFF))
  t.equal(crc32Fallback(buf.subarray(500), crc32Fallback(buf.subarray(0, 500))), crc32(buf), 'continuation works')
  t.end()
})

test('a log cut at any offset recovers exactly the whole records before the cut, silently', async (t) => {
  const update = fc.tuple(fc.string({ maxLength: 40 }), fc.jsonValue({ maxDepth: 2 }))
  // Memory-backed when possible: this checks framing logic, not the disk, and runs 150 stores.
  const { dir: root, rm } = tempDir('gv-torn-', existsSync('/dev/shm') ? '/dev/shm' : undefined)
  let run = 0
  try {
    await fc.assert(fc.asyncProperty(fc.array(update, { minLength: 1, maxLength: 25 }), fc.double({ min: 0, max: 1, noNaN: true }), async (changes, where) => {
      const dir = join(root, String(run++))
      const ups: Update[] = changes.map(([k, v], i) => [[k, v], timestamp(1_700_000_000_000 + i), sourceId('s')])
      const s = await LogStorage.open(dir, { fsync: 'never' })
      for (const u of ups) await s.append([u])
      await s.close()
      const file = join(dir, 'log')
      const bytes = readFileSync(file)
      const ends: number[] = []
      let off = 0
      for (const u of ups) { off += encodeJSON(u).length; ends.push(off) }
      const at = Math.floor(where * bytes.length)
      writeFileSync(file, bytes.subarray(0, at))
      const whole = ends.filter((e) => e <= at).length
      const back = await LogStorage.open(dir, { fsync: 'never', onCorrupt: 'refuse' })
      const got = await back.load()
      await back.close()
      if (JSON.stringify(got.updates) !== JSON.stringify(ups.slice(0, whole))) {
        throw new Error(`cut at ${at} of ${bytes.length}: got ${got.updates.length} records, expected ${whole}`)
      }
      if (got.damage !== undefined || back.damage !== undefined) throw new Error('a torn tail was reported as damage')
      if (statSync(file).size !== (whole === 0 ? 0 : ends[whole - 1])) throw new Error('torn tail not cut off the file')
    }), { seed: SEED, numRuns: 150 })
    t.pass(`150 torn logs recovered (SEED=${SEED})`)
  } catch (err) {
    t.fail(`SEED=${SEED}: ${String(err)}`)
  } finally {
    rm()
  }
})

test('a lock left by a killed process is taken over', async (t) => {
  const { dir, rm } = tempDir()
  mkdirSync(dir, { recursive: true })
  // A pid that cannot be alive: a process we ran to completion.
  const dead = Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).toString())
  writeFileSync(join(dir, 'LOCK'), String(dead))
  const s = await LogStorage.open(dir)
  t.equal(readFileSync(join(dir, 'LOCK'), 'utf8'), String(process.pid), 'lock now names this process')
  await s.close()
  t.notOk(existsSync(join(dir, 'LOCK')), 'released on close')
  rm()
})

test('a crash between the snapshot rename and the log reset loses and duplicates nothing', async (t) => {
  const { dir, rm } = tempDir()
  const ups = makeUpdates(50, ['a', 'b'], 5)
  let s = await LogStorage.open(dir)
  await s.append(ups)
  await s.close()
  const log = readFileSync(join(dir, 'log'))
  s = await LogStorage.open(dir)
  const snapshot = ups.slice(-5)
  await s.compact(snapshot, { a: ups[48]?.[1] as number, b: ups[49]?.[1] as number })
  await s.close()
  // As if the process died before truncating the log: the old records are still there.
  writeFileSync(join(dir, 'log'), log)
  writeFileSync(join(dir, 'snapshot.tmp'), 'half-written garbage')
  s = await LogStorage.open(dir)
  const back = (await s.load()).updates
  t.deepEqual([...back].sort(compareUpdates), snapshot, 'the snapshot alone, no stale duplicates')
  await s.close()
  rm()
})

test('a damaged snapshot is salvaged and reported, or refused with onCorrupt: refuse', async (t) => {
  const { dir, rm } = tempDir()
  const ups = makeUpdates(5)
  let s = await LogStorage.open(dir)
  await s.compact(ups, {})
  await s.close()
  const snap = readFileSync(join(dir, 'snapshot'))
  // Frame 0 is the clock record; flip a byte inside the second update (frame 2).
  const frameStarts: number[] = [0]
  for (const r of [{ clock: {} }, ...ups]) frameStarts.push((frameStarts[frameStarts.length - 1] as number) + encodeJSON(r).length)
  const at = (frameStarts[2] as number) + 12
  snap[at] = (snap[at] as number) ^ 4
  writeFileSync(join(dir, 'snapshot'), snap)
  try {
    s = await LogStorage.open(dir, { onCorrupt: 'refuse' })
    t.fail('opened a damaged snapshot with onCorrupt: refuse')
    await s.close()
  } catch (err) {
    t.ok(isGrapevineError(err, 'ERR_STORE_CORRUPT'), String(err))
    t.equal(isGrapevineError(err) ? err.details.recordsLost : undefined, 1, 'the facts are in details')
  }
  t.deepEqual(readFileSync(join(dir, 'snapshot')), snap, 'refusing changed nothing')
  s = await LogStorage.open(dir)
  const back = await s.load()
  t.deepEqual(back.updates, [ups[0], ...ups.slice(2)], 'every other record kept, none misread')
  t.equal(back.damage?.recordsLost, 1)
  t.deepEqual(back.damage?.ranges, [{ file: 'snapshot', start: frameStarts[2], end: frameStarts[3], bytes: (frameStarts[3] as number) - (frameStarts[2] as number), records: 1 }])
  await s.close()
  rm()
})

test('a snapshot cut short is damage, not a torn tail (it is renamed into place whole)', async (t) => {
  const { dir, rm } = tempDir()
  let s = await LogStorage.open(dir)
  await s.compact(makeUpdates(5), {})
  await s.close()
  const snap = readFileSync(join(dir, 'snapshot'))
  writeFileSync(join(dir, 'snapshot'), snap.subarray(0, snap.length - 3))
  s = await LogStorage.open(dir)
  const back = await s.load()
  t.equal(back.updates.length, 4, 'the whole records kept')
  t.equal(s.damage?.recordsLost, 1, 'the cut one reported')
  t.equal(s.stats.truncatedBytes, 0, 'the snapshot itself is not cut')
  await s.close()
  rm()
})

test('a failing write never leaves a partial record in the log', async (t) => {
  const { dir, rm } = tempDir()
  const full = { on: false }
  const s = await LogStorage.open(dir, { fsync: 'never', fs: fullableFs(full) })
  await s.append(makeUpdates(3))
  const size = statSync(join(dir, 'log')).size
  full.on = true
  t.throws(() => { void s.append(makeUpdates(1, ['x'], 1, 1_800_000_000_000)) }, /disk full/)
  t.equal(statSync(join(dir, 'log')).size, size, 'partial bytes cut off')
  full.on = false
  await s.close()
  rm()
})

test('a real full disk (tiny tmpfs): ERR_DISK_FULL, and the store reopens with every acknowledged append', async (t) => {
  const { dir: root, rm } = tempDir('gv-tmpfs-')
  mkdirSync(root, { recursive: true })
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', root], { stdio: 'ignore' })
  } catch {
    t.skip('cannot mount a tmpfs here (needs root): covered by the injected ENOSPC tests')
    rm()
    return
  }
  try {
    const dir = join(root, 'store')
    const s = await LogStorage.open(dir, { fsync: 'always' })
    const acked: Update[] = []
    let err: unknown
    for (let i = 0; i < 10_000 && err === undefined; i++) {
      const u: Update = [[`k${i}`, 'x'.repeat(100)], timestamp(1_700_000_000_000 + i), sourceId('a')]
      try { await s.append([u]); acked.push(u) } catch (e) { err = e }
    }
    t.ok(isGrapevineError(err, 'ERR_DISK_FULL'), `the disk filled up after ${acked.length} appends: ${String(err)}`)
    await s.close().catch(() => {})
    const back = await LogStorage.open(dir, { fsync: 'always' })
    const got = (await back.load()).updates
    t.deepEqual(got.slice(0, acked.length), acked, 'every acknowledged append is there, in order')
    t.ok(got.length <= acked.length + 1, 'at most the failed append was completed by close')
    await back.close().catch(() => {})
  } finally {
    execFileSync('umount', [root])
    rm()
  }
})

test('a well-framed record that is not an update is damage: skipped, reported, the records after it kept', async (t) => {
  const { dir, rm } = tempDir()
  const ups = makeUpdates(4)
  let s = await LogStorage.open(dir, { fsync: 'never' })
  await s.append(ups)
  await s.close()
  // Records with valid checksums but foreign content, then a valid update after them.
  const z = makeUpdates(1, ['z'], 1, 1_800_000_000_000)[0] as Update
  appendFileSync(join(dir, 'log'), Buffer.concat([encodeRecord(Buffer.from('1,2')), encodeRecord(Buffer.from('"x"')), encodeJSON(z)]))
  s = await LogStorage.open(dir, { fsync: 'never' })
  t.deepEqual((await s.load()).updates, [...ups, z], 'the update after the foreign records kept')
  t.equal(s.damage?.recordsLost, 2, 'two foreign records skipped')
  t.equal(s.damage?.exact, true)
  await s.close()
  // A foreign record at the very end, with nothing after it, is a torn tail: cut, silent.
  appendFileSync(join(dir, 'log'), encodeRecord(Buffer.from('{"not":"ours"}')))
  const size = statSync(join(dir, 'log')).size
  s = await LogStorage.open(dir, { fsync: 'never' })
  t.equal(s.stats.truncatedBytes, 8 + '{"not":"ours"}'.length, 'cut off')
  t.ok(statSync(join(dir, 'log')).size < size)
  await s.close()
  rm()
})

test('each fsync policy syncs when it says: always per append, batched per interval, never only on flush', async (t) => {
  const count = { syncs: 0 }
  const counting: FsLayer = {
    ...realFs,
    fsyncSync: (fd) => { count.syncs++; realFs.fsyncSync(fd) },
    fdatasync: (fd, cb) => { count.syncs++; realFs.fdatasync(fd, cb) }
  }
  const ups = makeUpdates(6)
  const policies: Array<[string, FsyncPolicy]> = [['always', 'always'], ['batched', { intervalMs: 30 }], ['never', 'never']]
  for (const [name, fsync] of policies) {
    const { dir, rm } = tempDir()
    const s = await LogStorage.open(dir, { fsync, fs: counting })
    count.syncs = 0
    let resolved = 0
    const acks = ups.map((u) => s.append([u]).then(() => { resolved++ }))
    const syncedAtOnce = count.syncs
    await tick(0)
    const resolvedAtOnce = resolved
    await Promise.all(acks)
    const syncedByAck = count.syncs
    await s.flush()
    const syncedByFlush = count.syncs
    if (name === 'always') {
      t.equal(syncedAtOnce, 6, 'always: one fsync per append, before it returns')
    } else if (name === 'batched') {
      t.equal(syncedAtOnce, 0, 'batched: no fsync inside append')
      t.equal(resolvedAtOnce, 0, 'batched: appends not acknowledged before the fsync')
      t.equal(syncedByAck, 1, 'batched: one fsync acknowledged all six')
    } else {
      t.equal(syncedByAck, 0, 'never: acknowledged without an fsync')
      t.equal(syncedByFlush, 1, 'never: flush() forces one')
    }
    await s.close()
    rm()
  }
})
