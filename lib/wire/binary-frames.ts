import { DELETE, F64_TS, JSON_CHANGE, JSON_FRAME, JSON_VALUE, SIGNED, STR_VALUE, SYNC_FRAME, UPDATE } from './frame-format'

export { type BinaryLimits, FrameDecoder } from './frame-decoder'

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

/** Tag byte of a frame holding any other message as JSON text. */
export const JSON_FRAME_TAG = JSON_FRAME

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
      if (Array.isArray(m) && (m.length === 3 || m.length === 4) && typeof m[1] === 'number' && typeof m[2] === 'string' && this.update(m)) continue
      if (m === 'SYNC') this.end(this.begin(SYNC_FRAME))
      else {
        const at = this.begin(JSON_FRAME)
        this.raw(JSON.stringify(m))
        this.end(at)
      }
    }
    return Buffer.from(this.buf.subarray(0, this.pos))
  }

  /**
   * Encode an update frame; false (nothing written) when the update must go
   * as a JSON frame instead: a signature that is not a string, or a string
   * with a lone surrogate (UTF-8 cannot carry it; JSON text escapes it).
   */
  private update (u: readonly unknown[]): boolean {
    const change: unknown = u[0]
    const ts = u[1] as number
    const source = u[2] as string
    const sig: unknown = u[3]
    if (u.length === 4 && typeof sig !== 'string') return false
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
    let ok = true
    if (known !== undefined) {
      this.varint(known)
    } else {
      this.varint(0)
      ok = this.str(source)
    }
    if (asDelta) {
      this.varint(delta >= 0 ? delta * 2 : -delta * 2 - 1)
    } else {
      this.ensure(8)
      this.buf.writeDoubleLE(ts, this.pos)
      this.pos += 8
    }
    const c = change as unknown[]
    switch (flags & 3) {
      case STR_VALUE: ok = this.str(c[0] as string) && this.str(c[1] as string) && ok; break
      case JSON_VALUE: ok = this.str(c[0] as string) && this.str(JSON.stringify(c[1])) && ok; break
      case DELETE: ok = this.str(c[0] as string) && ok; break
      default: this.str(JSON.stringify(change))
    }
    if (typeof sig === 'string') ok = this.str(sig) && ok
    if (!ok) {
      // Undo the frame: nothing of it was sent, the source stays undefined, the timestamp base unchanged.
      this.pos = at
      return false
    }
    if (known === undefined) this.sources.set(source, this.sources.size + 1)
    // The decoder follows the same rule, so both sides keep the same base.
    if (Number.isSafeInteger(units)) this.prevUnits = units
    this.end(at)
    return true
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

  /**
   * A UTF-8 string behind a varint of its byte length. False when the
   * string has a lone surrogate (written as U+FFFD, so the caller must undo
   * the frame); checked only for strings that are not plain ASCII.
   */
  private str (s: string): boolean {
    let n: number
    if (s.length < 0x2a) {
      // At most 3 bytes per UTF-16 unit: the length fits one byte.
      this.ensure(1 + s.length * 3)
      n = this.buf.write(s, this.pos + 1, 'utf8')
      this.buf[this.pos] = n
      this.pos += 1 + n
    } else {
      n = Buffer.byteLength(s)
      this.varint(n)
      this.ensure(n)
      this.pos += this.buf.write(s, this.pos, 'utf8')
    }
    return n === s.length || wellFormed(s)
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

/** No lone surrogate: the string survives a trip through UTF-8. */
function wellFormed (s: string): boolean {
  // reason: String.prototype.isWellFormed is in Node 20 but not in the ES2022 lib this project compiles against.
  return (s as unknown as { isWellFormed: () => boolean }).isWellFormed()
}

function varintSize (n: number): number {
  let size = 1
  while (n >= 0x80) { n = Math.floor(n / 0x80); size++ }
  return size
}
