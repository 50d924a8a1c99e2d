// npm run bench [-- --quick] [--only=s1,s3] [--systems=grapevine,raw]
// Runs each (scenario, system) cell in its own child process, one at a time,
// and prints one table: each system's median figure and grapevine's ratio.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import type { Params, Sample } from './scenarios'
import { median, printTable, printTargets, type Row } from './report'

const argv = process.argv.slice(2)
const quick = argv.includes('--quick') || process.env.BENCH_QUICK === '1'
const only = listArg('--only')
const onlySystems = listArg('--systems')
const ALL = ['grapevine', 'grapevine-bin', 'raw', 'parse', 'scuttlebutt', 'yjs']

function listArg (name: string): string[] | undefined {
  const a = argv.find((x) => x.startsWith(`${name}=`))
  return a === undefined ? undefined : a.slice(name.length + 1).split(',')
}

interface Cell {
  scenario: string
  label: string
  systems: string[]
  params: Params
  /** Figures to show, in order. */
  figures: string[]
  /** Kill the child after this long and report "did not finish". */
  capMs: number
  /** Run the cell in this many fresh processes, pooling their samples (cold starts). Default 1. */
  repeat?: number
}

function cells (): Cell[] {
  const q = quick
  const out: Cell[] = []
  // N = 1M runs over TCP only unless BENCH_FULL=1 (it dominates the run time).
  const s1n = q ? [2_000, 10_000] : [10_000, 100_000, 1_000_000]
  for (const transport of ['pipe', 'tcp'] as const) {
    for (const n of s1n) {
      if (n >= 1_000_000 && transport === 'pipe' && process.env.BENCH_FULL !== '1') continue
      out.push({
        scenario: 's1',
        label: `S1 sync ${transport} N=${fmtN(n)}`,
        systems: ALL,
        params: { n, transport, runs: n >= 1_000_000 ? 2 : n >= 100_000 ? 3 : 5, limitMs: q ? 30_000 : 40_000 },
        figures: ['ms', 'cpuMs', 'bytesAB', 'bytesBA', 'bytesPerUpdate'],
        capMs: q ? 60_000 : 150_000
      })
    }
  }
  // Cold: the first sync of a fresh process, no warm-up (JIT not settled), in 5 processes.
  for (const transport of ['pipe', 'tcp'] as const) {
    out.push({
      scenario: 's1',
      label: `S1 cold ${transport} N=10k`,
      systems: ALL,
      params: { n: 10_000, transport, runs: 1, warmups: 0, limitMs: 30_000 },
      figures: ['ms', 'cpuMs'],
      capMs: 60_000,
      repeat: q ? 3 : 5
    })
  }
  for (const k of q ? [100] : [100, 1_000]) {
    out.push({
      scenario: 's2',
      label: `S2 reconnect N=${fmtN(q ? 10_000 : 100_000)} k=${k}`,
      systems: ALL,
      params: { n: q ? 10_000 : 100_000, k, runs: 5, limitMs: 60_000 },
      figures: ['ms', 'cpuMs', 'bytes', 'overIdeal'],
      capMs: q ? 60_000 : 150_000
    })
  }
  for (const transport of ['pipe', 'tcp'] as const) {
    out.push({
      scenario: 's3',
      label: `S3 live ${transport} N=${fmtN(q ? 20_000 : 200_000)}`,
      systems: ALL,
      params: { n: q ? 20_000 : 200_000, transport, runs: 3, limitMs: 60_000 },
      figures: ['ups', 'upsCpu'],
      capMs: 150_000
    })
  }
  out.push({
    scenario: 's4',
    label: `S4 mesh 10x${q ? 100 : 1000}`,
    systems: ['grapevine', 'grapevine-bin', 'scuttlebutt', 'yjs'],
    params: { replicas: 10, writes: q ? 100 : 1_000, runs: 3, limitMs: 60_000 },
    figures: ['ms', 'cpuMs', 'ratio'],
    capMs: 150_000
  })
  out.push({
    scenario: 's5',
    label: `S5 memory N=${fmtN(q ? 50_000 : 1_000_000)}`,
    systems: ['grapevine', 'raw', 'scuttlebutt', 'yjs'],
    params: { n: q ? 50_000 : 1_000_000, runs: q ? 3 : 1 },
    figures: ['bytesPerKey', 'heapPerKey', 'rssPerKey'],
    capMs: 150_000
  })
  return out.filter((c) => only === undefined || only.includes(c.scenario))
}

function fmtN (n: number): string {
  return n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n)
}

interface Outcome { samples?: Sample[], error?: string }

function runCell (scenario: string, system: string, params: Params, capMs: number): Promise<Outcome> {
  const worker = join(__dirname, 'worker.js')
  const job = JSON.stringify({ scenario, system, params })
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', '--max-old-space-size=8192', worker, job], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (c: Buffer) => { out += c.toString('utf8') })
    const timer = setTimeout(() => { child.kill('SIGKILL') }, capMs)
    child.on('close', () => {
      clearTimeout(timer)
      const line = out.trim().split('\n').pop() ?? ''
      try {
        resolve(JSON.parse(line) as Outcome)
      } catch {
        resolve({ error: 'did not finish' })
      }
    })
  })
}

async function main (): Promise<void> {
  const rows: Row[] = []
  const started = Date.now()
  for (const cell of cells()) {
    const results: Record<string, Outcome> = {}
    for (const system of cell.systems) {
      if (onlySystems !== undefined && !onlySystems.includes(system)) continue
      const t0 = Date.now()
      // scuttlebutt does not finish N = 1M (its history is written in one
      // synchronous burst, so its own time limit cannot fire): cap it at 60 s.
      const cap = system === 'scuttlebutt' && (cell.params.n ?? 0) >= 1_000_000 ? Math.min(cell.capMs, 60_000) : cell.capMs
      let r: Outcome = { samples: [] }
      for (let i = 0; i < (cell.repeat ?? 1) && r.error === undefined; i++) {
        const one = await runCell(cell.scenario, system, cell.params, cap)
        r = one.error !== undefined ? one : { samples: [...(r.samples ?? []), ...(one.samples ?? [])] }
      }
      results[system] = r
      const note = r.error ?? (r.samples?.every((s) => s.converged) === true ? 'ok' : 'DID NOT CONVERGE')
      process.stderr.write(`  ${cell.label} ${system}: ${note} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`)
    }
    for (const fig of cell.figures) {
      const row: Row = { label: `${cell.label} ${fig}`, figure: fig, values: {} }
      for (const [system, r] of Object.entries(results)) {
        if (r.samples === undefined || r.samples.length === 0) row.values[system] = r.error ?? 'n/a'
        else if (!r.samples.every((s) => s.converged)) row.values[system] = 'diverged'
        else row.values[system] = median(r.samples.map((s) => s.figures[fig] ?? NaN))
      }
      rows.push(row)
    }
  }
  printTable(rows, ALL)
  printTargets(rows, 'grapevine')
  printTargets(rows, 'grapevine-bin')
  process.stdout.write(`\n${quick ? 'quick run (--quick: small N, not comparable)' : 'full run'}: ${((Date.now() - started) / 1000).toFixed(0)} s, every figure a median of several runs after a warm-up\n`)
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`)
  process.exit(1)
})
