import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { join } from 'node:path'

/** The compiled CLI entry point. */
export const CLI_MAIN = join(__dirname, '../../lib/cli/main.js')

type Line = Record<string, unknown>

/** A long-running CLI process with its JSON-line stdout parsed as it comes. */
export class Proc {
  readonly child: ChildProcessWithoutNullStreams
  /** Parsed stdout lines (unless `keep` is false). */
  readonly lines: Line[] = []
  /** Called with every parsed line. */
  readonly listeners: Array<(l: Line) => void> = []
  /** Keep every line in `lines` (turn off for long runs). */
  keep = true
  stderr = ''
  private buf = ''

  /** Run `grapevine ...args`, through `prefix` (e.g. `ip netns exec ns node`). */
  constructor (args: string[], prefix: string[] = [process.execPath]) {
    this.child = spawn(prefix[0] as string, [...prefix.slice(1), CLI_MAIN, ...args])
    this.child.stdin.on('error', () => {})
    this.child.stdout.on('data', (d: Buffer) => {
      this.buf += d.toString()
      let i
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i)
        this.buf = this.buf.slice(i + 1)
        let l: Line
        try { l = JSON.parse(line) as Line } catch { l = { type: 'text', text: line } }
        if (this.keep) this.lines.push(l)
        for (const fn of this.listeners) fn(l)
      }
    })
    this.child.stderr.on('data', (d: Buffer) => { this.stderr += d.toString() })
  }

  get alive (): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /** Wait for a line matching `pred` (already seen or to come). */
  async waitFor (pred: (l: Line) => boolean, ms = 10_000): Promise<Line> {
    const end = Date.now() + ms
    for (;;) {
      const hit = this.lines.find(pred)
      if (hit !== undefined) return hit
      if (Date.now() > end) throw new Error(`timed out; got ${JSON.stringify(this.lines.slice(-20))} ${this.stderr}`)
      await new Promise((r) => setTimeout(r, 10))
    }
  }

  /** Send one command line on stdin (ignored once the process is gone). */
  send (line: string): void {
    if (this.alive && this.child.stdin.writable) this.child.stdin.write(line + '\n')
  }

  /** Send a command on stdin and resolve with the next line of type `reply`. */
  request (cmd: string, reply: string, ms = 10_000): Promise<Line> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { done(); reject(new Error(`no '${reply}' reply to '${cmd}'`)) }, ms)
      const fn = (l: Line): void => { if (l.type === reply) { done(); resolve(l) } }
      const done = (): void => {
        clearTimeout(timer)
        const i = this.listeners.indexOf(fn)
        if (i >= 0) this.listeners.splice(i, 1)
      }
      this.listeners.push(fn)
      this.send(cmd)
    })
  }

  /** SIGKILL, and wait until it is gone. */
  kill (): Promise<void> {
    return this.signal('SIGKILL')
  }

  /** SIGTERM (a clean stop), and wait until it is gone. */
  stop (): Promise<void> {
    return this.signal('SIGTERM')
  }

  private signal (sig: NodeJS.Signals): Promise<void> {
    return new Promise((resolve) => {
      if (!this.alive) return resolve()
      this.child.once('close', () => resolve())
      this.child.kill(sig)
    })
  }
}
