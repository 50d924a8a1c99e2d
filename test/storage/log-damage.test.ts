// Damage in the middle of the log store's files: resynchronised past, every intact record kept, reported.
import test from 'tape'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { LogStorage, Model, compareUpdates, isGrapevineError, persist, sourceId, timestamp } from '../../index'
import type { GrapevineError, HealReport, StoreDamage, Update } from '../../index'
import { encodeJSON } from '../../lib/storage/frame'
import { Rng } from '../helpers/rng'
import { once, syncPair, until } from '../helpers/replicas'
import { makeUpdates, tempDir } from './conformance'

const SEED = process.env.SEED !== undefined ? Number(process.env.SEED) : Date.now() % 2 ** 31

/** Byte offset where each record of a log written from `ups` (one append each) starts, and the end. */
function frameStarts (ups: readonly Update[]): number[] {
  const out = [0]
  for (const u of ups) out.push((out[out.length - 1] as number) + encodeJSON(u).length)
  return out
}

function flipBit (file: string, at: number, bit = 3): void {
  const b = readFileSync(file)
  b[at] = (b[at] as number) ^ (1 << bit)
  writeFileSync(file, b)
}

test('one flipped bit in the middle of a 10 000-write log loses one record, and it is reported', async (t) => {
  const { dir, rm } = tempDir()
  const m = new Model('w')
  const p = await persist(m, await LogStorage.open(dir, { fsync: 'never' }), { compactRatio: false })
  for (let i = 0; i < 10_000; i++) m.set(`k${i}`, i)
  await p.close()
  const file = join(dir, 'log')
  const log = readFileSync(file)
  const size = log.length
  // The frame holding the middle byte; flip a bit of its payload (its length field is the next test's case).
  let start = 0
  while (start + 8 + log.readUInt32BE(start + 4) <= size >> 1) start += 8 + log.readUInt32BE(start + 4)
  flipBit(file, Math.max(size >> 1, start + 8))
  const back = new Model('w')
  const storage = await LogStorage.open(dir, { fsync: 'never' })
  const p2 = await persist(back, storage, { compactRatio: false })
  const corrupt = await once<GrapevineError>(p2, 'corrupt')
  let missing = 0
  for (let i = 0; i < 10_000; i++) if (back.get(`k${i}`) !== i) missing++
  t.comment(`before (measured on main): 4 976 of 10 000 lost, open() silent; now: ${missing} lost, ERR_STORE_CORRUPT with recordsLost ${storage.stats.recordsLost}, ${storage.stats.bytesSkipped} bytes skipped`)
  t.equal(missing, 1, 'one write lost')
  t.equal(back.size, 9_999, 'every record after the damage kept')
  t.ok(isGrapevineError(corrupt, 'ERR_STORE_CORRUPT'), corrupt.message)
  const d = corrupt.details as unknown as StoreDamage
  t.equal(d.recordsLost, 1)
  t.equal(d.exact, true, 'the damaged frame\'s length was readable: the count is exact')
  t.equal(storage.stats.recordsLost, 1, 'in stats too')
  t.ok(storage.stats.bytesSkipped > 8 && storage.stats.bytesSkipped < 60, `one frame skipped (${storage.stats.bytesSkipped} bytes)`)
  t.equal(d.ranges.length, 1)
  t.ok((d.ranges[0]?.start as number) <= size >> 1 && (d.ranges[0]?.end as number) > size >> 1, 'the range holds the flipped byte')
  t.deepEqual(d.affected.map((a) => a.source), ['w'], 'the source with records after the damage')
  t.equal(p2.damage?.recordsLost, 1, 'kept on the handle')
  t.equal(storage.stats.truncatedBytes, 0, 'nothing cut: it was not a torn tail')
  const top = back.getClock().w as number
  back.set('after', true)
  t.ok((back.getClock().w as number) > top, 'own writes continue past every salvaged timestamp')
  await p2.close()
  rm()
})

test('a flipped bit in a length field: one record lost, counted as a lower bound', async (t) => {
  const { dir, rm } = tempDir()
  const ups = makeUpdates(30)
  const s = await LogStorage.open(dir, { fsync: 'never' })
  for (const u of ups) await s.append([u])
  await s.close()
  flipBit(join(dir, 'log'), (frameStarts(ups)[12] as number) + 6, 1)
  const back = await LogStorage.open(dir)
  const got = await back.load()
  t.deepEqual(got.updates, [...ups.slice(0, 12), ...ups.slice(13)], 'all but record 12')
  t.equal(got.damage?.recordsLost, 1)
  t.equal(got.damage?.exact, false, 'its length was not readable: "at least one"')
  await back.close()
  rm()
})

test('onCorrupt: refuse throws ERR_STORE_CORRUPT from open with the facts, and leaves the files alone', async (t) => {
  const { dir, rm } = tempDir()
  const ups = makeUpdates(30)
  let s = await LogStorage.open(dir, { fsync: 'never' })
  for (const u of ups) await s.append([u])
  await s.close()
  const starts = frameStarts(ups)
  const file = join(dir, 'log')
  flipBit(file, (starts[10] as number) + 2) // the CRC of record 10
  const before = readFileSync(file)
  try {
    s = await LogStorage.open(dir, { onCorrupt: 'refuse' })
    t.fail('opened')
    await s.close()
  } catch (err) {
    t.ok(isGrapevineError(err, 'ERR_STORE_CORRUPT'), String(err))
    const d = isGrapevineError(err) ? err.details : {}
    t.equal(d.recordsLost, 1)
    t.equal(d.recordsKept, 19, 'the records after the damage')
    t.deepEqual(d.ranges, [{ file: 'log', start: starts[10], end: starts[11], bytes: (starts[11] as number) - (starts[10] as number), records: 1 }])
  }
  t.deepEqual(readFileSync(file), before, 'file unchanged')
  s = await LogStorage.open(dir)
  t.pass('and the lock was released')
  t.deepEqual((await s.load()).updates, [...ups.slice(0, 10), ...ups.slice(11)], 'salvage keeps all but the damaged one')
  await s.close()
  rm()
})

test('a bare store reports the damage at every open until compact(); persist() compacts it away', async (t) => {
  const { dir, rm } = tempDir()
  const ups = makeUpdates(20, ['me'])
  let s = await LogStorage.open(dir, { fsync: 'never' })
  for (const u of ups) await s.append([u])
  await s.close()
  flipBit(join(dir, 'log'), (frameStarts(ups)[5] as number) + 20)
  for (let i = 0; i < 2; i++) {
    s = await LogStorage.open(dir)
    t.equal(s.damage?.recordsLost, 1, `open ${i + 1}: reported`)
    await s.close()
  }
  s = await LogStorage.open(dir)
  const got = await s.load()
  await s.compact(got.updates, {})
  t.equal(s.damage, undefined, 'gone after compaction')
  await s.close()
  s = await LogStorage.open(dir)
  t.equal(s.damage, undefined, 'and not reported again')
  t.equal((await s.load()).updates.length, 19)
  await s.close()
  // The same through persist(): nothing to hold back (own source), so it compacts at once.
  const { dir: dir2, rm: rm2 } = tempDir()
  s = await LogStorage.open(dir2, { fsync: 'never' })
  for (const u of ups) await s.append([u])
  await s.close()
  flipBit(join(dir2, 'log'), (frameStarts(ups)[5] as number) + 20)
  const m = new Model('me')
  const p = await persist(m, await LogStorage.open(dir2))
  t.equal(p.damage?.recordsLost, 1, 'reported on the handle')
  await p.close() // waits for the compaction it started
  const s2 = await LogStorage.open(dir2)
  t.equal(s2.damage, undefined, 'persist() rewrote the store once it had reported')
  await s2.close()
  rm()
  rm2()
})

test('a lost peer record in the middle is held back, and a real peer fills the hole', async (t) => {
  const { dir, rm } = tempDir()
  const a = new Model('a')
  const b = new Model('b')
  const p = await persist(a, await LogStorage.open(dir, { fsync: 'never' }), { compactRatio: false })
  const d1 = await syncPair(a, b)
  for (let i = 0; i < 100; i++) {
    b.set(`b${i}`, i)
    a.set(`a${i}`, i)
    await new Promise((resolve) => setImmediate(resolve))
  }
  await until(() => a.get('b99') === 99)
  d1()
  await d1.closed
  await p.close()
  a.dispose()
  // Damage the record of b50 in a's log.
  const file = join(dir, 'log')
  const log = readFileSync(file)
  const at = log.indexOf(Buffer.from('["b50",50]'))
  t.ok(at > 0, 'found the record of b50')
  flipBit(file, at + 3)
  const a2 = new Model('a')
  const p2 = await persist(a2, await LogStorage.open(dir))
  const corrupt = await once<GrapevineError>(p2, 'corrupt')
  const info = (corrupt.details as unknown as StoreDamage).affected
  const ofB = info.find((x) => x.source === 'b')
  t.ok(ofB !== undefined, 'source b is reported as affected')
  t.ok(info.some((x) => x.source === 'a'), 'and our own source too')
  t.equal(ofB?.records, 49, 'b51..b99 kept past the damage')
  t.equal(a2.get('b50'), undefined, 'the lost record is missing')
  t.equal(a2.get('b51'), undefined, 'records of b past the damage are held back')
  t.equal(a2.get('a99'), 99, 'our own records are all restored')
  t.ok(p2.heldBack > 0, `${p2.heldBack} records held back`)
  t.ok((a2.getClock().b as number) < (b.getClock().b as number), 'so the clock does not claim the hole')
  const healed = once<HealReport>(p2, 'healed')
  const d2 = await syncPair(a2, b)
  const report = await healed
  t.deepEqual(report.filled, ['b'], 'the peer covered everything held of b')
  t.ok(d2.b.stats.updatesSent >= 50, `the peer sent b50 and after (${d2.b.stats.updatesSent} updates)`)
  t.equal(a2.get('b50'), 50, 'the hole is filled')
  t.deepEqual(a2.toJSON(), b.toJSON(), 'converged')
  t.equal(p2.heldBack, 0)
  d2()
  await d2.closed
  await p2.close()
  const s = await LogStorage.open(dir)
  t.equal(s.damage, undefined, 'compacted once healed: not reported again')
  await s.close()
  rm()
})

test('held records a syncing peer lacks are restored after its sync, and sent to it', async (t) => {
  const { dir, rm } = tempDir()
  const ups: Update[] = []
  for (let i = 0; i < 40; i++) ups.push([[`x${i}`, i], timestamp(1_700_000_000_000 + i), sourceId(i % 2 === 0 ? 'x' : 'y')])
  let s = await LogStorage.open(dir, { fsync: 'never' })
  for (const u of ups) await s.append([u])
  await s.close()
  flipBit(join(dir, 'log'), (frameStarts(ups)[20] as number) + 15) // x20 lost
  const a = new Model('a')
  const p = await persist(a, await LogStorage.open(dir))
  t.equal(a.size, 20, 'only the records before the damage are in the replica')
  const fresh = new Model('fresh') // knows nothing: it cannot vouch for any hole
  const healed = once<HealReport>(p, 'healed')
  fresh.set('hello', 1) // something to send, so persist() sees the stream
  const d = await syncPair(a, fresh)
  const report = await healed
  t.deepEqual([...report.unfilled].sort(), ['x', 'y'], 'the fresh peer covered nothing held')
  t.equal(report.restored, 19, 'the 19 held records restored')
  t.equal(a.size, 40, 'all but the lost one, plus the peer\'s')
  await until(() => fresh.size === 40)
  t.deepEqual(fresh.toJSON(), a.toJSON(), 'and sent on to the peer')
  d()
  await d.closed
  await p.close()
  rm()
})

test('release() stops waiting: the held records are restored at once', async (t) => {
  const { dir, rm } = tempDir()
  const ups = makeUpdates(30, ['x', 'y'])
  let s = await LogStorage.open(dir, { fsync: 'never' })
  for (const u of ups) await s.append([u])
  await s.close()
  flipBit(join(dir, 'log'), (frameStarts(ups)[10] as number) + 15)
  const a = new Model('a')
  const p = await persist(a, await LogStorage.open(dir), { compactRatio: false })
  t.equal(a.size, 10)
  const report = p.release()
  t.equal(report?.restored, 19)
  t.equal(a.size, 29)
  t.equal(p.release(), undefined, 'nothing left to release')
  await p.close()
  s = await LogStorage.open(dir)
  t.equal(s.damage?.recordsLost, 1, 'compactRatio false: the store keeps reporting until compacted')
  await s.close()
  rm()
})

/** Flip bits, write random bytes or zeros at 1 to 3 random places of `file`; the offsets changed. */
function damageFile (rng: Rng, file: string): Set<number> {
  const bytes = readFileSync(file)
  const touched = new Set<number>()
  for (let k = rng.int(1, 3); k > 0 && bytes.length > 0; k--) {
    const kind = rng.int(0, 2)
    const at = rng.int(0, bytes.length - 1)
    const len = kind === 0 ? 1 : rng.int(1, 40)
    for (let i = at; i < Math.min(bytes.length, at + len); i++) {
      const old = bytes[i] as number
      bytes[i] = kind === 0 ? old ^ (1 << rng.int(0, 7)) : kind === 1 ? rng.int(0, 255) : 0
      if (bytes[i] !== old) touched.add(i)
    }
  }
  writeFileSync(file, bytes)
  return touched
}

/** For each frame (between consecutive `starts`), whether none of its bytes was touched. */
function intactFrames (starts: readonly number[], touched: Set<number>): boolean[] {
  return starts.slice(0, -1).map((start, i) => {
    for (let b = start; b < (starts[i + 1] as number); b++) if (touched.has(b)) return false
    return true
  })
}

/**
 * What persist() would let the replica's clock claim of each source (its
 * gap-free prefix if affected, else all it holds) must cover no lost update:
 * a claimed hole would never be asked for again.
 */
function checkClaims (where: string, original: readonly Update[], kept: readonly Update[], clock: Record<string, number>, damage: StoreDamage | undefined): void {
  const claim = new Map<string, number>(Object.entries(clock))
  for (const u of kept) if ((claim.get(u[2]) ?? 0) < u[1]) claim.set(u[2], u[1])
  for (const a of damage?.affected ?? []) claim.set(a.source, Math.min(claim.get(a.source) ?? 0, a.intactTo))
  const keptKeys = new Set(kept.map((u) => JSON.stringify(u)))
  for (const u of original) {
    if (u[1] <= (claim.get(u[2]) ?? 0) && !keptKeys.has(JSON.stringify(u))) {
      throw new Error(`${where}: the clock would claim ${u[2]} up to ${claim.get(u[2]) ?? 0} but ${JSON.stringify(u)} was lost`)
    }
  }
}

/** Random updates from a few sources, each source strictly increasing. */
function randomUpdates (rng: Rng, n: number): Update[] {
  const sources = ['a', 'b', 'c', 'déjà', '"q"'].slice(0, rng.int(1, 5))
  const out: Update[] = []
  for (let i = 0; i < n; i++) {
    const len = rng.int(0, 60)
    let str = ''
    for (let j = 0; j < len; j++) str += String.fromCodePoint(rng.chance(0.1) ? rng.int(0, 0x2FFF) : rng.int(0x20, 0x7E))
    const value = rng.pick<unknown>([str, rng.int(-1e6, 1e6), null, { s: str, n: [i, str] }, [str, str]])
    out.push([[`k${rng.int(0, 20)}`, value], timestamp(1_700_000_000_000 + i + rng.next()), sourceId(rng.pick(sources))])
  }
  return out
}

test('seeded: random damage anywhere in logs of random content: intact records kept, none misread, damage reported unless a torn tail', async (t) => {
  const rng = new Rng(SEED)
  const runs = Number(process.env.DAMAGE_RUNS ?? 200)
  const { dir: root, rm } = tempDir('gv-damage-', existsSync('/dev/shm') ? '/dev/shm' : undefined)
  let reported = 0
  let torn = 0
  let kept = 0
  try {
    for (let run = 0; run < runs; run++) {
      const dir = join(root, String(run))
      const ups = randomUpdates(rng, rng.int(1, 60))
      const s = await LogStorage.open(dir, { fsync: 'never' })
      for (const u of ups) await s.append([u])
      await s.close()
      const starts = frameStarts(ups)
      const intact = intactFrames(starts, damageFile(rng, join(dir, 'log')))
      const firstBad = intact.indexOf(false)
      const intactAfter = firstBad >= 0 && intact.slice(firstBad).some((x) => x)
      const back = await LogStorage.open(dir, { fsync: 'never' })
      const got = await back.load()
      await back.close()
      const where = `SEED=${SEED} run ${run}`
      const want = new Map(ups.map((u) => [JSON.stringify(u), u]))
      const gotKeys = new Set(got.updates.map((u) => JSON.stringify(u)))
      for (const k of gotKeys) if (!want.has(k)) throw new Error(`${where}: misread a record: ${k}`)
      ups.forEach((u, i) => { if (intact[i] === true && !gotKeys.has(JSON.stringify(u))) throw new Error(`${where}: lost intact record ${i}`) })
      const last = new Map<string, Update>()
      for (const u of got.updates) {
        const prev = last.get(u[2])
        if (prev !== undefined && compareUpdates(prev, u) >= 0) throw new Error(`${where}: source ${u[2]} out of order`)
        last.set(u[2], u)
      }
      if (intactAfter !== (got.damage !== undefined)) {
        throw new Error(`${where}: intact records after damage: ${String(intactAfter)}, reported: ${String(got.damage !== undefined)}`)
      }
      checkClaims(where, ups, got.updates, got.clock, got.damage)
      if (got.damage !== undefined) {
        reported++
        const lostMid = intact.slice(0, intact.lastIndexOf(true)).filter((x) => !x).length
        const d = got.damage
        if (d.exact && d.recordsLost !== lostMid) throw new Error(`${where}: said exactly ${d.recordsLost} lost, truly ${lostMid}`)
        if (!d.exact && (d.recordsLost < d.ranges.length || d.recordsLost > lostMid)) throw new Error(`${where}: lower bound ${d.recordsLost} for ${lostMid} lost`)
        const bytesMid = ups.reduce((n, _, i) => n + (intact[i] === false && i < intact.lastIndexOf(true) ? (starts[i + 1] as number) - (starts[i] as number) : 0), 0)
        if (d.bytesSkipped !== bytesMid) throw new Error(`${where}: ${d.bytesSkipped} bytes skipped, the damaged frames hold ${bytesMid}`)
      } else if (firstBad >= 0) torn++
      kept += got.updates.length
    }
    t.pass(`${runs} damaged logs (SEED=${SEED}): ${reported} reported, ${torn} torn tails cut silently, ${kept} records kept`)
  } catch (err) {
    t.fail(String(err))
  } finally {
    rm()
  }
})

test('seeded: random damage in a snapshot and the log after it: intact records kept, none misread, no claimed hole', async (t) => {
  const rng = new Rng(SEED + 1)
  const runs = Number(process.env.DAMAGE_RUNS ?? 200)
  const { dir: root, rm } = tempDir('gv-damage-', existsSync('/dev/shm') ? '/dev/shm' : undefined)
  let reported = 0
  try {
    for (let run = 0; run < runs; run++) {
      const dir = join(root, String(run))
      const ups = randomUpdates(rng, rng.int(2, 60))
      const cut = rng.int(1, ups.length - 1)
      const clock: Record<string, number> = {}
      for (const u of ups.slice(0, cut)) clock[u[2]] = Math.max(clock[u[2]] ?? 0, u[1])
      const snapshot = [...ups.slice(0, cut)].sort(compareUpdates)
      const s = await LogStorage.open(dir, { fsync: 'never' })
      await s.compact(snapshot, clock)
      for (const u of ups.slice(cut)) await s.append([u])
      await s.close()
      const which = rng.int(0, 2) // snapshot, log, both
      const snapStarts = frameStarts(snapshot).map((o) => o + encodeJSON({ clock }).length)
      snapStarts.unshift(0)
      const logStarts = frameStarts(ups.slice(cut))
      const snapIntact = which === 1 ? snapStarts.slice(1).map(() => true) : intactFrames(snapStarts, damageFile(rng, join(dir, 'snapshot')))
      const logIntact = which === 0 ? logStarts.slice(1).map(() => true) : intactFrames(logStarts, damageFile(rng, join(dir, 'log')))
      const back = await LogStorage.open(dir, { fsync: 'never' })
      const got = await back.load()
      await back.close()
      const where = `SEED=${SEED} (snapshot run ${run})`
      const want = new Set(ups.map((u) => JSON.stringify(u)))
      const gotKeys = new Set(got.updates.map((u) => JSON.stringify(u)))
      for (const k of gotKeys) if (!want.has(k)) throw new Error(`${where}: misread a record: ${k}`)
      snapshot.forEach((u, i) => { if (snapIntact[i + 1] === true && !gotKeys.has(JSON.stringify(u))) throw new Error(`${where}: lost intact snapshot record ${i}`) })
      ups.slice(cut).forEach((u, i) => { if (logIntact[i] === true && !gotKeys.has(JSON.stringify(u))) throw new Error(`${where}: lost intact log record ${i}`) })
      const firstBad = logIntact.indexOf(false)
      const shouldReport = snapIntact.includes(false) || (firstBad >= 0 && logIntact.slice(firstBad).some((x) => x))
      if (shouldReport !== (got.damage !== undefined)) throw new Error(`${where}: should report: ${String(shouldReport)}, reported: ${String(got.damage !== undefined)}`)
      checkClaims(where, ups, got.updates, got.clock, got.damage)
      if (got.damage !== undefined) reported++
    }
    t.pass(`${runs} damaged snapshot+log stores (SEED=${SEED}): ${reported} reported, no claimed hole`)
  } catch (err) {
    t.fail(String(err))
  } finally {
    rm()
  }
})
