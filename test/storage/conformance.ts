// The one conformance suite every storage adapter runs (see log.test.ts, level.test.ts).
import test from 'tape'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Model, VectorClock, compareUpdates, isGrapevineError, persist, sourceId, timestamp } from '../../index'
import type { Storage, Update } from '../../index'

/** What an adapter gives the suite. */
export interface Adapter {
  readonly name: string
  /** Open (or reopen) the store in `dir`. */
  open (dir: string): Promise<Storage>
  /** Open a store whose disk writes fail with ENOSPC while `full.on` is true. */
  openFull (dir: string, full: { on: boolean }): Promise<Storage>
  /** Damage the tail of what a closed store wrote (cut bytes off its newest file). */
  tearTail (dir: string, bytes: number): void
}

/** A fresh temporary directory, removed by the returned function. */
export function tempDir (prefix = 'gv-store-', base = tmpdir()): { dir: string, rm: () => void } {
  const dir = mkdtempSync(join(base, prefix))
  return { dir: join(dir, 'store'), rm: () => rmSync(dir, { recursive: true, force: true }) }
}

/** `n` Model-shaped updates from `sources`, strictly increasing per source. */
export function makeUpdates (n: number, sources = ['a', 'b', 'c'], keys = n, t0 = 1_700_000_000_000): Update[] {
  const out: Update[] = []
  for (let i = 0; i < n; i++) {
    out.push([[`k${i % keys}`, { i }], timestamp(t0 + i), sourceId(sources[i % sources.length] as string)])
  }
  return out
}

const sorted = (us: readonly Update[]): Update[] => [...us].sort(compareUpdates)

/** Call `fn` and turn a synchronous throw into a rejection. */
async function attempt (fn: () => Promise<void>): Promise<unknown> {
  try {
    await fn()
    return undefined
  } catch (err) {
    return err
  }
}

/** Run the shared suite against one adapter. */
export function storageConformance (a: Adapter): void {
  const name = (s: string): string => `${a.name}: ${s}`

  test(name('a reopened store returns exactly what was appended'), async (t) => {
    const { dir, rm } = tempDir()
    const ups = makeUpdates(60)
    let s = await a.open(dir)
    await s.load()
    await s.append(ups.slice(0, 20))
    for (const u of ups.slice(20)) await s.append([u])
    t.equal(s.stats.records, 60, 'records counted')
    await s.close()
    s = await a.open(dir)
    const back = await s.load()
    t.deepEqual(sorted(back.updates), sorted(ups), 'same updates after reopen')
    t.deepEqual(back.clock, {}, 'no compaction clock yet')
    await s.close()
    rm()
  })

  test(name('load since a clock returns only the newer updates'), async (t) => {
    const { dir, rm } = tempDir()
    const ups = makeUpdates(30)
    const s = await a.open(dir)
    await s.append(ups)
    const since = new VectorClock([[sourceId('a'), timestamp(1_700_000_000_012)], [sourceId('b'), timestamp(1_700_000_000_100)]])
    const back = await s.load(since)
    t.deepEqual(sorted(back.updates), sorted(ups.filter((u) => since.isNewer(u[2], u[1]))))
    t.ok(back.updates.every((u) => u[2] !== 'b'), 'source b entirely covered')
    await s.close()
    rm()
  })

  test(name('compaction keeps the snapshot and its clock, and later appends'), async (t) => {
    const { dir, rm } = tempDir()
    const ups = makeUpdates(200, ['a', 'b', 'gone'], 10)
    let s = await a.open(dir)
    await s.append(ups)
    const m = new Model('m')
    for (const u of ups) m.receive(u)
    const snapshot = [...m.history(new VectorClock())]
    t.equal(snapshot.length, 10, 'ten live keys')
    await s.compact(snapshot, m.getClock())
    t.equal(s.stats.records, 10, 'store holds the snapshot only')
    const later = makeUpdates(5, ['late'], 5, 1_800_000_000_000)
    await s.append(later)
    await s.close()
    s = await a.open(dir)
    const back = await s.load()
    t.deepEqual(sorted(back.updates), sorted([...snapshot, ...later]))
    t.deepEqual(back.clock, m.getClock(), 'clock kept, sources without live updates included')
    await s.close()
    rm()
  })

  test(name('appends issued while a compaction runs are kept'), async (t) => {
    const { dir, rm } = tempDir()
    const ups = makeUpdates(100, ['a'], 10)
    let s = await a.open(dir)
    await s.append(ups)
    const m = new Model('m')
    for (const u of ups) m.receive(u)
    const later = makeUpdates(10, ['a', 'b'], 10, 1_800_000_000_000)
    const compacting = s.compact(m.history(new VectorClock()), m.getClock())
    const appending = later.map((u) => s.append([u]))
    await Promise.all([compacting, ...appending])
    await s.close()
    s = await a.open(dir)
    const back = await s.load()
    t.deepEqual(sorted(back.updates), sorted([...m.history(new VectorClock()), ...later]))
    await s.close()
    rm()
  })

  test(name('a torn tail reopens to a prefix of what was appended'), async (t) => {
    const { dir, rm } = tempDir()
    const ups = makeUpdates(40, ['a'])
    let s = await a.open(dir)
    for (let i = 0; i < ups.length; i += 4) await s.append(ups.slice(i, i + 4))
    await s.close()
    a.tearTail(dir, 7)
    s = await a.open(dir)
    const back = sorted((await s.load()).updates)
    t.ok(back.length < ups.length, `lost the damaged tail (${ups.length - back.length} updates)`)
    t.ok(back.length >= ups.length - 8, 'kept the records before it')
    t.deepEqual(back, ups.slice(0, back.length), 'a prefix, nothing misread')
    await s.append(makeUpdates(1, ['a'], 1, 1_900_000_000_000))
    t.equal((await s.load()).updates.length, back.length + 1, 'appends continue after recovery')
    await s.close()
    rm()
  })

  test(name('disk full: a failed append is a coded error and the store stays consistent'), async (t) => {
    const { dir, rm } = tempDir()
    const full = { on: false }
    const ups = makeUpdates(30)
    let s = await a.openFull(dir, full)
    await s.append(ups.slice(0, 10))
    full.on = true
    const err = await attempt(() => s.append(ups.slice(10, 20)))
    t.ok(isGrapevineError(err, 'ERR_DISK_FULL'), `ERR_DISK_FULL (${String(err)})`)
    full.on = false
    await s.append(ups.slice(20))
    await s.close()
    s = await a.open(dir)
    t.deepEqual(sorted((await s.load()).updates), sorted(ups), 'the failed batch was written before the next one')
    await s.close()
    rm()
  })

  test(name('a second open of the same store fails with ERR_STORE_LOCKED'), async (t) => {
    const { dir, rm } = tempDir()
    const s = await a.open(dir)
    const err = await attempt(async () => { await a.open(dir) })
    t.ok(isGrapevineError(err, 'ERR_STORE_LOCKED'), `ERR_STORE_LOCKED (${String(err)})`)
    await s.close()
    const again = await a.open(dir)
    t.pass('opens again once closed')
    await again.close()
    rm()
  })

  test(name('a persisted Model restarts with its state, clock and fresh timestamps'), async (t) => {
    const { dir, rm } = tempDir()
    const m = new Model('me')
    const p = await persist(m, await a.open(dir))
    for (let i = 0; i < 50; i++) m.set(`k${i % 20}`, i)
    m.receive([['peer', 1], timestamp(Date.now() - 5), sourceId('other')])
    const lastOwn = m.getClock().me as number
    await p.close()
    const back = new Model('me')
    const p2 = await persist(back, await a.open(dir))
    t.deepEqual(back.toJSON(), m.toJSON(), 'same state')
    t.deepEqual(back.getClock(), m.getClock(), 'same clock')
    back.set('new', true)
    t.ok((back.getClock().me as number) > lastOwn, 'new writes are newer than every stored one')
    await p2.close()
    rm()
  })

  test(name('closed store refuses appends with ERR_STORE_CLOSED'), async (t) => {
    const { dir, rm } = tempDir()
    const s = await a.open(dir)
    await s.close()
    const err = await attempt(() => s.append(makeUpdates(1)))
    t.ok(isGrapevineError(err, 'ERR_STORE_CLOSED'))
    rm()
  })
}
