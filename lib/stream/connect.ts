import type { Duplex } from 'node:stream'
import type { ReplicaStream, StreamOptions } from './replica-stream'

/** Anything that can make a replica stream. */
export interface Streamable {
  createStream (opts?: StreamOptions): ReplicaStream
}

/** Options of `connect(a, b, opts)`. */
export interface ConnectOptions {
  /** Options for the stream of `a`. */
  a?: StreamOptions
  /** Options for the stream of `b`. */
  b?: StreamOptions
}

/** Call to disconnect; also carries the two streams. */
export interface Disconnect {
  (): void
  readonly a: ReplicaStream
  readonly b: ReplicaStream
  /** Resolves when both streams have closed. */
  readonly closed: Promise<void>
}

/**
 * Pipe two replicas together. If either stream fails or closes, both are
 * torn down. Returns a function that disconnects them.
 */
export function connect (a: Streamable, b: Streamable, opts: ConnectOptions = {}): Disconnect {
  const sa = a.createStream(opts.a)
  const sb = b.createStream(opts.b)
  sa.pipe(sb).pipe(sa)
  const closed = Promise.all([whenClosed(sa), whenClosed(sb)]).then(() => undefined)
  const teardown = (): void => {
    sa.destroy()
    sb.destroy()
  }
  sa.once('close', teardown)
  sb.once('close', teardown)
  const fn = teardown as Disconnect
  Object.defineProperties(fn, {
    a: { value: sa, enumerable: true },
    b: { value: sb, enumerable: true },
    closed: { value: closed, enumerable: true }
  })
  return fn
}

/** Resolves once `stream` emitted 'close' (at once if it already did). */
export function whenClosed (stream: Duplex): Promise<void> {
  if (stream.destroyed) return Promise.resolve()
  return new Promise((resolve) => stream.once('close', () => resolve()))
}
