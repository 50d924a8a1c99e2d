/**
 * Side lines: JSON strings such as `"gv-mesh tcp://10.0.0.2:7000"` that
 * ride the replica stream between messages. Protocol v1 receivers
 * (grapevine and scuttlebutt@5) ignore JSON strings other than "SYNC", so
 * these reach only peers that look for them. On JSON lines a side line is
 * a line; once the peer switched to binary frames (gv-bin/1) it is a JSON
 * frame. This module is the pure incremental scanner: bytes in, matching
 * side lines out, parsing only lines that start with a quote and JSON
 * frames, nothing else.
 */
import { BINARY_CODEC, JSON_FRAME_TAG, jsonFrame } from '../wire/binary-frames'

const NL = 0x0a
const QUOTE = 0x22

/** Encode a side line carrying `text` under `tag`, as a JSON line or, on a binary stream, a JSON frame. */
export function encodeSideLine (tag: string, text: string, binary = false): Buffer {
  const value = `${tag} ${text}`
  return binary ? jsonFrame(value) : Buffer.from(JSON.stringify(value) + '\n', 'utf8')
}

type State =
  | 'start' // at the start of a line
  | 'skip' // to the next newline
  | 'take' // collecting a line that starts with a quote
  | 'len' // binary: reading a frame's length prefix
  | 'tag' // binary: the frame's tag byte
  | 'frame' // binary: collecting a JSON frame's body
  | 'pass' // binary: skipping a frame's body
  | 'dead' // malformed framing: the stream dies of it; nothing more is read

/** Finds side lines of one tag in a byte stream, whatever the chunking. */
export class SideLineScanner {
  private readonly tag: string
  private readonly maxBytes: number
  private readonly onLine: (text: string) => void
  private state: State = 'start'
  private parts: Buffer[] = []
  private size = 0
  /** Binary: bytes of the current frame still to come, and the length prefix read so far. */
  private left = 0
  private lenBytes = 0
  private mul = 1

  constructor (tag: string, onLine: (text: string) => void, maxBytes = 64 * 1024) {
    this.tag = tag
    this.onLine = onLine
    this.maxBytes = maxBytes
  }

  /** Feed bytes. Never throws: a malformed side line is dropped. */
  write (buf: Buffer): void {
    let pos = 0
    while (pos < buf.length) {
      switch (this.state) {
        case 'start':
          this.state = buf[pos] === QUOTE ? 'take' : 'skip'
          this.parts = []
          this.size = 0
          break
        case 'skip': {
          const nl = buf.indexOf(NL, pos)
          if (nl < 0) return
          pos = nl + 1
          this.state = 'start'
          break
        }
        case 'take': {
          const nl = buf.indexOf(NL, pos)
          const end = nl < 0 ? buf.length : nl
          this.size += end - pos
          if (this.size > this.maxBytes) {
            this.parts = []
            this.state = 'skip'
            break
          }
          this.parts.push(buf.subarray(pos, end))
          if (nl < 0) return
          pos = nl + 1
          this.state = 'start'
          this.line(Buffer.concat(this.parts).toString('utf8'))
          break
        }
        case 'len': {
          const b = buf[pos++] as number
          this.left += (b & 0x7f) * this.mul
          this.mul *= 0x80
          if (b >= 0x80) {
            if (++this.lenBytes >= 4) this.state = 'dead'
            break
          }
          this.state = this.left === 0 ? 'dead' : 'tag'
          break
        }
        case 'tag': {
          const tag = buf[pos++] as number
          this.left--
          this.parts = []
          this.state = tag === JSON_FRAME_TAG && this.left <= this.maxBytes ? 'frame' : 'pass'
          if (this.left === 0) this.nextFrame()
          break
        }
        case 'frame':
        case 'pass': {
          const n = Math.min(this.left, buf.length - pos)
          if (this.state === 'frame') this.parts.push(buf.subarray(pos, pos + n))
          pos += n
          this.left -= n
          if (this.left > 0) return
          if (this.state === 'frame') this.emit(Buffer.concat(this.parts).toString('utf8'))
          this.nextFrame()
          break
        }
        case 'dead':
          return
      }
    }
  }

  private nextFrame (): void {
    this.state = 'len'
    this.left = 0
    this.lenBytes = 0
    this.mul = 1
    this.parts = []
  }

  /** A whole line that starts with a quote: a side line, or the peer's switch to binary frames. */
  private line (text: string): void {
    const t = text.endsWith('\r') ? text.slice(0, -1) : text
    if (t === JSON.stringify(BINARY_CODEC)) {
      // Every byte after it is a binary frame (the peer only switches when
      // our stream offered the codec; a peer that lies only garbles its own gossip).
      this.nextFrame()
      return
    }
    this.emit(t)
  }

  private emit (json: string): void {
    let v: unknown
    try {
      v = JSON.parse(json)
    } catch {
      return
    }
    if (typeof v === 'string' && v.startsWith(this.tag + ' ')) this.onLine(v.slice(this.tag.length + 1))
  }
}
