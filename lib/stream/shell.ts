import { Readable, Writable, type Duplex } from 'node:stream'
import duplexify from 'duplexify'
import { GrapevineError } from '../errors/grapevine-error'
import { TokenBucket } from '../limits/token-bucket'
import type { MemoryBudget, MemoryHolder } from '../limits/memory-budget'
import type { Session } from '../session/session'
import type { FrameLimits } from '../wire/line-decoder'
import { type EncoderControl, createDecoder, createEncoder, type OutBatch } from './codec'
import type { StreamStats } from './stats'
import { type TurnBudget, processTurnBudget } from './turn-budget'

/** What a protocol plugs into the shell. */
export interface ShellHooks {
  /** Append what to send next to `batch` (may append nothing). */
  fill (batch: unknown[]): void
  /** True when `fill` would append something now. */
  hasWork (): boolean
  /** One decoded incoming value. May throw only if an application listener threw. */
  handle (value: unknown): void
  /** Release subscriptions; called once, on 'close'. */
  onClose (): void
  /** The peer ended its side: call `done` once what it sent is applied (held updates included). */
  settle?: (done: () => void) => void
}

/** Settings of the shell, taken from the stream's options. */
export interface ShellOptions {
  readonly stats: StreamStats
  readonly session: Session
  readonly limits: FrameLimits
  readonly tail: boolean
  readonly name: string | undefined
  readonly maxMessagesPerSecond?: number | undefined
  readonly handshakeTimeoutMs?: number | undefined
  /** Offer binary frames (the codec switches only once both sides agreed). */
  readonly binary?: boolean
  /** Write JSON lines as ASCII only (non-ASCII escaped) from the start. Default true. */
  readonly ascii?: boolean
  readonly maxSources?: number
  /** The per-turn budget shared with other streams. Default: the process's. */
  readonly turnBudget?: TurnBudget
  /** Count what this stream holds for its peer here; eviction destroys the stream (ERR_OVERLOADED). */
  readonly memoryBudget?: MemoryBudget | undefined
}

/** Facts every grapevine stream exposes. */
export interface StreamFacts {
  stats: StreamStats
  peerHeader: unknown
  synced: boolean
  error: Error | undefined
  name: string | undefined
}

/** The running shell: its stream and the controls a protocol drives. */
export interface Shell {
  readonly stream: Duplex
  readonly facts: StreamFacts
  /** Fill now if the reader is waiting for data. */
  kick (): void
  /** True while the reader waits for data. */
  readonly waiting: boolean
  /** True once the stream closed. */
  readonly closed: boolean
  /** Our "SYNC" was placed in a batch. */
  syncPlaced (): void
  /** The handshake completed ('synced'). */
  synced (): void
  /** Finish our side once what is queued is out. */
  endOutgoing (): void
  /** Destroy the stream with this error (once). */
  fatal (err: Error): void
  /** The peer is grapevine: raw UTF-8 JSON lines from now on (escapes are for other peers). */
  rawUtf8 (): void
  /** Stop reading, send what is queued, then destroy with this error (soon, even if no one reads). */
  fatalAfterFlush (err: Error): void
  /** End both sides (dispose): at once if no one reads this stream, else after a short grace. */
  shutdown (): void
  /** This stream's share of a memory budget, if any: report other peer-held bytes here too. */
  readonly memory: MemoryHolder | undefined
}

/** How long a stream ending with an error waits for what it queued to be read. */
const FLUSH_GRACE_MS = 1_000
/** How long a disposed stream waits for its peer to end before it is destroyed. */
const SHUTDOWN_GRACE_MS = 5_000

/**
 * The I/O shell shared by grapevine's stream protocols: a through2 decoder
 * into a sink (rate-limited, guarding against throwing listeners), an
 * outgoing object stream filled lazily in batches into a through2 encoder,
 * both joined by duplexify; 'synced' once, the handshake deadline, and
 * 'close' exactly once after both sides ended or a fault.
 */
export function createShell (opts: ShellOptions, hooks: ShellHooks): Shell {
  const { stats, session } = opts
  const pace = opts.maxMessagesPerSecond !== undefined ? new TokenBucket(opts.maxMessagesPerSecond) : undefined
  let ending = false
  let waiting = false
  let closed = false
  let readyToEnd = false
  let draining = false

  // Past the first batch (the header), what we send shares the process's
  // per-turn budget, so many streams catching up at once cannot starve the
  // event loop (accepts, headers, heartbeats).
  const turns = opts.turnBudget ?? processTurnBudget
  let headerOut = false
  let deferred = false
  const resume = (): void => {
    deferred = false
    fill()
  }
  const fill = (): void => {
    if (closed || ending) return
    if (headerOut && !turns.open) {
      waiting = true
      if (!deferred) {
        deferred = true
        turns.defer(resume)
      }
      return
    }
    const batch: unknown[] = []
    hooks.fill(batch)
    if (batch.length === 0) {
      waiting = true
      return
    }
    headerOut = true
    turns.spend(batch.length)
    waiting = false
    if (!out.push(batch as OutBatch)) return
    // push() may call read() again synchronously; otherwise keep filling.
    if (!waiting && (hooks.hasWork() || readyToEnd)) queueMicrotask(kick)
  }
  const out = new Readable({ objectMode: true, highWaterMark: 2, read () { fill() } })
  const kick = (): void => {
    if (readyToEnd && !ending) {
      ending = true
      out.push(null)
      return
    }
    if (waiting) fill()
  }
  const endOutgoing = (): void => {
    if (readyToEnd) return
    readyToEnd = true
    queueMicrotask(kick)
  }
  const synced = (): void => {
    facts.synced = true
    stream.emit('synced')
    stream.emit('sync')
    if (!opts.tail) endOutgoing()
  }
  const syncPlaced = (): void => {
    queueMicrotask(() => {
      if (closed) return
      stream.emit('syncSent')
      if (session.sentSync().type === 'synced') synced()
    })
  }
  const fatal = (err: Error): void => {
    if (closed) return
    facts.error = err
    stream.destroy(err)
  }
  const fatalAfterFlush = (err: Error): void => {
    if (closed || draining) return
    draining = true
    endOutgoing()
    const timer = setTimeout(() => fatal(err), FLUSH_GRACE_MS)
    timer.unref()
    stream.once('end', () => fatal(err))
    stream.once('close', () => clearTimeout(timer))
  }
  // Nobody consumes our side (a write-only stream fed a dump, say): nothing
  // it sends can reach anyone, so it must not keep the stream open.
  const unread = (): boolean => stream.readableFlowing === null
  const shutdown = (): void => {
    if (closed) return
    endOutgoing()
    stream.end()
    if (unread()) {
      stream.destroy()
      return
    }
    const timer = setTimeout(() => { if (!closed) stream.destroy() }, SHUTDOWN_GRACE_MS)
    timer.unref()
    stream.once('close', () => clearTimeout(timer))
  }

  const handleGuarded = (value: unknown): void => {
    try {
      hooks.handle(value)
    } catch (err) {
      // An application listener threw: not the peer's fault. Surface it on
      // this stream; it must not escape into the socket's data handler.
      const e = new GrapevineError('ERR_LISTENER', `a listener threw while handling a peer message: ${err instanceof Error ? err.message : String(err)}`)
      Object.defineProperty(e, 'cause', { value: err })
      fatal(e)
    }
  }
  // Registered before the decoder exists, so its handler only refers to `fatal`.
  const memory = opts.memoryBudget?.register((err) => fatal(err))
  const encoding: EncoderControl = { ascii: opts.ascii !== false }
  const encoder = createEncoder((n) => { stats.bytesSent += n }, opts.binary === true, encoding)
  const decoder = createDecoder(opts.limits, (n) => { stats.bytesReceived += n }, (err) => fatal(err), opts.binary === true, opts.maxSources, memory)
  const sink = new Writable({
    objectMode: true,
    write (values: unknown[], _enc, cb) {
      let i = 0
      const run = (): void => {
        while (i < values.length && !closed && !draining) {
          // Rate limit: hold the callback, so the decoder and the socket back up.
          const wait = pace !== undefined ? pace.take() : 0
          if (wait > 0) {
            stats.throttled++
            setTimeout(run, wait)
            return
          }
          handleGuarded(values[i++])
        }
        cb()
      }
      run()
    },
    final (cb) {
      // The peer ended its side: finish ours once what it sent is applied
      // (updates held for clock drift included) and everything queued is out.
      const finish = (): void => {
        endOutgoing()
        cb()
      }
      if (hooks.settle !== undefined) hooks.settle(finish)
      else finish()
    }
  })
  decoder.pipe(sink)
  out.pipe(encoder)

  const stream = duplexify(decoder, encoder)
  const facts = stream as unknown as StreamFacts
  facts.stats = stats
  facts.peerHeader = undefined
  facts.synced = false
  facts.error = undefined
  facts.name = opts.name
  // Always one listener, so a fault on an unwatched stream cannot crash
  // the process; the error stays readable as `stream.error`.
  stream.on('error', (err: Error) => { if (facts.error === undefined) facts.error = err })

  let finished = false
  let ended = false
  const maybeClose = (): void => {
    if (finished && ended && !closed) stream.destroy()
  }
  stream.on('finish', () => { finished = true; maybeClose() })
  // The peer ended and what it sent is applied, so our side ends too. If no
  // one ever read it, 'end' cannot come: close. If everything was read but
  // the reader went away (its stream closed and unpiped), 'end' waits for a
  // read that never comes: ask for it.
  let sinkDone = false
  let outDone = false
  const settleEnd = (): void => {
    if (closed || !sinkDone) return
    if (unread()) {
      stream.destroy()
      return
    }
    if (outDone && stream.readableLength === 0 && stream.readableFlowing !== true) stream.read(0)
  }
  sink.on('finish', () => { sinkDone = true; setImmediate(settleEnd) })
  encoder.on('end', () => { outDone = true; setImmediate(settleEnd) })
  stream.on('end', () => { ended = true; maybeClose() })
  stream.once('close', () => {
    closed = true
    memory?.release()
    hooks.onClose()
    decoder.destroy()
    out.destroy()
  })

  const handshakeMs = opts.handshakeTimeoutMs ?? 0
  if (handshakeMs > 0) {
    const timer = setTimeout(() => {
      if (!session.started) fatal(new GrapevineError('ERR_TIMEOUT', `no header within ${handshakeMs} ms`))
    }, handshakeMs)
    timer.unref()
    stream.once('header', () => clearTimeout(timer))
    stream.once('close', () => clearTimeout(timer))
  }

  return {
    stream,
    facts,
    kick,
    get waiting () { return waiting },
    get closed () { return closed },
    syncPlaced,
    synced,
    endOutgoing,
    fatal,
    fatalAfterFlush,
    shutdown,
    memory,
    rawUtf8: () => { encoding.ascii = false }
  }
}
