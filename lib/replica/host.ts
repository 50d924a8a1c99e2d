import type { VectorClock } from '../clock/vector-clock'
import type { GrapevineError } from '../errors/grapevine-error'
import type { SourceId, Update } from '../wire/types'

/** What happened to an update offered to a replica. */
export type ReceiveResult =
  | { readonly status: 'applied' }
  | { readonly status: 'old' }
  | { readonly status: 'rejected', readonly error: GrapevineError }

/** Called for every update the replica accepts, with the stream it came from. */
export type UpdateListener = (update: Update, origin: unknown) => void

/**
 * The face a replica shows its streams. Streams depend on this interface
 * only, so the stream layer never imports the replica class.
 */
export interface StreamHost {
  readonly id: SourceId
  /** The live clock; streams copy it, never share it. */
  readonly clock: VectorClock
  /** Updates newer than `clock`, ordered by `(ts, source)`. */
  history (clock: VectorClock): Iterable<Update>
  /** Offer a peer's update (already shape-checked) to the replica. */
  receive (update: Update, origin: unknown): ReceiveResult
  /** A peer's header claims we issued up to `ts`: never reuse those. */
  observeOwnClock (ts: number): void
  /** Subscribe to accepted updates; returns the unsubscribe function. */
  subscribe (listener: UpdateListener): () => void
  /** Track an open stream; `close` is called on dispose. Returns the untrack function. */
  track (close: () => void): () => void
  /** Default maximum drift (ms) into the future for peer timestamps. */
  readonly maxDriftMs: number
  /** The wall clock peers' timestamps are judged against (ms; never steps back). */
  wallNow (): number
  /** A stream's warning about time: see `ReplicaWarning`. */
  streamWarning (event: ReplicaWarning, err: GrapevineError): void
}

/**
 * Warnings a replica emits (as events of these names, with a coded error):
 * 'skew' a peer's wall clock is off from ours (ERR_CLOCK_SKEW); 'held' we
 * hold a peer's update until our clock allows it (ERR_CLOCK_DRIFT);
 * 'refused' a peer did not apply one of ours (ERR_PEER_REFUSED).
 */
export type ReplicaWarning = 'skew' | 'held' | 'refused'
