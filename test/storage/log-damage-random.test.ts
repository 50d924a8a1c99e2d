// Seeded: random damage in logs and snapshots of random content. SEED=n replays, DAMAGE_RUNS=n runs more.
import test from 'tape'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { LogStorage, compareUpdates, sourceId, timestamp } from '../../index'
import type { StoreDamage, Update } from '../../index'
import { encodeJSON } from '../../lib/storage/frame'
import { Rng } from '../helpers/rng'
import { tempDir } from './conformance'
import { frameStarts } from './faults'

const SEED = process.env.SEED !== undefined ? Number(process.env.SEED) : Date.now() % 2 ** 31

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
