// Storage figures: reopen time of a 100 000-key Model from the log and from
// LevelDB, bytes per update, write rate per fsync policy, compaction time.
// Run: npm run bench:storage  (KEYS=n to change the size)
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LevelStorage, LogStorage, Model, persist } from '../index'
import type { Storage } from '../index'

const KEYS = Number(process.env.KEYS ?? 100_000)
const RUNS = Number(process.env.RUNS ?? 3)

function dirBytes (dir: string): number {
  let n = 0
  for (const f of readdirSync(dir)) {
    const s = statSync(join(dir, f))
    n += s.isDirectory() ? dirBytes(join(dir, f)) : s.size
  }
  return n
}

async function time<T> (fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = process.hrtime.bigint()
  const v = await fn()
  return [v, Number(process.hrtime.bigint() - t0) / 1e6]
}

const value = (i: number): unknown => ({ n: i, name: `user-${i}` })

async function fill (open: () => Promise<Storage>): Promise<number> {
  const m = new Model('writer')
  const p = await persist(m, await open(), { compactRatio: false })
  const [, ms] = await time(async () => {
    for (let i = 0; i < KEYS; i++) m.set(`key-${i}`, value(i))
    await p.flush()
  })
  await p.close()
  return ms
}

/** Reopen RUNS times (the machine is noisy): median and fastest. */
async function reopen (open: () => Promise<Storage>): Promise<{ ms: number, min: number, size: number }> {
  const times: number[] = []
  let size = 0
  for (let i = 0; i < RUNS; i++) {
    const m = new Model('writer')
    const [p, ms] = await time(async () => await persist(m, await open(), { compactRatio: false }))
    size = m.size
    times.push(ms)
    await p.close()
  }
  times.sort((a, b) => a - b)
  return { ms: times[Math.floor(times.length / 2)] as number, min: times[0] as number, size }
}

async function writeRate (policy: 'always' | 'never' | { intervalMs: number }, n: number): Promise<number> {
  const root = mkdtempSync(join(tmpdir(), 'gv-bench-'))
  const m = new Model('w')
  const p = await persist(m, await LogStorage.open(join(root, 's'), { fsync: policy }), { compactRatio: false })
  const [, ms] = await time(async () => {
    for (let i = 0; i < n; i++) m.set(`k${i}`, i)
    await p.flush()
  })
  await p.close()
  rmSync(root, { recursive: true, force: true })
  return n / (ms / 1000)
}

async function main (): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'gv-bench-'))
  const logDir = join(root, 'log')
  const levelDir = join(root, 'level')
  const openLog = (): Promise<Storage> => LogStorage.open(logDir, { fsync: 'never' })
  const openLevel = (): Promise<Storage> => LevelStorage.open(levelDir)
  const rows: string[] = []
  try {
    const logFill = await fill(openLog)
    const logBytes = statSync(join(logDir, 'log')).size
    const logOpen = await reopen(openLog)
    rows.push(`log     write ${KEYS} keys: ${logFill.toFixed(0)} ms; reopen: median ${logOpen.ms.toFixed(0)} ms, best ${logOpen.min.toFixed(0)} ms (${logOpen.size} keys); ${(logBytes / KEYS).toFixed(1)} bytes/update (${(logBytes / 1e6).toFixed(2)} MB)`)
    const levelFill = await fill(openLevel)
    const levelOpen = await reopen(openLevel)
    const levelBytes = dirBytes(levelDir)
    rows.push(`leveldb write ${KEYS} keys: ${levelFill.toFixed(0)} ms; reopen: median ${levelOpen.ms.toFixed(0)} ms, best ${levelOpen.min.toFixed(0)} ms (${levelOpen.size} keys); ${(levelBytes / KEYS).toFixed(1)} bytes/update on disk`)
    // Compaction of the same log: every key overwritten once, then compacted.
    const m = new Model('writer')
    const p = await persist(m, await openLog(), { compactRatio: false })
    for (let i = 0; i < KEYS; i++) m.set(`key-${i}`, value(i + 1))
    const [, cms] = await time(() => p.compact())
    await p.close()
    rows.push(`log     compaction of ${2 * KEYS} records to ${KEYS}: ${cms.toFixed(0)} ms`)
    const snapOpen = await reopen(openLog)
    rows.push(`log     reopen from snapshot: median ${snapOpen.ms.toFixed(0)} ms, best ${snapOpen.min.toFixed(0)} ms`)
    for (const [name, policy, n] of [['never', 'never', 50_000], ['batched 100 ms', { intervalMs: 100 }, 50_000], ['always', 'always', 2000]] as const) {
      rows.push(`log     write rate, fsync ${name}: ${Math.round(await writeRate(policy, n))} updates/s`)
    }
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
  console.log(`storage bench (node ${process.version}, ${KEYS} keys, reopen x${RUNS})\n${rows.join('\n')}`)
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
