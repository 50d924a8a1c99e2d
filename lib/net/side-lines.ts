/**
 * Side lines: JSON string lines such as `"gv-mesh tcp://10.0.0.2:7000"`
 * that ride the replica stream between messages. Protocol v1 receivers
 * (grapevine and scuttlebutt@5) ignore JSON strings other than "SYNC", so
 * these reach only peers that look for them. This module is the pure
 * incremental scanner: bytes in, matching lines out, without parsing
 * anything else (one `indexOf` per line).
 */

const NL = 0x0a

/** Encode a side line carrying `text` under `tag`. */
export function encodeSideLine (tag: string, text: string): Buffer {
  return Buffer.from(JSON.stringify(`${tag} ${text}`) + '\n', 'utf8')
}

/** Finds side lines of one tag in a byte stream, whatever the chunking. */
export class SideLineScanner {
  private readonly prefix: Buffer
  private readonly tag: string
  private readonly maxBytes: number
  private readonly onLine: (text: string) => void
  /** 'start' (matching the prefix), 'skip' (to the next newline), 'take' (collecting). */
  private state: 'start' | 'skip' | 'take' = 'start'
  private matched = 0
  private parts: Buffer[] = []
  private size = 0

  constructor (tag: string, onLine: (text: string) => void, maxBytes = 64 * 1024) {
    this.tag = tag
    this.prefix = Buffer.from(JSON.stringify(tag + ' ').slice(0, -1), 'utf8')
    this.onLine = onLine
    this.maxBytes = maxBytes
  }

  /** Feed bytes. Never throws: a malformed side line is dropped. */
  write (buf: Buffer): void {
    let pos = 0
    while (pos < buf.length) {
      if (this.state === 'skip') {
        const nl = buf.indexOf(NL, pos)
        if (nl < 0) return
        pos = nl + 1
        this.state = 'start'
        this.matched = 0
      } else if (this.state === 'start') {
        while (pos < buf.length && this.matched < this.prefix.length) {
          if (buf[pos] !== this.prefix[this.matched]) break
          this.matched++
          pos++
        }
        if (this.matched === this.prefix.length) {
          this.state = 'take'
          this.parts = [this.prefix]
          this.size = this.prefix.length
        } else if (pos < buf.length) {
          this.state = 'skip'
        }
      } else {
        const nl = buf.indexOf(NL, pos)
        const end = nl < 0 ? buf.length : nl
        this.size += end - pos
        if (this.size > this.maxBytes) {
          this.parts = []
          this.state = 'skip'
          continue
        }
        this.parts.push(buf.subarray(pos, end))
        if (nl < 0) return
        pos = nl + 1
        this.emit(Buffer.concat(this.parts).toString('utf8'))
        this.parts = []
        this.state = 'start'
        this.matched = 0
      }
    }
  }

  private emit (line: string): void {
    let v: unknown
    try {
      v = JSON.parse(line)
    } catch {
      return
    }
    if (typeof v === 'string' && v.startsWith(this.tag + ' ')) this.onLine(v.slice(this.tag.length + 1))
  }
}
