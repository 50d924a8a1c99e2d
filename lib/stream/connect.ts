import type { Duplex } from 'node:stream'
import { GrapevineError } from '../errors/grapevine-error'
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
  /** Resolves once both streams are 'synced' (each holds what the other had); rejects if one closes first. */
  readonly synced: Promise<void>
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
  const synced = Promise.all([whenSynced(sa), whenSynced(sb)]).then(() => undefined)
  // A caller that never awaits it must not see an unhandled rejection.
  synced.catch(() => {})
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
    closed: { value: closed, enumerable: true },
    synced: { value: synced, enumerable: true }
  })
  return fn
}

/** Resolves once `stream` emitted 'close' (at once if it already did). */
export function whenClosed (stream: Duplex): Promise<void> {
  if (stream.destroyed) return Promise.resolve()
  return new Promise((resolve) => stream.once('close', () => resolve()))
}

/** Resolves once `stream` is 'synced'; rejects if it closes first. */
export function whenSynced (stream: ReplicaStream): Promise<void> {
  if (stream.synced) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const onSynced = (): void => { stream.off('close', onClose); resolve() }
    const onClose = (): void => {
      stream.off('synced', onSynced)
      reject(stream.error ?? new GrapevineError('ERR_PROTOCOL', 'the stream closed before it synced'))
    }
    stream.once('synced', onSynced)
    stream.once('close', onClose)
  })
}
