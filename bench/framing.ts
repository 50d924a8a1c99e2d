import { Transform, type TransformCallback } from 'node:stream'

/**
 * Splits a byte stream into frames prefixed by a 4-byte big-endian length.
 * Pieces of an unfinished frame are kept in a list and joined once, so a
 * large frame arriving in many chunks costs linear time.
 */
export class FrameSplitter extends Transform {
  private parts: Buffer[] = []
  private have = 0

  constructor () {
    super({ readableObjectMode: true })
  }

  override _transform (chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.parts.push(chunk)
    this.have += chunk.length
    for (;;) {
      if (this.have < 4) break
      let head = this.parts[0] as Buffer
      if (head.length < 4) head = this.join()
      const need = 4 + head.readUInt32BE(0)
      if (this.have < need) break
      if (head.length < need) head = this.join()
      this.push(head.subarray(4, need))
      const rest = head.subarray(need)
      this.parts.shift()
      if (rest.length > 0) this.parts.unshift(rest)
      this.have -= need
    }
    cb()
  }

  private join (): Buffer {
    const all = Buffer.concat(this.parts, this.have)
    this.parts = [all]
    return all
  }
}

/** One frame: 4-byte big-endian length, then the payload. */
export function frame (payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + payload.length)
  out.writeUInt32BE(payload.length, 0)
  out.set(payload, 4)
  return out
}
