import { EventEmitter } from 'node:events'
import type { createClient } from '@redis/client'
import { GrapevineError, invalidArgument } from '../errors/grapevine-error'
import type { Update } from '../wire/types'
import { type DocKeys, type LogEntry, type Snapshot, SNAPSHOT_FIELDS, decodeSnapshot, decodeXread, encodeBatch } from './entries'
import { APPEND, BEGIN_COMPACT, COMPACT, RELEASE, type Script } from './scripts'

/** Options of a RedisBackend. */
export interface BackendOptions {
  /** Give up on a command after this many ms; the backend then counts as down. Default 5 000. */
  commandTimeoutMs?: number
  /** Longest wait between reconnect attempts, in ms (attempts start at 50 ms and double). Default 1 000. */
  maxReconnectMs?: number
  /** Client name shown by CLIENT LIST. Default `grapevine-relay`. */
  name?: string
}

/** What appending a batch returned. */
export interface Appended {
  readonly id: string
  readonly seq: number
  readonly total: number
}

// reason: the client's generic parameters (modules, scripts, RESP) do not matter here; we only sendCommand.
type Client = ReturnType<typeof createClient>

/**
 * The thin I/O shell over Redis, with two connections: one for commands
 * (appends, snapshots, compaction) and one that blocks in XREAD. Both fail
 * fast while disconnected (no offline queue): a write queued behind a lost
 * connection and sent after the reconnect could land after writes that
 * depend on it, and the log would have a hole.
 *
 * Events: 'up' when the command connection is ready, 'down' (err) when it
 * is lost (a coded ERR_BACKEND), both on transitions only.
 */
export class RedisBackend extends EventEmitter {
  private readonly cmd: Client
  private readonly reader: Client
  private readonly timeoutMs: number
  private readerId: number | undefined
  private isUp = false
  private state: 'new' | 'up' | 'down' = 'new'
  private closedFlag = false

  constructor (readonly url: string, opts: BackendOptions = {}) {
    super()
    if (!/^rediss?:\/\//.test(url)) invalidArgument(`a Redis URL starts with redis:// or rediss://, got ${JSON.stringify(url)}`)
    this.timeoutMs = opts.commandTimeoutMs ?? 5000
    const maxMs = opts.maxReconnectMs ?? 1000
    // Loaded here, not at import: grapevine without Redis never pays for the client.
    const redis = require('@redis/client') as typeof import('@redis/client')
    const make = (name: string): Client => redis.createClient({
      url,
      name,
      RESP: 2,
      disableOfflineQueue: true,
      socket: { connectTimeout: this.timeoutMs, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 10), maxMs) }
    })
    this.cmd = make(opts.name ?? 'grapevine-relay')
    this.reader = make(`${opts.name ?? 'grapevine-relay'}-reader`)
    this.cmd.on('ready', () => this.setUp(true))
    this.cmd.on('error', (err: unknown) => this.setUp(false, err))
    this.cmd.on('end', () => this.setUp(false))
    this.reader.on('ready', () => { this.readerId = undefined })
    // Errors of the reader show up as failed XREADs; the listener keeps them from crashing the process.
    this.reader.on('error', () => {})
  }

  /** True while the command connection is ready. */
  get up (): boolean {
    return this.isUp
  }

  /** Connect both connections; resolves once both are ready (retrying while Redis is down). */
  async connect (): Promise<void> {
    await Promise.all([this.cmd.connect(), this.reader.connect()])
  }

  /** Resolves the next time the backend is up (at once if it is). */
  whenUp (): Promise<void> {
    if (this.isUp || this.closedFlag) return Promise.resolve()
    return new Promise((resolve) => {
      const done = (): void => { this.off('up', done); this.off('close', done); resolve() }
      this.on('up', done)
      this.on('close', done)
    })
  }

  /** Append one batch to a document's log. */
  async append (keys: DocKeys, relay: string, updates: readonly Update[]): Promise<Appended> {
    const r = await this.run(APPEND, [keys.log, keys.meta], [relay, String(updates.length), encodeBatch(updates)])
    if (!Array.isArray(r) || r.length !== 3 || typeof r[0] !== 'string') throw backendError('append returned an unexpected reply')
    return { id: r[0], seq: Number(r[1]), total: Number(r[2]) }
  }

  /** The document's snapshot, if it has one. */
  async snapshot (keys: DocKeys): Promise<Snapshot | undefined> {
    const r = decodeSnapshot(await this.command(['HMGET', keys.snap, ...SNAPSHOT_FIELDS]))
    if (r instanceof GrapevineError) throw r
    return r
  }

  /** Up to `count` entries of one log after `cursor`, without blocking (catching up). */
  async readFrom (keys: DocKeys, cursor: string, count: number): Promise<Array<LogEntry | GrapevineError>> {
    const r = decodeXread(await this.command(['XREAD', 'COUNT', String(count), 'STREAMS', keys.log, cursor]))
    return r.get(keys.log) ?? []
  }

  /**
   * Wait up to `blockMs` for entries after the cursors of several logs, on
   * the reader connection; `unblock()` ends the wait early (a new document
   * joined the set).
   */
  async tail (cursors: ReadonlyArray<readonly [string, string]>, count: number, blockMs: number): Promise<Map<string, Array<LogEntry | GrapevineError>>> {
    if (this.readerId === undefined) this.readerId = Number(await this.reader.sendCommand(['CLIENT', 'ID']))
    const args = ['XREAD', 'COUNT', String(count), 'BLOCK', String(blockMs), 'STREAMS', ...cursors.map((c) => c[0]), ...cursors.map((c) => c[1])]
    return decodeXread(await this.reader.sendCommand(args))
  }

  /** Wake a blocked `tail()` so it can be issued again with more logs. */
  unblock (): void {
    if (this.readerId === undefined || !this.isUp) return
    this.cmd.sendCommand(['CLIENT', 'UNBLOCK', String(this.readerId)]).catch(() => {})
  }

  /** Take the compaction lock if free; says where the stored snapshot stands either way. */
  async beginCompact (keys: DocKeys, relay: string, lockMs: number): Promise<{ got: boolean, seq: number, total: number }> {
    const r = await this.run(BEGIN_COMPACT, [keys.lock, keys.snap], [relay, String(lockMs)])
    if (!Array.isArray(r) || r.length !== 3) throw backendError('begin-compact returned an unexpected reply')
    return { got: Number(r[0]) === 1, seq: Number(r[1]), total: Number(r[2]) }
  }

  /** Store a snapshot and trim the log before it; false if someone else's is newer or we lost the lock. */
  async compact (keys: DocKeys, relay: string, at: { id: string, seq: number, total: number }, clock: string, updates: string): Promise<boolean> {
    const r = await this.run(COMPACT, [keys.log, keys.snap, keys.lock], [relay, at.id, String(at.seq), String(at.total), clock, updates])
    return Number(r) === 1
  }

  /** Give the compaction lock back. */
  async release (keys: DocKeys, relay: string): Promise<void> {
    await this.run(RELEASE, [keys.lock], [relay])
  }

  /** Any command on the command connection (for tools and tests: INFO, MEMORY USAGE...). */
  command (args: readonly string[]): Promise<unknown> {
    return this.cmd.sendCommand([...args], { timeout: this.timeoutMs }).catch((err: unknown) => { throw backendError('command failed', err) })
  }

  /** Close both connections. */
  async close (): Promise<void> {
    if (this.closedFlag) return
    this.closedFlag = true
    this.emit('close')
    for (const c of [this.cmd, this.reader]) {
      if (c.isOpen) c.destroy()
    }
  }

  /** Run a script by its sha, loading it on NOSCRIPT (a restarted Redis forgot it). */
  private async run (s: Script, keys: string[], args: string[]): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args]
    try {
      return await this.cmd.sendCommand(['EVALSHA', s.sha, ...tail], { timeout: this.timeoutMs })
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw backendError('command failed', err)
    }
    return await this.cmd.sendCommand(['EVAL', s.source, ...tail], { timeout: this.timeoutMs }).catch((err: unknown) => { throw backendError('command failed', err) })
  }

  private setUp (up: boolean, cause?: unknown): void {
    // A first failure counts as a transition too, so a relay started while Redis is down says so.
    if (this.closedFlag || this.state === (up ? 'up' : 'down')) return
    this.state = up ? 'up' : 'down'
    this.isUp = up
    if (up) this.emit('up')
    else this.emit('down', backendError('lost the connection to Redis', cause))
  }
}

/** An ERR_BACKEND error, with the cause's message and code. */
export function backendError (message: string, cause?: unknown): GrapevineError {
  if (cause instanceof GrapevineError) return cause
  const detail = cause instanceof Error ? cause.message : cause !== undefined ? String(cause) : ''
  const e = new GrapevineError('ERR_BACKEND', detail !== '' ? `${message}: ${detail}` : message, { kind: 'down', cause: (cause as { code?: unknown } | undefined)?.code ?? (cause instanceof Error ? cause.name : undefined) })
  if (cause !== undefined) Object.defineProperty(e, 'cause', { value: cause })
  return e
}
