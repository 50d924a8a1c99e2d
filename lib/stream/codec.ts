import through2 from 'through2'
import type { Transform } from 'node:stream'
import { type FrameLimits, LineDecoder } from '../wire/line-decoder'
import type { GrapevineError } from '../errors/grapevine-error'

/** A batch of outgoing messages (header, updates, "SYNC"). */
export type OutBatch = readonly unknown[]

/**
 * Encoder: batches of messages in, newline-delimited JSON bytes out. One
 * chunk per batch, so many updates share one write to the socket.
 */
export function createEncoder (onBytes: (n: number) => void): Transform {
  return through2({ writableObjectMode: true, readableObjectMode: false, writableHighWaterMark: 1 }, function (batch: OutBatch, _enc, cb) {
    let text = ''
    for (const m of batch) text += JSON.stringify(m) + '\n'
    const buf = Buffer.from(text, 'utf8')
    onBytes(buf.length)
    cb(null, buf)
  })
}

/**
 * Decoder: bytes in, arrays of parsed JSON values out (one array per chunk).
 * A framing fault is reported through `onFatal` and everything after it is
 * ignored; nothing is thrown out of `write()`.
 */
export function createDecoder (limits: FrameLimits, onBytes: (n: number) => void, onFatal: (err: GrapevineError) => void): Transform {
  const dec = new LineDecoder(limits)
  let failed = false
  const run = (fn: (out: unknown[]) => void, push: (v: unknown[]) => void): void => {
    if (failed) return
    const out: unknown[] = []
    try {
      fn(out)
    } catch (err) {
      failed = true
      if (out.length > 0) push(out)
      onFatal(err as GrapevineError)
      return
    }
    if (out.length > 0) push(out)
  }
  return through2({ writableObjectMode: false, readableObjectMode: true }, function (chunk: Buffer | string, _enc, cb) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk
    onBytes(buf.length)
    run((out) => dec.write(buf, out), (v) => this.push(v))
    cb()
  }, function (cb) {
    run((out) => dec.end(out), (v) => this.push(v))
    cb()
  })
}
