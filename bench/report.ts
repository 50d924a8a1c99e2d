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

export function printTable (rows: Row[], systems: string[]): void {
  const others = systems.filter((s) => s !== 'grapevine')
  const head = ['scenario / figure', ...systems, ...others.map((s) => `gv/${s}`)]
  const body = rows.map((r) => [
    r.label,
    ...systems.map((s) => format(r.figure, r.values[s])),
    ...others.map((s) => ratio(r.values.grapevine, r.values[s]))
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)))
  const line = (cells: string[]): string => cells.map((c, i) => i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)).join('  ')
  process.stdout.write('\n' + line(head) + '\n' + widths.map((w) => '-'.repeat(w)).join('  ') + '\n')
  for (const b of body) process.stdout.write(line(b) + '\n')
  process.stdout.write('\ngv/x: grapevine\'s figure divided by x\'s (time, bytes, ratio, B/key: lower is better; ups: higher is better)\n')
}

/** The targets, checked against grapevine's medians. */
export function printTargets (rows: Row[]): void {
  const find = (re: RegExp): Row | undefined => rows.filter((r) => re.test(r.label)).pop()
  const num = (r: Row | undefined, s: string): number | undefined => {
    const v = r?.values[s]
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined
  }
  const lines: string[] = []
  const check = (name: string, value: number | undefined, ok: (v: number) => boolean, shown: (v: number) => string): void => {
    if (value === undefined) { lines.push(`  ?    ${name}: not measured`); return }
    lines.push(`  ${ok(value) ? 'met ' : 'MISS'} ${name}: ${shown(value)}`)
  }
  const x = (v: number): string => `${v.toFixed(2)}x`
  const s1 = find(/^S1 sync tcp N=100k ms$/) ?? find(/^S1 sync tcp N=\S+ ms$/)
  const gv = num(s1, 'grapevine')
  const div = (a: number | undefined, b: number | undefined): number | undefined => a === undefined || b === undefined ? undefined : a / b
  check(`S1 tcp (${s1?.label ?? ''}) time / raw <= 1.5`, div(gv, num(s1, 'raw')), (v) => v <= 1.5, x)
  check('S1 tcp scuttlebutt / grapevine >= 4', div(num(s1, 'scuttlebutt'), gv), (v) => v >= 4, x)
  check('S1 tcp grapevine / yjs < 1', div(gv, num(s1, 'yjs')), (v) => v < 1, x)
  const big = find(/^S1 sync tcp N=1M ms$/)
  const small = find(/^S1 sync tcp N=100k ms$/)
  check('S1 tcp N=1M time / (10 x N=100k time) (linear ~1)', div(num(big, 'grapevine'), (num(small, 'grapevine') ?? NaN) * 10), (v) => v <= 1.5, x)
  for (const r of rows.filter((r) => /^S2 .* overIdeal$/.test(r.label))) {
    check(`${r.label.replace(' overIdeal', '')} bytes / (missing updates + clocks) <= 1.2`, num(r, 'grapevine'), (v) => v <= 1.2, x)
  }
  const s2ms = find(/^S2 .* k=100 ms$/)
  check('S2 k=100 time < 10 ms', num(s2ms, 'grapevine'), (v) => v < 10, (v) => `${v.toFixed(2)} ms`)
  const s3 = find(/^S3 live tcp .* ups$/)
  check('S3 tcp grapevine / raw >= 60%', div(num(s3, 'grapevine'), num(s3, 'raw')), (v) => v >= 0.6, (v) => `${(v * 100).toFixed(0)}%`)
  check('S3 tcp grapevine / scuttlebutt >= 5x', div(num(s3, 'grapevine'), num(s3, 'scuttlebutt')), (v) => v >= 5, x)
  const s4 = find(/^S4 .* ratio$/)
  check('S4 delivered / minimum <= 2', num(s4, 'grapevine'), (v) => v <= 2, x)
  const s5 = find(/^S5 .*bytesPerKey$/)
  check('S5 heap per key beyond keys and values <= 200 B', num(s5, 'grapevine'), (v) => v <= 200, (v) => `${v.toFixed(1)} B`)
  const bin = find(/bytesPerUpdate$/)
  check('binary codec bytes per map update <= 24', num(bin, 'grapevine'), (v) => v <= 24, (v) => `${v.toFixed(1)} B`)
  process.stdout.write('\ntargets (grapevine):\n' + lines.join('\n') + '\n')
}
