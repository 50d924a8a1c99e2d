import { VectorClock } from '../clock/vector-clock'
import type { Update } from '../wire/types'

/** Where the outbox gets history from. */
export interface HistorySource {
  history (clock: VectorClock): Iterable<Update>
}

/** Options of an Outbox. */
export interface OutboxOptions {
  /**
   * Live updates queued for a slow peer before the queue is dropped and
   * later rebuilt from history. Default 4096.
   */
  maxQueue?: number | undefined
  /** The same bound in characters of JSON (about bytes), for large updates. Default 16 MiB. */
  maxQueueBytes?: number | undefined
}

// One size per update object, shared by every stream that queues it.
const sizes = new WeakMap<Update, number>()
function sizeOf (u: Update): number {
  let n = sizes.get(u)
  if (n === undefined) {
    n = JSON.stringify(u).length
    sizes.set(u, n)
  }
  return n
}

/**
 * Decides what to send a peer next (pure, no I/O). It drains history since
 * the peer's clock lazily, then "SYNC", then live updates. Every update it
 * hands out advances its view of the peer's clock, so nothing is sent twice
 * and nothing the peer sent us is echoed back. The live queue is bounded:
 * when a peer reads too slowly the queue is dropped and, once the peer
 * catches up, history since its clock is sent instead. The replica's state
 * is the buffer, so memory stays bounded whatever the peer does.
 */
export class Outbox {
  /** What we believe the peer has. */
  readonly peerClock = new VectorClock()
  private pending: Iterator<Update> | undefined
  private live: Update[] = []
  private liveHead = 0
  private overflowed = false
  private started = false
  private syncDone = false
  private readonly maxQueue: number
  private readonly maxQueueBytes: number
  private liveBytes = 0
  /** Updates dropped from the live queue because the peer was slow. */
  overflows = 0

  constructor (private readonly source: HistorySource, opts: OutboxOptions = {}) {
    this.maxQueue = opts.maxQueue ?? 4096
    this.maxQueueBytes = opts.maxQueueBytes ?? 16 * 1024 * 1024
  }

  /** The peer's clock arrived: begin with history since it. */
  start (peerClock: VectorClock): void {
    if (this.started) return
    this.started = true
    this.peerClock.merge(peerClock)
    this.pending = this.source.history(this.peerClock.clone())[Symbol.iterator]()
  }

  /** True once `start` was called. */
  get isStarted (): boolean {
    return this.started
  }

  /** The peer has this update (it sent it to us, or we sent it). */
  peerHas (update: Update): void {
    this.peerClock.advance(update[2], update[1])
  }

  /** A live update the peer may be missing. */
  offer (update: Update): void {
    if (!this.started || this.overflowed) return
    if (!this.peerClock.isNewer(update[2], update[1])) return
    const bytes = sizeOf(update)
    if (this.live.length - this.liveHead >= this.maxQueue || this.liveBytes + bytes > this.maxQueueBytes) {
      this.overflowed = true
      this.overflows++
      this.live = []
      this.liveHead = 0
      this.liveBytes = 0
      return
    }
    this.live.push(update)
    this.liveBytes += bytes
  }

  /** True when `take` would return something now. */
  get hasWork (): boolean {
    return this.started && (this.pending !== undefined || this.liveHead < this.live.length || this.overflowed)
  }

  /**
   * Up to `max` messages to send now: updates, and "SYNC" once, after the
   * first history. `onSync` is called when "SYNC" is placed. Returns the
   * number of updates placed.
   */
  take (max: number, out: Array<Update | 'SYNC'>, onSync: () => void): number {
    let placed = 0
    while (out.length < max) {
      if (this.pending !== undefined) {
        const r = this.pending.next()
        if (r.done === true) {
          this.pending = undefined
          if (!this.syncDone) {
            this.syncDone = true
            out.push('SYNC')
            onSync()
          }
          continue
        }
        placed += this.emit(r.value, out)
      } else if (this.liveHead < this.live.length) {
        const u = this.live[this.liveHead++] as Update
        this.liveBytes -= sizeOf(u)
        if (this.liveHead === this.live.length) {
          this.live = []
          this.liveHead = 0
          this.liveBytes = 0
        }
        placed += this.emit(u, out)
      } else if (this.overflowed) {
        // The peer fell behind: what it misses is history since its clock.
        this.overflowed = false
        this.pending = this.source.history(this.peerClock.clone())[Symbol.iterator]()
      } else {
        break
      }
    }
    return placed
  }

  /** Live updates waiting. */
  get queued (): number {
    return this.live.length - this.liveHead
  }

  /** Characters of JSON (about bytes) of the live updates waiting. */
  get queuedBytes (): number {
    return this.liveBytes
  }

  private emit (u: Update, out: Array<Update | 'SYNC'>): number {
    if (!this.peerClock.isNewer(u[2], u[1])) return 0
    this.peerClock.advance(u[2], u[1])
    out.push(u)
    return 1
  }
}
