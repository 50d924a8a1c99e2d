import { GrapevineError } from '../errors/grapevine-error'

/** Limits applied while framing. */
export interface FrameLimits {
  /** Longest line in bytes, complete or not. Default 1 MiB. */
  maxLineBytes: number
  /** Deepest JSON nesting accepted. Default 64. */
  maxDepth: number
}

export const DEFAULT_LIMITS: FrameLimits = { maxLineBytes: 1024 * 1024, maxDepth: 64 }

const NL = 0x0a
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * Splits bytes into JSON values, one per line (pure, no streams). Works on
 * bytes, so a character split across chunks is decoded whole, and keeps
 * the pieces of an unfinished line in a list, so input is handled in linear
 * time. Any framing fault throws a GrapevineError; after that the decoder
 * must not be used again.
 */
export class LineDecoder {
  private parts: Buffer[] = []
  private partBytes = 0
  private lineNo = 0
  bytes = 0

  constructor (private readonly limits: FrameLimits = DEFAULT_LIMITS) {}

  /**
   * Decode one chunk; parsed values are appended to `out`. When `stop` is
   * given and returns true for a value, that value is not appended and
   * decoding stops after its line (the rest of the stream is in another
   * framing). Returns the number of bytes of `chunk` consumed.
   */
  write (chunk: Buffer, out: unknown[], stop?: (value: unknown) => boolean): number {
    let start = 0
    const max = this.limits.maxLineBytes
    for (;;) {
      const nl = chunk.indexOf(NL, start)
      if (nl < 0) break
      const before = out.length
      if (this.partBytes === 0) {
        if (nl - start > max) this.tooLong(nl - start)
        this.line(chunk, start, nl, out)
      } else {
        const total = this.partBytes + (nl - start)
        if (total > max) this.tooLong(total)
        this.parts.push(chunk.subarray(start, nl))
        const whole = Buffer.concat(this.parts, total)
        this.parts = []
        this.partBytes = 0
        this.line(whole, 0, whole.length, out)
      }
      start = nl + 1
      if (stop !== undefined && out.length > before && stop(out[out.length - 1])) {
        out.pop()
        this.bytes += start
        return start
      }
    }
    this.bytes += chunk.length
    if (start < chunk.length) {
      const rest = chunk.length - start
      if (this.partBytes + rest > max) this.tooLong(this.partBytes + rest)
      // Copy: the caller may reuse its buffer, and a small slice must not pin a large one.
      this.parts.push(Buffer.from(chunk.subarray(start)))
      this.partBytes += rest
    }
    return chunk.length
  }

  /** The input ended: a last line without a newline still counts. */
  end (out: unknown[]): void {
    if (this.partBytes === 0) return
    const whole = Buffer.concat(this.parts, this.partBytes)
    this.parts = []
    this.partBytes = 0
    this.line(whole, 0, whole.length, out)
  }

  /** Bytes of an unfinished line held in memory. */
  get pendingBytes (): number {
    return this.partBytes
  }

  private line (buf: Buffer, start: number, end: number, out: unknown[]): void {
    this.lineNo++
    if (end > start && buf[end - 1] === 0x0d) end-- // \r\n
    if (end === start) return
    let text = buf.toString('utf8', start, end)
    if (text.includes('\uFFFD')) {
      // The replacement character may be genuine; decode strictly to tell.
      try {
        text = strictUtf8.decode(buf.subarray(start, end))
      } catch {
        throw new GrapevineError('ERR_INVALID_UTF8', 'line is not valid UTF-8', { line: this.lineNo })
      }
    }
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      // A line of whitespace only is blank; checked here so good lines skip it.
      if (text.trim() === '') return
      throw new GrapevineError('ERR_INVALID_JSON', 'line is not JSON', { line: this.lineNo, sample: text.slice(0, 40) })
    }
    if (typeof value === 'object' && value !== null && exceedsDepth(value, this.limits.maxDepth)) {
      throw new GrapevineError('ERR_TOO_DEEP', `JSON nested deeper than ${this.limits.maxDepth}`, { line: this.lineNo })
    }
    out.push(value)
  }

  private tooLong (bytes: number): never {
    throw new GrapevineError('ERR_LINE_TOO_LONG', `line exceeds ${this.limits.maxLineBytes} bytes`, { bytes })
  }
}

/**
 * True when `root` nests deeper than `maxDepth` (JSON.parse copes with deep
 * input). Recursion stops at `maxDepth` levels, so the stack stays bounded,
 * and nothing is allocated for the common shallow case.
 */
export function exceedsDepth (root: object, maxDepth: number): boolean {
  return maxDepth <= 512 ? deeper(root, maxDepth - 1) : deeperIterative(root, maxDepth)
}

/** The same check with an explicit stack, for limits too deep to recurse safely. */
function deeperIterative (root: object, maxDepth: number): boolean {
  const stack: Array<[unknown, number]> = [[root, 1]]
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number]
    if (d > maxDepth) return true
    if (Array.isArray(v)) {
      for (const x of v) if (typeof x === 'object' && x !== null) stack.push([x, d + 1])
    } else if (typeof v === 'object' && v !== null) {
      for (const k in v) {
        const x: unknown = (v as Record<string, unknown>)[k]
        if (typeof x === 'object' && x !== null) stack.push([x, d + 1])
      }
    }
  }
  return false
}

/** True when `v` has container children nested more than `budget` levels down. */
function deeper (v: object, budget: number): boolean {
  if (budget < 0) return true
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i]
      if (typeof x === 'object' && x !== null && deeper(x, budget - 1)) return true
    }
  } else {
    for (const k in v) {
      const x: unknown = (v as Record<string, unknown>)[k]
      if (typeof x === 'object' && x !== null && deeper(x, budget - 1)) return true
    }
  }
  return false
}
