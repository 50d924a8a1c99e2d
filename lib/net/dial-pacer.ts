import { TokenBucket } from '../limits/token-bucket'
import { type Timers, realTimers } from './backoff'

interface Waiter {
  readonly grant: () => void
  readonly cancelled: () => boolean
}

/**
 * Caps how fast a mesh dials, whatever its dialers' backoffs say: a token
 * bucket of `perSecond` dials (bursts of as many), shared by every dialer
 * of the mesh. Dials wait their turn in two queues: urgent ones (seeds,
 * verified addresses) go before the rest (addresses only heard of by
 * gossip), so a flood of gossiped addresses slows only itself. A waiter
 * that was cancelled meanwhile is let go without spending a token.
 */
export class DialPacer {
  private readonly bucket: TokenBucket
  private readonly timers: Timers
  private readonly queues: [Waiter[], Waiter[]] = [[], []]
  private timer: unknown = undefined
  private closedFlag = false
  /** Dials granted so far. */
  granted = 0

  constructor (readonly perSecond: number, timers: Timers = realTimers) {
    this.timers = timers
    this.bucket = new TokenBucket(perSecond, Math.max(1, perSecond), () => timers.now())
  }

  /** Dials waiting for their turn. */
  get waiting (): number {
    return this.queues[0].length + this.queues[1].length
  }

  /** Resolves when this dial may go; `urgent` ones go first. */
  async acquire (urgent: boolean, cancelled: () => boolean = () => false): Promise<void> {
    await new Promise<void>((resolve) => {
      if (this.closedFlag) return resolve()
      this.queues[urgent ? 0 : 1].push({ grant: resolve, cancelled })
      this.pump()
    })
  }

  /** Let every waiter go (the mesh is closing: its dialers check that themselves). */
  close (): void {
    this.closedFlag = true
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer)
    this.timer = undefined
    for (const q of this.queues) for (const w of q.splice(0)) w.grant()
  }

  private next (): Waiter | undefined {
    return this.queues[0].shift() ?? this.queues[1].shift()
  }

  private pump (): void {
    if (this.timer !== undefined) return
    for (;;) {
      const head = this.queues[0][0] ?? this.queues[1][0]
      if (head === undefined) return
      if (head.cancelled()) { this.next()?.grant(); continue }
      const wait = this.bucket.take()
      if (wait > 0) {
        this.timer = this.timers.setTimeout(() => { this.timer = undefined; this.pump() }, wait)
        return
      }
      this.granted++
      this.next()?.grant()
    }
  }
}
