// kill -9 at random moments: the store reopens every time and no acknowledged
// write is lost. CRASH_ITERATIONS sets the number of kills (default 21; `npm run crash` runs 120).
import test from 'tape'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { LevelStorage, LogStorage, Model, persist } from '../../index'
import type { Storage } from '../../index'
import { KEYS } from './crash-child'
import { tempDir } from './conformance'
import { Rng } from '../helpers/rng'

const SEED = process.env.SEED !== undefined ? Number(process.env.SEED) : Date.now() % 2 ** 31
const ITERATIONS = Number(process.env.CRASH_ITERATIONS ?? 21)
const KINDS = ['log-always', 'log-batched', 'level'] as const

/** Run the child until it has acknowledged a little, kill it after `delayMs`; the highest ack. */
function runAndKill (kind: string, dir: string, delayMs: number): Promise<{ acked: number, start: number, compactions: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, 'crash-child.js'), kind, dir], { stdio: ['ignore', 'pipe', 'pipe'] })
    let acked = -1
    let start = -1
    let compactions = 0
    let buf = ''
    let err = ''
    child.stderr.on('data', (c: Buffer) => { err += c.toString() })
    child.stdout.on('data', (c: Buffer) => {
      buf += c.toString()
      let i
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i)
        buf = buf.slice(i + 1)
        const [word, num] = line.split(' ')
        if (word === 'ready') {
          start = Number(num)
          setTimeout(() => child.kill('SIGKILL'), delayMs)
        } else if (word === 'ack') acked = Math.max(acked, Number(num))
        else if (word === 'compacted') compactions++
      }
    })
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited ${String(code)} before the kill: ${err}`))
      else resolve({ acked, start, compactions })
    })
  })
}

const open = (kind: string, dir: string): Promise<Storage> =>
  kind === 'level' ? LevelStorage.open(dir) : LogStorage.open(dir, { fsync: 'never' })

test(`kill -9 at random moments: the store reopens and keeps every acknowledged write (${ITERATIONS} kills)`, async (t) => {
  const rng = new Rng(SEED)
  const dirs = new Map(KINDS.map((k) => [k, tempDir(`gv-crash-${k}-`)]))
  let kills = 0
  let ackedTotal = 0
  let torn = 0
  let compacted = 0
  try {
    for (let i = 0; i < ITERATIONS; i++) {
      const kind = KINDS[i % KINDS.length] as typeof KINDS[number]
      const { dir } = dirs.get(kind) as { dir: string }
      const { acked, start, compactions } = await runAndKill(kind, dir, rng.int(0, 150))
      compacted += compactions
      kills++
      ackedTotal += Math.max(0, acked - start + 1)
      const m = new Model('check')
      const storage = await open(kind, dir)
      if (storage.stats.truncatedBytes > 0) torn++
      const p = await persist(m, storage, { compactRatio: false })
      if (p.damage !== undefined) {
        // kill -9 only ever tears the tail, which is normal: reporting it would be a false alarm.
        t.fail(`SEED=${SEED} iteration ${i} (${kind}): a crash was reported as damage: ${JSON.stringify(p.damage)}`)
        await p.close()
        return
      }
      let top = -1
      for (const [, v] of m.entries()) if (typeof v === 'number' && v > top) top = v
      // Every write up to `top` survived (a prefix: the newest value of each key is there).
      let holes = 0
      for (let n = Math.max(0, top - KEYS + 1); n <= top; n++) if (m.get(`k${n % KEYS}`) !== n) holes++
      await p.close()
      if (top < acked || holes > 0) {
        t.fail(`SEED=${SEED} iteration ${i} (${kind}): acked ${acked}, store holds up to ${top}, ${holes} holes`)
        return
      }
      if (top < start - 1) {
        t.fail(`SEED=${SEED} iteration ${i} (${kind}): the store lost writes the previous run had stored`)
        return
      }
    }
    t.pass(`${kills} kills, ${ackedTotal} acknowledged writes, ${compacted} compactions, ${torn} torn log tails cut: every store reopened with every acknowledged write and no false report of damage (SEED=${SEED})`)
  } finally {
    for (const d of dirs.values()) d.rm()
  }
})
