import type { ReplicaStream } from '../stream/replica-stream'

/** Where the CLI writes: JSON lines for scripts, or text for people. */
export class Output {
  readonly json: boolean
  readonly quiet: boolean
  private readonly out: NodeJS.WritableStream
  private readonly err: NodeJS.WritableStream & { isTTY?: boolean }

  constructor (json: boolean, quiet: boolean, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr) {
    this.json = json
    this.quiet = quiet
    this.out = out
    this.err = err
  }

  /** True when progress can redraw one line in place. */
  get tty (): boolean {
    return this.err.isTTY === true
  }

  /** A fact for scripts and people: a JSON line, or the human text. */
  event (type: string, fields: Record<string, unknown>, human: string): void {
    if (this.json) this.out.write(JSON.stringify({ type, ...fields }) + '\n')
    else this.out.write(human + '\n')
  }

  /** The answer of a command: bare JSON in --json mode, pretty text otherwise. */
  result (value: unknown): void {
    if (this.json) this.out.write(JSON.stringify(value ?? null) + '\n')
    else this.out.write(pretty(value) + '\n')
  }

  /** Chatter for people, on stderr (nothing in --json or --quiet mode). */
  info (text: string): void {
    if (!this.json && !this.quiet) this.err.write(text + '\n')
  }

  /** Status on stderr: a JSON line in --json mode, text otherwise (unless --quiet). */
  status (type: string, fields: Record<string, unknown>, human: string, redraw = false): void {
    if (this.quiet) return
    if (this.json) this.err.write(JSON.stringify({ type, ...fields }) + '\n')
    else if (redraw && this.tty) this.err.write('\r\x1b[K' + human)
    else this.err.write((this.tty && !redraw ? '\r\x1b[K' : '') + human + '\n')
  }
}

/** Pretty text for a value: strings bare, the rest as indented JSON. */
export function pretty (value: unknown): string {
  if (value === undefined) return '(not set)'
  if (typeof value === 'string') return value
  return JSON.stringify(value, null, 2)
}

/** Thousands separators, for counts people read. */
export function num (n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

/**
 * Show initial-sync progress of a stream (updates received, rate) until it
 * is synced, then one summary line (none at all with `quietWhenEmpty`
 * when the peer had nothing to send). Returns the cleanup.
 */
export function showProgress (out: Output, stream: ReplicaStream, label: string, everyMs = 250, quietWhenEmpty = false): () => void {
  const start = Date.now()
  const line = (final: boolean): void => {
    const n = stream.stats.updatesReceived
    if (quietWhenEmpty && n === 0) return
    const secs = Math.max(0.001, (Date.now() - start) / 1000)
    const rate = n / secs
    const fields = { peer: label, updates: n, bytes: stream.stats.bytesReceived, seconds: Number(secs.toFixed(3)), rate: Math.round(rate) }
    if (final) out.status('synced', fields, `synced with ${label}: ${num(n)} updates in ${secs.toFixed(2)} s (${num(rate)}/s)`)
    else out.status('progress', fields, `syncing with ${label}: ${num(n)} updates, ${num(rate)}/s`, true)
  }
  const timer = setInterval(() => line(false), everyMs)
  timer.unref()
  const done = (): void => {
    clearInterval(timer)
    line(true)
  }
  if (stream.synced) done()
  else stream.once('synced', done)
  return () => {
    clearInterval(timer)
    stream.removeListener('synced', done)
  }
}
