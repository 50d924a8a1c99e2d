// Typing speed of Text on long documents: N keystrokes, one character each,
// at random positions, then replicated to a second replica. Prints the time
// per phase, so the growth from 10k to 100k can be read off: a quadratic
// implementation would take 100x longer for 10x the keystrokes.
// Run: npm run bench:text  (BENCH_SIZES=10000,50000 to choose sizes, BENCH_REPEATS=n runs per size)
import { Text, VectorClock, connect } from '../index'

function lcg (seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 4294967296
  }
}

// CPU time of this process, not wall time: benches often share a busy machine.
type Mark = NodeJS.CpuUsage
const mark = (): Mark => process.cpuUsage()
const ms = (t0: Mark): number => {
  const d = process.cpuUsage(t0)
  return (d.user + d.system) / 1000
}

async function run (n: number): Promise<{ n: number, type: number, integrate: number, stream: number, bytes: number }> {
  const rand = lcg(n)
  const a = new Text('typist')
  let t0 = mark()
  for (let i = 0; i < n; i++) a.insert(Math.floor(rand() * (a.length + 1)), String.fromCharCode(97 + (i % 26)))
  const type = ms(t0)

  // Integration alone: a fresh replica applies every keystroke in order.
  const b = new Text('reader')
  const updates = a.history(new VectorClock())
  t0 = mark()
  for (const u of updates) b.receive(u)
  const integrate = ms(t0)
  if (b.toString() !== a.toString()) throw new Error('replica differs after integration')

  // End to end: the same over a real replica stream (JSON encode, decode, apply).
  const c = new Text('viewer')
  t0 = mark()
  const d = connect(a, c)
  await new Promise<void>((resolve) => {
    const check = (): void => { c.length === n ? resolve() : setImmediate(check) }
    check()
  })
  const stream = ms(t0)
  const bytes = d.a.stats.bytesSent
  d()
  if (c.toString() !== a.toString()) throw new Error('replica differs after streaming')
  for (const r of [a, b, c]) r.dispose()
  return { n, type, integrate, stream, bytes }
}

async function main (): Promise<void> {
  const sizes = (process.env.BENCH_SIZES ?? '10000,50000,100000').split(',').map(Number)
  const repeats = Number(process.env.BENCH_REPEATS ?? 3)
  console.log(`Text: N single-character keystrokes at random positions (CPU ms, best of ${repeats}; us per keystroke in brackets)`)
  console.log('       N |    type locally |  integrate remote | replicate over stream |  wire MB')
  await run(5000) // warm-up: let the JIT compile before the first measured size
  for (const n of sizes) {
    // Best of a few runs: on a shared machine the minimum is the least noisy figure.
    const r = await run(n)
    for (let i = 1; i < repeats; i++) {
      const again = await run(n)
      r.type = Math.min(r.type, again.type)
      r.integrate = Math.min(r.integrate, again.integrate)
      r.stream = Math.min(r.stream, again.stream)
    }
    const col = (t: number): string => `${t.toFixed(0).padStart(7)} [${(t * 1000 / n).toFixed(2).padStart(5)}]`
    console.log(`${String(n).padStart(8)} |  ${col(r.type)} |    ${col(r.integrate)} |        ${col(r.stream)} | ${(r.bytes / 1e6).toFixed(1).padStart(8)}`)
  }
  console.log('Per-op cost that stays roughly flat as N grows means near-linear total time (quadratic would grow per-op cost 10x from 10k to 100k).')
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
