import type { Streamable } from '../stream/connect'
import type { StreamStats } from '../stream/stats'
import type { BackoffOptions } from './backoff'
import type { NetOptions } from './serve'

/** Options of `new Mesh(replica, opts)`. */
export interface MeshOptions extends NetOptions, BackoffOptions {
  /** Addresses to listen on (tcp, tls, ws, wss). Default `tcp://127.0.0.1:0`; `[]` to only dial. */
  listen?: string | string[]
  /** Addresses to dial at start (seeds); they are never forgotten. Default none. */
  peers?: string[]
  /** Address gossiped to peers. Default: the first listen address. */
  advertise?: string
  /** Dial addresses learned from peers. Default true. */
  gossip?: boolean
  /** A link lasting this long resets a dialer's backoff, in ms. Default 10 000. */
  stableMs?: number
  /**
   * Forget a verified (non-seed) address after this many failed dials in a
   * row. Default 8. An address only heard of by gossip is forgotten at its
   * first dial that does not reach a peer's header.
   */
  forgetAfter?: number
  /** Most addresses known at once; gossip past it is ignored (a hostile peer cannot make us dial the world). Default 1024. */
  maxKnown?: number
  /** Most addresses heard of by gossip and not yet reached, all peers together. Default half of `maxKnown`. */
  maxUnverified?: number
  /** Most such addresses one peer's gossip may hold. Default 32. */
  maxGossipPerPeer?: number
  /** How long a forgotten address is ignored when gossiped again, in ms. Default 600 000. */
  forgetForMs?: number
  /** Most dials per second, all addresses together (seeds and verified addresses first). Default 10. */
  maxDialsPerSecond?: number
}

/** What a mesh carries: anything with an id and `createStream()` (a replica, later a bucket). */
export type MeshReplica = Streamable & { readonly id: string }

/** One live peer of a mesh. */
export interface PeerInfo {
  /** The peer replica's id. */
  readonly id: string
  /** The address it advertises, if any (a dial-only peer has none). */
  readonly address: string | undefined
  /** Who opened the link. */
  readonly initiator: 'us' | 'them'
  /** Live counters of the link's replica stream. */
  readonly stats: StreamStats
  /** True once the initial exchange finished. */
  readonly synced: boolean
}
