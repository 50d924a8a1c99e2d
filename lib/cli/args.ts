import { readFileSync } from 'node:fs'

/** Parsed command line: positionals, flags (last wins) and repeated `--peer`s. */
export interface Args {
  readonly command: string | undefined
  readonly positional: string[]
  readonly flags: Map<string, string | true>
  readonly peers: string[]
}

/** Flags that never take a value. */
const BOOLEAN = new Set(['json', 'help', 'quiet', 'watch', 'no-stdin', 'version', 'bucket'])

/** Parse `argv` (without node and script): `--k v`, `--k=v`, `-h`, repeated `--peer`. */
export function parseArgs (argv: readonly string[]): Args {
  const positional: string[] = []
  const flags = new Map<string, string | true>()
  const peers: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (a === '--') { positional.push(...argv.slice(i + 1)); break }
    if (a === '-h') { flags.set('help', true); continue }
    if (!a.startsWith('--') || a === '--') { positional.push(a); continue }
    const eq = a.indexOf('=')
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2)
    let value: string | true
    if (eq > 0) value = a.slice(eq + 1)
    else if (BOOLEAN.has(name) || i + 1 >= argv.length) value = true
    else value = argv[++i] as string
    if (name === 'peer') {
      if (typeof value === 'string') peers.push(...value.split(',').filter((p) => p !== ''))
    } else {
      flags.set(name, value)
    }
  }
  return { command: positional.shift(), positional, flags, peers }
}

/** A string flag, or the default. */
export function flag (args: Args, name: string, def: string): string
export function flag (args: Args, name: string): string | undefined
export function flag (args: Args, name: string, def?: string): string | undefined {
  const v = args.flags.get(name)
  return typeof v === 'string' ? v : def
}

/** A numeric flag, or the default; a malformed number is a usage error. */
export function numberFlag (args: Args, name: string, def: number): number {
  const v = args.flags.get(name)
  if (typeof v !== 'string') return def
  const n = Number(v)
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${v}"`)
  return n
}

/** A mistake on the command line (exit code 2, with usage). */
export class UsageError extends Error {}

/** Parse a command-line value: JSON if it parses, else the raw string. */
export function parseValue (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/** TLS options from `--cert FILE --key FILE --ca FILE` (for tls:// and wss://), or undefined. */
export function tlsFlags (args: Args): { key?: Buffer, cert?: Buffer, ca?: Buffer } | undefined {
  const out: { key?: Buffer, cert?: Buffer, ca?: Buffer } = {}
  for (const name of ['key', 'cert', 'ca'] as const) {
    const file = flag(args, name)
    if (file === undefined) continue
    try {
      out[name] = readFileSync(file)
    } catch (err) {
      throw new UsageError(`--${name}: cannot read ${file}: ${(err as Error).message}`)
    }
  }
  return Object.keys(out).length > 0 ? out : undefined
}
