import type { Duplex } from 'node:stream'
import type { ClockJSON, Header } from '../wire/types'
import type { StreamStats } from './stats'
import type { TimeStreamOptions } from './time-facts'
import type { TurnBudget } from './turn-budget'
import type { MemoryBudget } from '../limits/memory-budget'

/** Options of `replica.createStream(opts)`. */
export interface StreamOptions extends TimeStreamOptions {
  /** Send our history and live updates. Default true. */
  readable?: boolean
  /** Apply the peer's updates. Default true. */
  writable?: boolean
  /** Keep streaming live updates after 'synced'. Default true; false ends the stream after 'synced'. */
  tail?: boolean
  /** Sent to the peer in our header as `meta`. */
  meta?: unknown
  /** Extra header fields (for example a protocol tag). */
  headerFields?: Record<string, unknown>
  /** Start at once as if the peer's header carried this clock (used by createReadStream). */
  startClock?: ClockJSON
  /** Longest incoming line in bytes. Default 1 MiB. */
  maxLineBytes?: number
  /**
   * A budget shared with other streams (`new MemoryBudget(bytes)`) for what
   * this stream holds on its peer's behalf: the unfinished line or binary
   * frame (updates held for clock drift are bounded by `maxHeld`). When
   * the streams together would go over it, the one holding the most is destroyed with
   * ERR_OVERLOADED. `serve()` and `Mesh` make one for their connections
   * (`maxHeldBytes`); pass one here to share it wider. Default none.
   */
  memoryBudget?: MemoryBudget
  /** Deepest incoming JSON. Default 64. */
  maxDepth?: number
  /**
   * Most sources a peer may name: in its header's clock, and as sources new
   * to this replica among the updates it sends on this stream (more are
   * rejected with ERR_TOO_MANY_SOURCES). Default 100 000.
   */
  maxSources?: number
  /**
   * Messages read from the peer per second (token bucket, bursts up to the
   * same number). Past it the stream stops reading, so TCP backpressure
   * slows the peer; nothing is dropped. Default: unlimited.
   */
  maxMessagesPerSecond?: number
  /** Rejected updates tolerated before the stream is destroyed. Default 1000. */
  maxInvalid?: number
  /** Destroy the stream on the first rejected update. Default false. */
  strict?: boolean
  /** Live updates queued for a slow peer before falling back to history. Default 4096. */
  maxQueue?: number
  /** Bytes of live updates queued for a slow peer before falling back to history. Default 16 MiB. */
  maxQueueBytes?: number
  /** Messages per outgoing chunk. Default 256. */
  batchSize?: number
  /** Destroy with ERR_TIMEOUT if the peer's header has not arrived within this many ms. Default 0 (off). */
  handshakeTimeoutMs?: number
  /**
   * Binary codecs to offer the peer in the header (`"codecs"`); today only
   * `'gv-bin/1'` (docs/binary-codec.md). The stream switches to it after
   * the headers only if the peer offers it too, so a peer that does not
   * (scuttlebutt@5, an older grapevine) gets JSON lines. Default
   * `['gv-bin/1']`, except for a stream started without a peer header
   * (`startClock`, as `createReadStream` does): a dump stays JSON lines.
   * `[]` keeps JSON lines whatever the peer offers.
   */
  codecs?: readonly string[]
  /**
   * The per-turn message budget this stream's sending shares with others
   * (see `TurnBudget`). Default: the one budget of the process, 2048
   * messages per event-loop turn across all streams.
   */
  turnBudget?: TurnBudget
  /** A name, for logs and stats. */
  name?: string
}

/** A replica's duplex stream, with its stats and lifecycle facts. */
export interface ReplicaStream extends Duplex {
  /** Live counters for this stream. */
  readonly stats: StreamStats
  /** The peer's header, once received. */
  readonly peerHeader: Header | undefined
  /** True once 'synced' fired. */
  readonly synced: boolean
  /** The error that destroyed this stream, if any. */
  readonly error: Error | undefined
  /** A name given in the options. */
  readonly name: string | undefined
}
