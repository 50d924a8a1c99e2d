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
    case 'bytesPerKey': case 'bytesPerUpdate': return `${v.toFixed(1)} B`
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

export function printTable (rows: Row[], systems: string[]): void {
  const others = systems.filter((s) => !SUBJECTS.includes(s))
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
  process.stdout.write('\ngv = grapevine (JSON lines), bin = grapevine with the gv-bin/1 codec, sb = scuttlebutt; a/b = a\'s figure divided by b\'s\n' +
    '(ms, cpuMs, bytes, ratio, B/key: lower is better; ups: higher is better). cpuMs/upsCpu count the CPU time of the\n' +
    'whole process (both replicas live in it): steadier than wall time on a loaded machine.\n')
}

/** The issue's targets, checked against one grapevine variant's medians. */
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
  const x = (v: number): string => `${v.toFixed(2)}x`
  const pct = (v: number): string => `${(v * 100).toFixed(0)}%`
  const s1 = find(/^S1 sync tcp N=100k ms$/) ?? find(/^S1 sync tcp N=\S+ ms$/)
  const s1cpu = find(new RegExp(`^${(s1?.label ?? 'none').replace(' ms', '')} cpuMs$`))
  const n = (s1?.label ?? '').replace(/^S1 sync tcp (N=\S+) ms$/, '$1')
  const gv = num(s1, subject)
  const gvc = num(s1cpu, subject)
  check(`S1 tcp ${n}: time / raw <= 1.5`, div(gv, num(s1, 'raw')), (v) => v <= 1.5, x, div(gvc, num(s1cpu, 'raw')))
  check(`S1 tcp ${n}: scuttlebutt / ${subject} >= 4`, div(num(s1, 'scuttlebutt'), gv), (v) => v >= 4, x, div(num(s1cpu, 'scuttlebutt'), gvc))
  check(`S1 tcp ${n}: ${subject} / yjs < 1`, div(gv, num(s1, 'yjs')), (v) => v < 1, x, div(gvc, num(s1cpu, 'yjs')))
  const big = find(/^S1 sync tcp N=1M ms$/)
  const small = find(/^S1 sync tcp N=100k ms$/)
  check('S1 tcp: time(N=1M) / (10 x time(N=100k)), linear ~1', div(num(big, subject), (num(small, subject) ?? NaN) * 10), (v) => v <= 1.5, x)
  for (const r of rows.filter((r) => /^S2 .* overIdeal$/.test(r.label))) {
    check(`${r.label.replace(' overIdeal', '')}: bytes / (missing updates + clocks) <= 1.2`, num(r, subject), (v) => v <= 1.2, x)
  }
  const s2ms = find(/^S2 .* k=100 ms$/)
  const s2cpu = find(/^S2 .* k=100 cpuMs$/)
  const ms = (v: number): string => `${v.toFixed(2)} ms`
  check('S2 k=100: time < 10 ms', num(s2ms, subject), (v) => v < 10, ms, num(s2cpu, subject))
  const s3 = find(/^S3 live tcp .* ups$/)
  const s3cpu = find(/^S3 live tcp .* upsCpu$/)
  check(`S3 tcp: ${subject} / raw >= 60%`, div(num(s3, subject), num(s3, 'raw')), (v) => v >= 0.6, pct, div(num(s3cpu, subject), num(s3cpu, 'raw')))
  check(`S3 tcp: ${subject} / scuttlebutt >= 5x`, div(num(s3, subject), num(s3, 'scuttlebutt')), (v) => v >= 5, x, div(num(s3cpu, subject), num(s3cpu, 'scuttlebutt')))
  const s4 = find(/^S4 .* ratio$/)
  check('S4: delivered / minimum <= 2', num(s4, subject), (v) => v <= 2, x)
  const s5 = find(/^S5 .*bytesPerKey$/)
  check('S5: heap per key beyond keys and values <= 200 B (same Model for both codecs)', num(s5, 'grapevine'), (v) => v <= 200, (v) => `${v.toFixed(1)} B`)
  if (subject === 'grapevine-bin') {
    const bin = find(/^S1 sync tcp N=100k bytesPerUpdate$/) ?? find(/^S1 sync tcp .* bytesPerUpdate$/)
    check('binary codec: bytes on the wire per map update <= 24', num(bin, subject), (v) => v <= 24, (v) => `${v.toFixed(1)} B`)
  }
  process.stdout.write(`\ntargets, ${subject}:\n` + lines.join('\n') + '\n')
}
