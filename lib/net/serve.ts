import { EventEmitter } from 'node:events'
import type { Duplex } from 'node:stream'
import type { Streamable } from '../stream/connect'
import { DEFAULT_MAX_HELD_BYTES, MemoryBudget } from '../limits/memory-budget'
import type { StreamOptions } from '../stream/replica-stream'
import { type Link, type LinkOptions, link } from './link'
import { livenessHeaderFields } from './liveness'
import { type Listener, type TransportOptions, listenOn, openSocket, wsMaxPayload } from './transports'

/** Options of `serve()` and `dial()`. */
export interface NetOptions extends LinkOptions, TransportOptions {
  /** Options for each replica stream (meta, limits, name...). */
  stream?: StreamOptions
  /**
   * `serve()` and `Mesh` only: the most bytes held on behalf of peers, all
   * connections together: unfinished lines and binary frames (each also
   * capped by `stream.maxLineBytes`). Updates held for clock drift are
   * bounded per stream by `maxHeld` instead.
   * When a byte more would pass it, the connection holding the most is
   * closed with ERR_OVERLOADED, so many peers sitting on half-sent lines
   * cannot add up to an unbounded server. Default 64 MiB; `Infinity`
   * disables. A `stream.memoryBudget` given instead is used as is (to share
   * one budget between servers). See docs/reliability.md for what is not
   * counted.
   */
  maxHeldBytes?: number
}

/** The budget of a server's connections: the caller's, or a new one of `maxHeldBytes`. */
export function memoryBudgetOf (opts: NetOptions): MemoryBudget {
  return opts.stream?.memoryBudget ?? new MemoryBudget(opts.maxHeldBytes ?? DEFAULT_MAX_HELD_BYTES)
}

/**
 * A replica served on an address. Events: 'link' (link) for each accepted
 * connection, 'unlink' (link) when it closes.
 */
export class ReplicaServer extends EventEmitter {
  /** The address peers can dial. */
  readonly address: string
  /** Open links. */
  readonly links = new Set<Link>()
  /** The budget of bytes held for peers, shared by every link (`maxHeldBytes`); its `stats` tell how it is spent. */
  readonly memory: MemoryBudget
  private readonly listener: Listener

  /** Use `serve()`. */
  constructor (listener: Listener, memory: MemoryBudget = new MemoryBudget(Infinity)) {
    super()
    this.listener = listener
    this.address = listener.address
    this.memory = memory
  }

  /** Bytes held for peers right now, all links together (see `maxHeldBytes`). */
  get heldBytes (): number {
    return this.memory.held
  }

  /** Stop listening and close every link. */
  async close (): Promise<void> {
    for (const l of this.links) l.close()
    await this.listener.close()
  }
}

/**
 * Serve `replica` on `address` (`tcp://host:port`, `tls://`, `ws://`,
 * `wss://`; port 0 picks a free port): every connection gets a fresh
 * replica stream, joined to the socket with heartbeats and deadlines. The
 * streams share one memory budget (`maxHeldBytes`).
 */
export async function serve (replica: Streamable, address: string, opts: NetOptions = {}): Promise<ReplicaServer> {
  let server: ReplicaServer | undefined
  const pending: Duplex[] = []
  const memory = memoryBudgetOf(opts)
  const sopts: StreamOptions = { ...streamOptions(opts), memoryBudget: memory }
  const onSocket = (sock: Duplex): void => {
    if (server === undefined) { pending.push(sock); return }
    const l = link(replica.createStream(sopts), sock, opts)
    const srv = server
    srv.links.add(l)
    void l.closed.then(() => {
      srv.links.delete(l)
      srv.emit('unlink', l)
    })
    srv.emit('link', l)
  }
  const listener = await listenOn(address, onSocket, transportOptions(opts))
  server = new ReplicaServer(listener, memory)
  for (const s of pending.splice(0)) onSocket(s)
  return server
}

/** Dial a served replica at `address` and join `replica` to it; resolves once connected. */
export async function dial (replica: Streamable, address: string, opts: NetOptions = {}): Promise<Link> {
  const sock = await openSocket(address, transportOptions(opts))
  return link(replica.createStream(streamOptions(opts)), sock, opts)
}

/** The stream options of a link: the caller's, plus our heartbeat announcement. */
export function streamOptions (opts: NetOptions): StreamOptions {
  return { ...opts.stream, headerFields: { ...livenessHeaderFields(opts), ...opts.stream?.headerFields } }
}

/** The transport options of a link: WebSocket messages limited by the stream's line limit. */
export function transportOptions (opts: NetOptions): TransportOptions {
  return { ...opts, maxMessageBytes: wsMaxPayload(opts, opts.stream?.maxLineBytes) }
}
