import type { GrapevineError } from '../errors/grapevine-error'

/**
 * What every write gate of a relay shares about each client stream: has
 * it been refused. Then none of its later updates may be taken, for any
 * document: the client believes the relay holds what it sent, so taking a
 * later update of the same source would store a hole.
 */
export class Intake {
  private readonly refused = new WeakMap<object, GrapevineError>()

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
}

function isObject (v: unknown): v is object {
  return (typeof v === 'object' && v !== null) || typeof v === 'function'
}
