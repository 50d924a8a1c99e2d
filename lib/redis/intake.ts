import type { GrapevineError } from '../errors/grapevine-error'

/**
 * What every write gate of a relay shares about each client stream: has
 * it been refused (then none of its later updates may be taken, for any
 * document: the client believes the relay holds what it sent, so taking a
 * later update of the same source would store a hole), and how many of
 * its batches still wait for Redis (a stream that ends is let go only once
 * they are settled, so its last acknowledgement reaches it).
 */
export class Intake {
  private readonly refused = new WeakMap<object, GrapevineError>()
  private readonly pending = new Map<unknown, number>()
  private readonly waiters = new Map<unknown, Array<() => void>>()

  /** `onRefuse(origin, err)` closes the refused stream. */
  constructor (private readonly onRefuse: (origin: unknown, err: GrapevineError) => void) {}

  /** Why `origin` was refused, if it was. */
  refusal (origin: unknown): GrapevineError | undefined {
    return isObject(origin) ? this.refused.get(origin) : undefined
  }

  /** Refuse `origin` from now on, and have it closed (once). */
  refuse (origin: unknown, err: GrapevineError): void {
    if (!isObject(origin) || this.refused.has(origin)) return
    this.refused.set(origin, err)
    this.onRefuse(origin, err)
  }

  /** One more batch of `origin` waits for Redis. */
  hold (origin: unknown): void {
    this.pending.set(origin, (this.pending.get(origin) ?? 0) + 1)
  }

  /** One batch of `origin` is settled (stored or dropped). */
  release (origin: unknown): void {
    const n = (this.pending.get(origin) ?? 1) - 1
    if (n > 0) {
      this.pending.set(origin, n)
      return
    }
    this.pending.delete(origin)
    const ws = this.waiters.get(origin)
    this.waiters.delete(origin)
    for (const w of ws ?? []) w()
  }

  /** Resolves once no batch of `origin` waits for Redis. */
  settled (origin: unknown): Promise<void> {
    if (!this.pending.has(origin)) return Promise.resolve()
    return new Promise((resolve) => {
      const ws = this.waiters.get(origin) ?? []
      ws.push(resolve)
      this.waiters.set(origin, ws)
    })
  }

  /** Streams with batches waiting. */
  get waitingStreams (): number {
    return this.pending.size
  }
}

function isObject (v: unknown): v is object {
  return (typeof v === 'object' && v !== null) || typeof v === 'function'
}
