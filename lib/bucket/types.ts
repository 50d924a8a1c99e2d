import type { GrapevineError } from '../errors/grapevine-error'
import type { ReplicaWarning, StreamHost } from '../replica/host'
import type { ReplicaStream, StreamOptions } from '../stream/replica-stream'
import type { StreamStats } from '../stream/stats'
import type { SourceId } from '../wire/types'

/** Options of `bucket.createStream(opts)`: those of a replica stream, plus `maxNames`. */
export interface BucketStreamOptions extends Omit<StreamOptions, 'startClock'> {
  /** Most replica names accepted in the peer's handshake. Default 100 000. */
  maxNames?: number
  /** Clocks beyond about this many bytes of JSON leave the header line and follow it. Default 256 KiB. */
  maxHeaderBytes?: number
}

/** Per-stream counters of a bucket stream. */
export interface BucketStreamStats extends StreamStats {
  /** Messages naming a replica this side does not hold (ignored). */
  unknown: number
  /** Announces sent (late adds and replies). */
  announcesSent: number
  /** Announces received. */
  announcesReceived: number
}

/** A bucket's duplex stream: a replica stream whose stats also count names. */
export interface BucketStream extends ReplicaStream {
  readonly stats: BucketStreamStats
}

/** What a bucket stream needs from its bucket (the Bucket class implements it). */
export interface BucketStreamHost {
  readonly id: SourceId
  /** The replica held under `name`. */
  get (name: string): StreamHost | undefined
  /** Every `[name, replica]`. */
  entries (): Iterable<readonly [string, StreamHost]>
  /** Be told of adds and removes; returns the unsubscribe function. */
  watch (listener: MembershipListener): () => void
  /** Track an open stream; `close` is called on dispose. Returns the untrack function. */
  track (close: () => void): () => void
  /** The wall clock (ms) our header reports to peers. */
  wallNow (): number
  /** A stream's time warning ('skew', 'held', 'refused'), emitted as an event of that name. */
  streamWarning (event: ReplicaWarning, err: GrapevineError): void
}

/** Told when a bucket gains or loses a replica. */
export interface MembershipListener {
  add (name: string, replica: StreamHost): void
  remove (name: string): void
}
