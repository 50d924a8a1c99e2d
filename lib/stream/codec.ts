import through2 from 'through2'
import type { Transform } from 'node:stream'
import { type FrameLimits, LineDecoder } from '../wire/line-decoder'
import { BINARY_CODEC, FrameDecoder, FrameEncoder } from '../wire/binary-frames'
import { GrapevineError } from '../errors/grapevine-error'
import { FirstByteCheck } from '../wire/sniff'
import type { MemoryHolder } from '../limits/memory-budget'

/** A batch of outgoing messages (header, updates, "SYNC"). */
export type OutBatch = readonly unknown[]

const NON_ASCII = /[\u0080-\uffff]/
const NON_ASCII_ALL = /[\u0080-\uffff]/g
const escapeChar = (c: string): string => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')

/**
 * JSON text with every non-ASCII character written as a \uXXXX escape: the
 * same JSON value, in bytes no decoder can split inside a character.
 * scuttlebutt@5 decodes each TCP chunk on its own, so raw UTF-8 split
 * across two chunks reaches it as U+FFFD. Non-ASCII can only occur inside
 * JSON strings, where an escape means the same character.
 */
export function asciiJson (text: string): string {
  return NON_ASCII.test(text) ? text.replace(NON_ASCII_ALL, escapeChar) : text
}

/** The encoder's switch between escaped (any peer) and raw UTF-8 (a grapevine peer) JSON lines. */
export interface EncoderControl {
  /** Write non-ASCII as \uXXXX escapes (default true, until the peer is known to be grapevine). */
  ascii: boolean
}

/**
 * Encoder: batches of messages in, newline-delimited JSON bytes out. One
 * chunk per batch, so many updates share one write to the socket. With
 * `binary`, the message "gv-bin/1" is written as a JSON line and every
 * message after it as binary frames. JSON lines are ASCII-only while
 * `control.ascii` is set.
 */
export function createEncoder (onBytes: (n: number) => void, binary = false, control: EncoderControl = { ascii: true }): Transform {
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
    let buf: Buffer = Buffer.from(control.ascii ? asciiJson(text) : text, 'utf8')
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
 * line switches the rest of the input to binary frames. With `memory`,
 * the bytes of an unfinished line or frame kept between chunks are
 * reported to it after each chunk (one subtraction when they changed);
 * once that holder is released or evicted, input is ignored.
 */
export function createDecoder (limits: FrameLimits, onBytes: (n: number) => void, onFatal: (err: GrapevineError) => void, binary = false, maxSources = 100_000, memory?: MemoryHolder): Transform {
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
  // Bytes last reported to `memory`.
  let reported = 0
  const report = (): void => {
    if (memory === undefined) return
    const now = dec.pendingBytes + (mode.frames === undefined ? 0 : mode.frames.pendingBytes)
    if (now === reported) return
    const delta = now - reported
    reported = now
    // May evict this stream (or others) before it returns.
    memory.add(delta)
  }
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
    // Evicted from the memory budget: the stream is being torn down.
    if (memory !== undefined && !memory.active) failed = true
    run((out) => {
      const wrong = first.check(buf)
      if (wrong !== undefined) throw wrong
      decode(buf, out)
    }, (v) => this.push(v))
    if (!failed) report()
    cb()
  }, function (cb) {
    run((out) => {
      if (mode.frames === undefined) dec.end(out)
      else if (mode.frames.pendingBytes > 0) throw new GrapevineError('ERR_INVALID_FRAME', 'input ended inside a frame')
    }, (v) => this.push(v))
    report()
    cb()
  })
}
