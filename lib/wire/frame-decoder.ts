import { GrapevineError } from '../errors/grapevine-error'
import { DELETE, F64_TS, JSON_CHANGE, JSON_FRAME, JSON_VALUE, SIGNED, STR_VALUE, SYNC_FRAME, UPDATE } from './frame-format'
import { exceedsDepth, type FrameLimits, DEFAULT_LIMITS } from './line-decoder'
import { isSourceId } from './types'

/** Limits of the binary decoder: the line limits, plus the source dictionary size. */
export interface BinaryLimits extends FrameLimits {
  /** Most distinct sources a peer may define on one stream. Default 100 000. */
  maxSources?: number
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })
const EMPTY = Buffer.alloc(0)

/**
 * Splits bytes into binary frames and turns each back into the message the
 * JSON codec would have produced (`[change, ts, source]`, "SYNC", any JSON
 * value), for the same validation downstream. Pieces of an unfinished frame
 * are kept in a list and joined once complete, so input is handled in
 * linear time. Any fault throws a GrapevineError; the decoder must not be
 * used after that.
 */
export class FrameDecoder {
  private parts: Buffer[] = []
  private have = 0
  /** Bytes the unfinished frame needs in all, once its length is known. */
  private need = 0
  private readonly sources: string[] = []
  private prevUnits = 0
  private readonly maxSources: number
  /** The frame being read, and the read position in it. */
  private buf: Buffer = EMPTY
  private pos = 0
  private end = 0

  constructor (private readonly limits: BinaryLimits = DEFAULT_LIMITS) {
    this.maxSources = limits.maxSources ?? 100_000
  }

  /** Decode one chunk; messages are appended to `out`. */
  write (chunk: Buffer, out: unknown[]): void {
    let buf = chunk
    let off = 0
    if (this.have > 0) {
      this.parts.push(chunk)
      this.have += chunk.length
      if (this.have < this.need) return
      buf = Buffer.concat(this.parts, this.have)
      this.parts = []
      this.have = 0
      this.need = 0
    }
    for (;;) {
      // Length prefix: a varint of at most 4 bytes (limits are far below 2^28).
      let len = 0
      let mul = 1
      let p = off
      let complete = false
      while (p < buf.length && p - off < 4) {
        const b = buf[p++] as number
        len += (b & 0x7f) * mul
        mul *= 0x80
        if (b < 0x80) { complete = true; break }
      }
      if (!complete) {
        if (p - off >= 4) throw invalid('frame length prefix is too long')
        break
      }
      if (len > this.limits.maxLineBytes) {
        throw new GrapevineError('ERR_LINE_TOO_LONG', `frame exceeds ${this.limits.maxLineBytes} bytes`, { bytes: len })
      }
      if (buf.length - p < len) {
        this.need = p - off + len
        break
      }
      out.push(this.body(buf, p, p + len))
      off = p + len
    }
    if (off < buf.length) {
      // Copy: a small tail must not pin a large chunk.
      this.parts.push(Buffer.from(buf.subarray(off)))
      this.have = buf.length - off
    }
  }

  /** Bytes of an unfinished frame held in memory. */
  get pendingBytes (): number {
    return this.have
  }

  private body (buf: Buffer, start: number, end: number): unknown {
    if (start >= end) throw invalid('empty frame')
    const tag = buf[start] as number
    // The frame is read in place: no reader object per frame.
    this.buf = buf
    this.pos = start + 1
    this.end = end
    let value: unknown
    switch (tag & 0xf0) {
      case SYNC_FRAME: value = 'SYNC'; break
      case JSON_FRAME: value = this.json(this.rest(), 0); break
      case UPDATE: value = this.update(tag & 0x0f); break
      default: throw invalid(`unknown frame kind ${tag >> 4}`)
    }
    if (this.pos !== this.end) throw invalid('trailing bytes in frame')
    return value
  }

  private update (flags: number): unknown[] {
    const ref = this.varint()
    let source: string
    if (ref === 0) {
      if (this.sources.length >= this.maxSources) throw new GrapevineError('ERR_TOO_MANY_SOURCES', `peer defined more than ${this.maxSources} sources`)
      const s = this.str()
      // An invalid id is not kept (the dictionary holds at most maxSources
      // short strings): its updates are rejected downstream, as on JSON lines.
      source = isSourceId(s) ? s : ''
      this.sources.push(source)
    } else {
      const s = this.sources[ref - 1]
      if (s === undefined) throw invalid('update names an undefined source')
      source = s
    }
    let ts: number
    if ((flags & F64_TS) !== 0) {
      ts = this.f64()
      const units = ts * 1024
      if (Number.isSafeInteger(units)) this.prevUnits = units
    } else {
      const z = this.varint()
      const units = this.prevUnits + (z % 2 === 0 ? z / 2 : -(z + 1) / 2)
      this.prevUnits = units
      ts = units / 1024
    }
    // Depth as the JSON line [change, ts, source] would count it: the update
    // is level 1, a [key, value] change level 2, its value level 3.
    if (this.limits.maxDepth < 2 && (flags & 3) !== JSON_CHANGE) throw tooDeep(this.limits.maxDepth)
    let change: unknown
    switch (flags & 3) {
      case STR_VALUE: change = [this.str(), this.str()]; break
      case JSON_VALUE: change = [this.str(), this.json(this.str(), 2)]; break
      case DELETE: change = [this.str()]; break
      default: change = this.json(this.str(), 1)
    }
    return (flags & SIGNED) !== 0 ? [change, ts, source, this.str()] : [change, ts, source]
  }

  /** Parse JSON text found `above` levels below the top of its message, within maxDepth overall. */
  private json (text: string, above: number): unknown {
    let v: unknown
    try {
      v = JSON.parse(text)
    } catch {
      throw new GrapevineError('ERR_INVALID_JSON', 'frame holds invalid JSON', { sample: text.slice(0, 40) })
    }
    const max = this.limits.maxDepth - above
    if (typeof v === 'object' && v !== null ? exceedsDepth(v, max) : max < 0) throw tooDeep(this.limits.maxDepth)
    return v
  }

  private varint (): number {
    let v = 0
    let mul = 1
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.end) throw invalid('truncated varint')
      const b = this.buf[this.pos++] as number
      v += (b & 0x7f) * mul
      if (b < 0x80) {
        if (!Number.isSafeInteger(v)) break
        return v
      }
      mul *= 0x80
    }
    throw invalid('varint too large')
  }

  private str (): string {
    const n = this.varint()
    if (n > this.end - this.pos) throw invalid('string runs past the frame')
    const s = this.text(this.pos, this.pos + n)
    this.pos += n
    return s
  }

  private rest (): string {
    const s = this.text(this.pos, this.end)
    this.pos = this.end
    return s
  }

  private f64 (): number {
    if (this.end - this.pos < 8) throw invalid('truncated timestamp')
    const v = this.buf.readDoubleLE(this.pos)
    this.pos += 8
    return v
  }

  private text (a: number, b: number): string {
    const s = this.buf.toString('utf8', a, b)
    if (s.includes('\uFFFD')) {
      // The replacement character may be genuine; decode strictly to tell.
      try {
        return strictUtf8.decode(this.buf.subarray(a, b))
      } catch {
        throw new GrapevineError('ERR_INVALID_UTF8', 'frame holds invalid UTF-8')
      }
    }
    return s
  }
}

function tooDeep (maxDepth: number): GrapevineError {
  return new GrapevineError('ERR_TOO_DEEP', `JSON nested deeper than ${maxDepth}`)
}

function invalid (message: string): GrapevineError {
  return new GrapevineError('ERR_INVALID_FRAME', message)
}
