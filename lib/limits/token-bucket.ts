import { invalidArgument } from '../errors/grapevine-error'

/**
 * A token bucket (pure; the clock is injected): `rate` tokens per second,
 * holding at most `burst`. Used to pace how fast a stream reads a peer.
 */
export class TokenBucket {
  private tokens: number
  private last: number

  constructor (readonly rate: number, readonly burst: number = rate, private readonly now: () => number = Date.now) {
    if (!(rate > 0)) invalidArgument('rate must be a positive number')
    if (!(burst >= 1)) invalidArgument('burst must be at least 1')
    this.tokens = burst
    this.last = now()
  }

  /** Take one token. Returns 0 when taken, else the ms to wait before trying again. */
  take (): number {
    const t = this.now()
    if (t > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.rate) / 1000)
      this.last = t
    }
    if (this.tokens >= 1) {
      this.tokens -= 1
      return 0
    }
    return Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.rate))
  }
}
