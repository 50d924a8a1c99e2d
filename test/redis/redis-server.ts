import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import net, { type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Where redis-server is, or a clear reason why the Redis tests cannot run. */
export function findRedisServer (): string {
  const fromEnv = process.env.REDIS_SERVER
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim()
  } catch {
    throw new Error('redis-server is not installed: the Redis tests need a real one (apt-get install redis-server; .ci/run installs it), or set REDIS_SERVER=/path/to/redis-server')
  }
}

/** A free loopback TCP port (the listener is closed again before it is used). */
export async function freePort (): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as AddressInfo).port
  await new Promise((resolve) => s.close(resolve))
  return port
}

/** Options of a test Redis. */
export interface RedisServerOptions {
  /** `always` (every acknowledged write is on disk) or `everysec`. Default `always`. */
  appendfsync?: 'always' | 'everysec'
  /** Extra `--name value` arguments. */
  args?: string[]
}

/**
 * A real redis-server of our own on a free loopback port, with its AOF on
 * and its files in a temporary directory, so a test can kill it (-9) and
 * restart it on the same port and data.
 */
export class RedisServer {
  child: ChildProcess | undefined
  log = ''

  private constructor (readonly bin: string, readonly port: number, readonly dir: string, private readonly opts: RedisServerOptions) {}

  /** Start one. Throws (with the reason) if redis-server is missing or does not start. */
  static async start (opts: RedisServerOptions = {}): Promise<RedisServer> {
    const bin = findRedisServer()
    const dir = mkdtempSync(join(tmpdir(), 'gv-redis-'))
    const r = new RedisServer(bin, await freePort(), dir, opts)
    await r.boot()
    return r
  }

  /** `redis://127.0.0.1:port`. */
  get url (): string {
    return `redis://127.0.0.1:${this.port}`
  }

  get alive (): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
  }

  /** Start again on the same port and directory (it replays its AOF). */
  async boot (): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '',
      '--appendonly', 'yes', '--appendfsync', this.opts.appendfsync ?? 'always', '--daemonize', 'no', '--protected-mode', 'no',
      ...(this.opts.args ?? [])]
    const child = spawn(this.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    this.child = child
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${this.log}`)), 15_000)
      const onData = (d: Buffer): void => {
        this.log += d.toString()
        if (this.log.includes('Ready to accept connections')) {
          clearTimeout(timer)
          resolve()
        }
      }
      child.stdout?.on('data', onData)
      child.stderr?.on('data', onData)
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`redis-server exited (${String(code)}): ${this.log}`)) })
    })
    this.log = ''
  }

  /** SIGKILL: no shutdown, no last fsync. */
  kill (): Promise<void> {
    return this.signal('SIGKILL')
  }

  /** SIGTERM: a clean shutdown. */
  stop (): Promise<void> {
    return this.signal('SIGTERM')
  }

  /** Kill it and remove its files. */
  async destroy (): Promise<void> {
    await this.kill()
    rmSync(this.dir, { recursive: true, force: true })
  }

  private signal (sig: NodeJS.Signals): Promise<void> {
    const c = this.child
    if (c === undefined || !this.alive) return Promise.resolve()
    return new Promise((resolve) => {
      c.once('exit', () => resolve())
      c.kill(sig)
    })
  }
}
