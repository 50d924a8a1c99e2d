import through2 from 'through2'
import type { Transform } from 'node:stream'
import { type FrameLimits, LineDecoder } from '../wire/line-decoder'
import { BINARY_CODEC, FrameDecoder, FrameEncoder } from '../wire/binary-frames'
import { GrapevineError } from '../errors/grapevine-error'
import { FirstByteCheck } from '../wire/sniff'

/** A batch of outgoing messages (header, updates, "SYNC"). */
export type OutBatch = readonly unknown[]

/**
 * Encoder: batches of messages in, newline-delimited JSON bytes out. One
 * chunk per batch, so many updates share one write to the socket. With
 * `binary`, the message "gv-bin/1" is written as a JSON line and every
 * message after it as binary frames.
 */
export function createEncoder (onBytes: (n: number) => void, binary = false): Transform {
  let frames: FrameEncoder | undefined
  return through2({ writableObjectMode: true, readableObjectMode: false, writableHighWaterMark: 1 }, function (batch: OutBatch, _enc, cb) {
    let i = 0
    let text = ''
    if (frames === undefined) {
      while (i < batch.length) {
        const m = batch[i++]
        text += JSON.stringify(m) + '\n'
        if (binary && m === BINARY_CODEC) {
          frames = new FrameEncoder()
          break
        }
      }
    }
    let buf: Buffer = Buffer.from(text, 'utf8')
    if (frames !== undefined && i < batch.length) {
      const bin = frames.encode(i === 0 ? batch : batch.slice(i))
      buf = buf.length === 0 ? bin : Buffer.concat([buf, bin])
    }
    onBytes(buf.length)
    cb(null, buf)
  })
}

/**
 * Decoder: bytes in, arrays of parsed JSON values out (one array per chunk).
 * A framing fault is reported through `onFatal` and everything after it is
 * ignored; nothing is thrown out of `write()`. With `binary`, a "gv-bin/1"
 * line switches the rest of the input to binary frames.
 */
export function createDecoder (limits: FrameLimits, onBytes: (n: number) => void, onFatal: (err: GrapevineError) => void, binary = false, maxSources = 100_000): Transform {
  const dec = new LineDecoder(limits)
  const first = new FirstByteCheck()
  // Set from the stop callback, hence a box (flow analysis does not see it).
  const mode: { frames: FrameDecoder | undefined } = { frames: undefined }
  const stop = binary
    ? (v: unknown): boolean => {
        if (v !== BINARY_CODEC) return false
        mode.frames = new FrameDecoder({ ...limits, maxSources })
        return true
      }
    : undefined
  const decode = (buf: Buffer, out: unknown[]): void => {
    if (mode.frames !== undefined) {
      mode.frames.write(buf, out)
      return
    }
    const used = dec.write(buf, out, stop)
    const switched = mode.frames as FrameDecoder | undefined
    if (switched !== undefined && used < buf.length) switched.write(buf.subarray(used), out)
  }
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
    run((out) => {
      const wrong = first.check(buf)
      if (wrong !== undefined) throw wrong
      decode(buf, out)
    }, (v) => this.push(v))
    cb()
  }, function (cb) {
    run((out) => {
      if (mode.frames === undefined) dec.end(out)
      else if (mode.frames.pendingBytes > 0) throw new GrapevineError('ERR_INVALID_FRAME', 'input ended inside a frame')
    }, (v) => this.push(v))
    cb()
  })
}
