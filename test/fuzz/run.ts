// The long fuzz run: `npm run fuzz` (FUZZ_LINES=n to change the length,
// SEED=n to replay). Prints its seed first and a report last; exits 1 on
// any crash, uncoded error, corruption or bad output. Stops by itself.
import { seedFromEnv } from '../helpers/rng'
import { fuzzAuth } from './auth'
import { type FuzzReport, runFuzz } from './engine'

const MiB = 1024 * 1024
const seed = seedFromEnv()
const lines = Number(process.env.FUZZ_LINES ?? 1_000_000)
const gc = (globalThis as { gc?: () => void }).gc

const summary = (r: FuzzReport): string =>
  `${r.lines} lines and frames, ${(r.bytes / MiB).toFixed(1)} MiB, ${r.sessions} sessions (${r.binarySessions} binary), ${r.acceptedUpdates} accepted, ` +
  `crashes ${r.crashes.length}, uncoded ${r.uncoded.length}, corruptions ${r.corruptions.length}, ` +
  `heap ${(process.memoryUsage().heapUsed / MiB).toFixed(0)} MiB (peak ${(r.peakHeapBytes / MiB).toFixed(0)} MiB)`

async function main (): Promise<void> {
  process.stdout.write(`fuzz: seed ${seed}, ${lines} lines (replay with SEED=${seed} FUZZ_LINES=${lines})\n`)
  const r = await runFuzz({ seed, lines, progressEvery: 2000, onProgress: (p) => process.stdout.write(`  ${summary(p)}\n`) })
  gc?.()
  const retained = process.memoryUsage().heapUsed
  process.stdout.write(`fuzz: done in ${(r.ms / 1000).toFixed(1)} s: ${summary(r)}\n`)
  process.stdout.write(`fuzz: heap at start ${(r.startHeapBytes / MiB).toFixed(0)} MiB, retained after GC ${(retained / MiB).toFixed(0)} MiB${gc === undefined ? ' (run with --expose-gc for an exact figure)' : ''}\n`)
  process.stdout.write(`fuzz: codes ${JSON.stringify(r.codes)}\n`)
  const attempts = Number(process.env.FUZZ_AUTH ?? 20_000)
  const a = await fuzzAuth(seed, attempts)
  process.stdout.write(`fuzz: ${a.attempts} hostile handshakes, admitted ${a.admitted.length}, uncoded ${a.uncoded.length}, leaks ${a.leaks.length}, refused ${JSON.stringify(a.refused)}\n`)
  const problems = [...r.crashes, ...r.uncoded, ...r.corruptions, ...r.badOutput, ...a.admitted, ...a.uncoded, ...a.leaks]
  for (const p of problems.slice(0, 20)) process.stdout.write(`PROBLEM ${p}\n`)
  process.exitCode = problems.length === 0 ? 0 : 1
}

main().catch((err) => {
  process.stdout.write(`fuzz: runner failed: ${String((err as Error)?.stack ?? err)}\n`)
  process.exitCode = 1
})
