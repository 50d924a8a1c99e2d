import type { Duplex } from 'node:stream'

/** One replica of a system under test, behind a common face. */
export interface Peer {
  /** Write one key locally. */
  set (key: string, value: string): void
  /** Write many keys locally (setup; a system may use one transaction). */
  fill (keys: readonly string[], values: readonly string[]): void
  /** The value of `key`, or undefined. */
  get (key: string): string | undefined
  /** Number of keys held. */
  size (): number
  /** Key changes applied from peers so far. */
  readonly received: number
  /** Updates that arrived from peers, duplicates included (for S4). */
  delivered (): number
  /** Called after each batch of remote changes is applied. */
  onProgress: () => void
  /** A byte duplex speaking the system's protocol; pipe it to a peer's. */
  stream (): Duplex
  /** Close every stream of this peer and release it. */
  dispose (): void
}

/** A replication system under test. */
export interface System {
  readonly name: string
  /** True for a ceiling that parses but keeps no state (its peers' `get` knows nothing). */
  readonly stateless?: boolean
  /** A new, empty replica. */
  create (id: string, opts?: SystemOptions): Peer
}

/** Options of `System.create`. */
export interface SystemOptions {
  /** Count every delivered update, duplicates too (costs time; S4 only). */
  countDelivered?: boolean
}
