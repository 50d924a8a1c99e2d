/** One table row: a figure of one scenario cell, per system (a number or why not). */
export interface Row {
  label: string
  figure: string
  values: Record<string, number | string>
}

export function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}

/** A figure in its unit. */
export function format (figure: string, v: number | string | undefined): string {
  if (v === undefined) return '-'
  if (typeof v === 'string') return v
  if (!Number.isFinite(v)) return 'n/a'
  switch (figure) {
    case 'ms': case 'cpuMs': return v < 10 ? `${v.toFixed(2)} ms` : v < 1000 ? `${v.toFixed(0)} ms` : `${(v / 1000).toFixed(2)} s`
    case 'bytes': case 'bytesAB': case 'bytesBA': case 'delivered':
      return v < 10_000 ? `${v.toFixed(0)} B` : v < 10_000_000 ? `${(v / 1000).toFixed(1)} kB` : `${(v / 1e6).toFixed(1)} MB`
    case 'ups': case 'upsCpu': return `${(v / 1000).toFixed(0)}k/s`
    case 'bytesPerKey': case 'heapPerKey': case 'rssPerKey': case 'bytesPerUpdate': return `${v.toFixed(1)} B`
    default: return `${v.toFixed(2)}x`
  }
}

/** grapevine's figure over another system's, as "1.23x". */
function ratio (a: number | string | undefined, b: number | string | undefined): string {
  if (typeof a !== 'number' || typeof b !== 'number' || b === 0 || !Number.isFinite(a) || !Number.isFinite(b)) return '-'
  const r = a / b
  return r >= 100 ? `${r.toFixed(0)}x` : r >= 10 ? `${r.toFixed(1)}x` : `${r.toFixed(2)}x`
}

const SUBJECTS = ['grapevine', 'grapevine-bin']
const SHORT: Record<string, string> = { grapevine: 'gv', 'grapevine-bin': 'bin', scuttlebutt: 'sb' }
/** Systems shown in the table but left out of the ratio columns (they have their own lines under the targets). */
const NO_RATIO = ['parse']

export function printTable (rows: Row[], systems: string[]): void {
  const others = systems.filter((s) => !SUBJECTS.includes(s) && !NO_RATIO.includes(s))
  const pairs: Array<[string, string]> = []
  for (const subject of SUBJECTS) for (const o of others) pairs.push([subject, o])
  const head = ['scenario / figure', ...systems, ...pairs.map(([a, b]) => `${SHORT[a] ?? a}/${SHORT[b] ?? b}`)]
  const body = rows.map((r) => [
    r.label,
    ...systems.map((s) => format(r.figure, r.values[s])),
    ...pairs.map(([a, b]) => ratio(r.values[a], r.values[b]))
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)))
  const line = (cells: string[]): string => cells.map((c, i) => i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)).join('  ')
  process.stdout.write('\n' + line(head) + '\n' + widths.map((w) => '-'.repeat(w)).join('  ') + '\n')
  for (const b of body) process.stdout.write(line(b) + '\n')
  process.stdout.write('\ngv = grapevine (JSON lines, codecs: []), bin = grapevine as it comes (gv-bin/1 between grapevine peers), sb = scuttlebutt;\n' +
    'raw = the raw replica (parse each JSON line, apply it to a Map), parse = the parse ceiling (parse, keep nothing); a/b = a\'s figure divided by b\'s\n' +
    '(ms, cpuMs, bytes, ratio, B/key: lower is better; ups: higher is better). cpuMs/upsCpu count the CPU time of the\n' +
    'whole process (both replicas live in it): steadier than wall time on a loaded machine.\n')
}

/** The issue's targets (issue 13, and those of issue 7 still in force), checked against one grapevine variant's medians. */
export function printTargets (rows: Row[], subject: string): void {
  const find = (re: RegExp): Row | undefined => rows.filter((r) => re.test(r.label)).pop()
  const num = (r: Row | undefined, s: string): number | undefined => {
    const v = r?.values[s]
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined
  }
  const div = (a: number | undefined, b: number | undefined): number | undefined => a === undefined || b === undefined ? undefined : a / b
  const lines: string[] = []
  const check = (name: string, value: number | undefined, ok: (v: number) => boolean, shown: (v: number) => string, cpu?: number): void => {
    if (value === undefined) { lines.push(`  ?    ${name}: not measured`); return }
    lines.push(`  ${ok(value) ? 'met ' : 'MISS'} ${name}: ${shown(value)}${cpu !== undefined ? ` (by CPU time: ${shown(cpu)})` : ''}`)
  }
  const info = (name: string, value: number | undefined, shown: (v: number) => string, cpu?: number): void => {
    if (value !== undefined) lines.push(`  --   ${name}: ${shown(value)}${cpu !== undefined ? ` (by CPU time: ${shown(cpu)})` : ''}`)
  }
  const x = (v: number): string => `${v.toFixed(2)}x`
  const pct = (v: number): string => `${(v * 100).toFixed(0)}%`
  const pair = (label: string): [Row | undefined, Row | undefined] => [find(new RegExp(`^${label} ms$`)), find(new RegExp(`^${label} cpuMs$`))]
  const bin = subject === 'grapevine-bin'

  const [s1, s1cpu] = pair('S1 sync tcp N=100k')
  const rawMax = bin ? 1.0 : 1.2
  check(`S1 tcp 100k: ${subject} / raw replica <= ${rawMax.toFixed(1)}`, div(num(s1, subject), num(s1, 'raw')), (v) => v <= rawMax, x, div(num(s1cpu, subject), num(s1cpu, 'raw')))
  info(`S1 tcp 100k: ${subject} / parse ceiling (no apply)`, div(num(s1, subject), num(s1, 'parse')), x, div(num(s1cpu, subject), num(s1cpu, 'parse')))
  check(`S1 tcp 100k: scuttlebutt / ${subject} >= 4`, div(num(s1, 'scuttlebutt'), num(s1, subject)), (v) => v >= 4, x, div(num(s1cpu, 'scuttlebutt'), num(s1cpu, subject)))
  for (const n of ['10k', '100k', '1M']) {
    const [r, c] = pair(`S1 sync tcp N=${n}`)
    check(`S1 tcp ${n}: ${subject} / yjs < 1`, div(num(r, subject), num(r, 'yjs')), (v) => v < 1, x, div(num(c, subject), num(c, 'yjs')))
  }
  const big = find(/^S1 sync tcp N=1M ms$/)
  check('S1 tcp: time(N=1M) / (10 x time(N=100k)), linear ~1', div(num(big, subject), (num(s1, subject) ?? NaN) * 10), (v) => v <= 1.5, x)
  for (const t of ['pipe', 'tcp']) {
    const [r, c] = pair(`S1 cold ${t} N=10k`)
    check(`S1 cold ${t} 10k (fresh process): ${subject} / scuttlebutt <= 1`, div(num(r, subject), num(r, 'scuttlebutt')), (v) => v <= 1, x, div(num(c, subject), num(c, 'scuttlebutt')))
  }
  for (const r of rows.filter((r) => /^S2 .* overIdeal$/.test(r.label))) {
    check(`${r.label.replace(' overIdeal', '')}: bytes / (missing updates + clocks) <= 1.2`, num(r, subject), (v) => v <= 1.2, x)
  }
  const [s2ms, s2cpu] = pair('S2 reconnect N=\\S+ k=100')
  const ms = (v: number): string => `${v.toFixed(2)} ms`
  check('S2 k=100: time < 10 ms', num(s2ms, subject), (v) => v < 10, ms, num(s2cpu, subject))
  const s3 = find(/^S3 live tcp .* ups$/)
  const s3cpu = find(/^S3 live tcp .* upsCpu$/)
  const s3min = bin ? 1.0 : 0.6
  check(`S3 tcp: ${subject} / raw replica >= ${pct(s3min)}`, div(num(s3, subject), num(s3, 'raw')), (v) => v >= s3min, pct, div(num(s3cpu, subject), num(s3cpu, 'raw')))
  info(`S3 tcp: ${subject} / parse ceiling (no apply)`, div(num(s3, subject), num(s3, 'parse')), pct, div(num(s3cpu, subject), num(s3cpu, 'parse')))
  check(`S3 tcp: ${subject} / scuttlebutt >= 5x`, div(num(s3, subject), num(s3, 'scuttlebutt')), (v) => v >= 5, x, div(num(s3cpu, subject), num(s3cpu, 'scuttlebutt')))
  const s4 = find(/^S4 .* ratio$/)
  check('S4: updates delivered / minimum <= 2', num(s4, subject), (v) => v <= 2, x)
  const s5 = find(/^S5 .*N=1M bytesPerKey$/) ?? find(/^S5 .* bytesPerKey$/)
  const b = (v: number): string => `${v.toFixed(1)} B`
  check('S5: bytes per key beyond keys and values, heap and off-heap, <= 64 B (same Model for both codecs)', num(s5, 'grapevine'), (v) => v <= 64, b)
  if (bin) {
    const per = find(/^S1 sync tcp N=100k bytesPerUpdate$/) ?? find(/^S1 sync tcp .* bytesPerUpdate$/)
    check('binary codec: bytes on the wire per map update <= 24', num(per, subject), (v) => v <= 24, b)
  }
  process.stdout.write(`\ntargets, ${subject} (-- : a ceiling, for scale, not a target):\n` + lines.join('\n') + '\n')
}
