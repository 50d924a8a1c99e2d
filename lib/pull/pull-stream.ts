import type { Duplex } from 'node:stream'
import type * as pull from 'pull-stream'

/** A pull-stream duplex: `{ source, sink }` of byte chunks. */
export interface PullDuplex {
  source: pull.Source<Buffer>
  sink: pull.Sink<Buffer | string>
}

/**
 * Expose a Node duplex as a pull-stream duplex, honouring backpressure both
 * ways: the source reads only when pulled, the sink pulls only while the
 * Node side accepts writes. Aborting either side destroys the Node stream.
 */
export function toPull (stream: Duplex): PullDuplex {
  return { source: toPullSource(stream), sink: toPullSink(stream) }
}

/** The same protocol as `replica.createStream()`, as a pull-stream duplex. */
export function createPullStream (stream: Duplex): PullDuplex {
  return toPull(stream)
}

function toPullSource (stream: Duplex): pull.Source<Buffer> {
  let ended = false
  let error: Error | null = null
  let waiting: pull.SourceCallback<Buffer> | null = null

  const drain = (): void => {
    while (waiting !== null) {
      const cb: pull.SourceCallback<Buffer> = waiting
      if (error !== null) {
        waiting = null
        cb(error)
        return
      }
      const chunk = stream.read() as Buffer | null
      if (chunk !== null) {
        waiting = null
        cb(null, chunk)
        continue
      }
      if (ended) {
        waiting = null
        cb(true)
      }
      return
    }
  }
  stream.on('readable', drain)
  stream.once('end', () => { ended = true; drain() })
  stream.once('error', (err: Error) => { error = err; drain() })
  stream.once('close', () => { ended = true; drain() })

  return (abort, cb) => {
    if (abort !== null && abort !== false) {
      if (!stream.destroyed) stream.destroy(abort === true ? undefined : abort)
      cb(abort)
      return
    }
    if (waiting !== null) {
      cb(new Error('pull source: read called while a read is pending'))
      return
    }
    waiting = cb
    drain()
  }
}

function toPullSink (stream: Duplex): pull.Sink<Buffer | string> {
  return (read) => {
    let sync = false
    let again = false
    let done = false
    const onClose = (): void => {
      if (done) return
      done = true
      read(true, () => {})
    }
    stream.once('close', onClose)

    const cb = (end: pull.EndOrError, data?: Buffer | string): void => {
      if (done) return
      if (end !== null && end !== false) {
        done = true
        stream.removeListener('close', onClose)
        if (end === true) stream.end()
        else stream.destroy(end)
        return
      }
      if (data === undefined) return next()
      if (!stream.write(data)) {
        stream.once('drain', next)
        return
      }
      if (sync) again = true
      else next()
    }
    const next = (): void => {
      do {
        again = false
        sync = true
        if (!done) read(null, cb)
        sync = false
      } while (again)
    }
    next()
  }
}
