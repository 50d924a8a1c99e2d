import { GrapevineError } from '../errors/grapevine-error'
import { exceedsDepth, type FrameLimits, DEFAULT_LIMITS } from './line-decoder'

/**
 * The name both peers put in their header's `codecs` list to offer the
 * compact binary codec, and the JSON string line that announces the switch.
 */
export const BINARY_CODEC = 'gv-bin/1'

/**
 * What a stream offers when its options name no codecs: the binary codec,
 * used only if the peer offers it too (JSON lines otherwise).
 */
export const DEFAULT_CODECS: readonly string[] = [BINARY_CODEC]

// Frame tag: high nibble is the kind, low nibble the flags of an update.
const UPDATE = 0x10
const SYNC_FRAME = 0x20
const JSON_FRAME = 0x30
/** Tag byte of a frame holding any other message as JSON text. */
export const JSON_FRAME_TAG = JSON_FRAME
// Update flags, bits 0-1: the shape of the change.
const STR_VALUE = 0 // [key, string]
const JSON_VALUE = 1 // [key, any JSON]
const DELETE = 2 // [key]
const JSON_CHANGE = 3 // any change, as JSON text
const F64_TS = 4 // timestamp as a float64, not a delta
const SIGNED = 8 // a signature follows

/** The JSON line a sender writes just before its first binary frame. */
export const SWITCH_LINE: Buffer = Buffer.from(JSON.stringify(BINARY_CODEC) + '\n', 'utf8')

/**
 * True when `chunk`, a run of whole JSON lines from a grapevine encoder,
 * holds the switch line: every byte after it is binary. Only the switch can
 * make a line that is exactly `"gv-bin/1"` (updates, headers and notices
 * start with a bracket; side lines carry a tag and a space).
 */
export function holdsSwitch (chunk: Buffer): boolean {
  if (chunk.length < SWITCH_LINE.length) return false
  if (chunk.subarray(0, SWITCH_LINE.length).equals(SWITCH_LINE)) return true
  return chunk.indexOf(NL_SWITCH) >= 0
}
const NL_SWITCH = Buffer.concat([Buffer.from('\n'), SWITCH_LINE])

/**
 * One JSON frame holding `value` (a message protocol v1 peers ignore, such
 * as a heartbeat `null` or a side line), for bytes inserted between the
 * encoder's chunks once a stream is binary.
 */
export function jsonFrame (value: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(value), 'utf8')
  const len = body.length + 1
  const head: number[] = []
  let n = len
  while (n >= 0x80) { head.push((n % 0x80) | 0x80); n = Math.floor(n / 0x80) }
  head.push(n, JSON_FRAME)
  return Buffer.concat([Buffer.from(head), body])
}

/** Largest delta carried as a varint; beyond it the timestamp goes as a float64. */
const MAX_DELTA = 2 ** 50

/**
 * Encodes messages (updates, "SYNC", anything else as JSON) into
 * length-prefixed binary frames (format in docs/binary-codec.md). Keeps per
 * stream state: a dictionary of source ids already sent, and the previous
 * timestamp, so an update of a Model with a short key and value takes about
 * 20 bytes. Pure: bytes out, no I/O.
 */
export class FrameEncoder {
  private readonly sources = new Map<string, number>()
  private prevUnits = 0
  private buf = Buffer.allocUnsafe(64 * 1024)
  private pos = 0

  /** Encode a batch of messages into one buffer. */
  encode (batch: readonly unknown[]): Buffer {
    this.pos = 0
    for (const m of batch) {
      if (Array.isArray(m) && (m.length === 3 || m.length === 4) && typeof m[1] === 'number' && typeof m[2] === 'string') this.update(m)
      else if (m === 'SYNC') this.end(this.begin(SYNC_FRAME))
      else {
        const at = this.begin(JSON_FRAME)
        this.raw(JSON.stringify(m))
        this.end(at)
      }
    }
    return Buffer.from(this.buf.subarray(0, this.pos))
  }

  private update (u: readonly unknown[]): void {
    const change: unknown = u[0]
    const ts = u[1] as number
    const source = u[2] as string
    const sig: unknown = u[3]
    let flags: number
    if (Array.isArray(change) && typeof change[0] === 'string' && change.length === 2) {
      flags = typeof change[1] === 'string' ? STR_VALUE : JSON_VALUE
    } else if (Array.isArray(change) && typeof change[0] === 'string' && change.length === 1) {
      flags = DELETE
    } else {
      flags = JSON_CHANGE
    }
    const units = ts * 1024
    const delta = units - this.prevUnits
    const asDelta = Number.isSafeInteger(units) && Math.abs(delta) <= MAX_DELTA
    if (!asDelta) flags |= F64_TS
    if (typeof sig === 'string') flags |= SIGNED
    const at = this.begin(UPDATE | flags)
    const known = this.sources.get(source)
    if (known !== undefined) {
      this.varint(known)
    } else {
      this.varint(0)
      this.str(source)
      this.sources.set(source, this.sources.size + 1)
    }
    if (asDelta) {
      this.varint(delta >= 0 ? delta * 2 : -delta * 2 - 1)
    } else {
      this.ensure(8)
      this.buf.writeDoubleLE(ts, this.pos)
      this.pos += 8
    }
    // The decoder follows the same rule, so both sides keep the same base.
    if (Number.isSafeInteger(units)) this.prevUnits = units
    const c = change as unknown[]
    switch (flags & 3) {
      case STR_VALUE: this.str(c[0] as string); this.str(c[1] as string); break
      case JSON_VALUE: this.str(c[0] as string); this.str(JSON.stringify(c[1])); break
      case DELETE: this.str(c[0] as string); break
      default: this.str(JSON.stringify(change))
    }
    if (typeof sig === 'string') this.str(sig)
    this.end(at)
  }

  /** Start a frame: one byte reserved for the length, then the tag. Returns where it starts. */
  private begin (tag: number): number {
    this.ensure(2)
    const at = this.pos
    this.pos += 1
    this.buf[this.pos++] = tag
    return at
  }

  /** Finish the frame begun at `at`: write its length, moving the body if it needs more than a byte. */
  private end (at: number): void {
    const len = this.pos - at - 1
    if (len < 0x80) {
      this.buf[at] = len
      return
    }
    const extra = varintSize(len) - 1
    this.ensure(extra)
    this.buf.copy(this.buf, at + 1 + extra, at + 1, this.pos)
    this.pos += extra
    let n = len
    let p = at
    while (n >= 0x80) {
      this.buf[p++] = (n % 0x80) | 0x80
      n = Math.floor(n / 0x80)
    }
    this.buf[p] = n
  }

  /** A UTF-8 string behind a varint of its byte length. */
  private str (s: string): void {
    if (s.length < 0x2a) {
      // At most 3 bytes per UTF-16 unit: the length fits one byte.
      this.ensure(1 + s.length * 3)
      const n = this.buf.write(s, this.pos + 1, 'utf8')
      this.buf[this.pos] = n
      this.pos += 1 + n
      return
    }
    const n = Buffer.byteLength(s)
    this.varint(n)
    this.ensure(n)
    this.pos += this.buf.write(s, this.pos, 'utf8')
  }

  private raw (s: string): void {
    const n = Buffer.byteLength(s)
    this.ensure(n)
    this.pos += this.buf.write(s, this.pos, 'utf8')
  }

  private varint (v: number): void {
    this.ensure(8)
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80
      v = Math.floor(v / 0x80)
    }
    this.buf[this.pos++] = v
  }

  private ensure (n: number): void {
    if (this.pos + n <= this.buf.length) return
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n))
    this.buf.copy(next, 0, 0, this.pos)
    this.buf = next
  }
}

function varintSize (n: number): number {
  let size = 1
  while (n >= 0x80) { n = Math.floor(n / 0x80); size++ }
  return size
}

/** Limits of the binary decoder: the line limits, plus the source dictionary size. */
export interface BinaryLimits extends FrameLimits {
  /** Most distinct sources a peer may define on one stream. Default 100 000. */
  maxSources?: number
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

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
    const r = new Reader(buf, start + 1, end)
    let value: unknown
    switch (tag & 0xf0) {
      case SYNC_FRAME: value = 'SYNC'; break
      case JSON_FRAME: value = this.json(r.rest()); break
      case UPDATE: value = this.update(tag & 0x0f, r); break
      default: throw invalid(`unknown frame kind ${tag >> 4}`)
    }
    if (!r.done) throw invalid('trailing bytes in frame')
    return value
  }

  private update (flags: number, r: Reader): unknown[] {
    const ref = r.varint()
    let source: string
    if (ref === 0) {
      if (this.sources.length >= this.maxSources) throw new GrapevineError('ERR_TOO_MANY_SOURCES', `peer defined more than ${this.maxSources} sources`)
      source = r.str()
      this.sources.push(source)
    } else {
      const s = this.sources[ref - 1]
      if (s === undefined) throw invalid('update names an undefined source')
      source = s
    }
    let ts: number
    if ((flags & F64_TS) !== 0) {
      ts = r.f64()
      const units = ts * 1024
      if (Number.isSafeInteger(units)) this.prevUnits = units
    } else {
      const z = r.varint()
      const units = this.prevUnits + (z % 2 === 0 ? z / 2 : -(z + 1) / 2)
      this.prevUnits = units
      ts = units / 1024
    }
    let change: unknown
    switch (flags & 3) {
      case STR_VALUE: change = [r.str(), r.str()]; break
      case JSON_VALUE: change = [r.str(), this.json(r.str())]; break
      case DELETE: change = [r.str()]; break
      default: change = this.json(r.str())
    }
    return (flags & SIGNED) !== 0 ? [change, ts, source, r.str()] : [change, ts, source]
  }

  private json (text: string): unknown {
    let v: unknown
    try {
      v = JSON.parse(text)
    } catch {
      throw new GrapevineError('ERR_INVALID_JSON', 'frame holds invalid JSON', { sample: text.slice(0, 40) })
    }
    if (typeof v === 'object' && v !== null && exceedsDepth(v, this.limits.maxDepth)) {
      throw new GrapevineError('ERR_TOO_DEEP', `JSON nested deeper than ${this.limits.maxDepth}`)
    }
    return v
  }
}

/** Reads the fields of one frame body, never past its end. */
class Reader {
  constructor (private readonly buf: Buffer, private pos: number, private readonly end: number) {}

  get done (): boolean {
    return this.pos === this.end
  }

  varint (): number {
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

  str (): string {
    const n = this.varint()
    if (n > this.end - this.pos) throw invalid('string runs past the frame')
    const s = this.text(this.pos, this.pos + n)
    this.pos += n
    return s
  }

  rest (): string {
    const s = this.text(this.pos, this.end)
    this.pos = this.end
    return s
  }

  f64 (): number {
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

function invalid (message: string): GrapevineError {
  return new GrapevineError('ERR_INVALID_FRAME', message)
}
