import { HEADER_BYTES, MAX_RECORD_BYTES, payloadAt } from './frame'

// Reading framed records past damage, free of I/O.

/** One intact record: where its frame starts, and its payload. */
export interface Frame {
  readonly start: number
  readonly payload: Buffer
}

/** A damaged run of bytes with intact frames after it. */
export interface Gap {
  readonly start: number
  readonly end: number
  /** Records lost in it (see `exact`). */
  readonly records: number
  /** True when the lost frames' length fields chain exactly across the gap. */
  readonly exact: boolean
}

/** What a salvage scan found. */
export interface Salvaged {
  /** Every intact record, in file order. */
  readonly frames: Frame[]
  /** Damage followed by intact records: real corruption, never a torn write. */
  readonly gaps: Gap[]
  /** End of the last intact record: a torn tail (no intact frame after it) runs from here to the end. */
  readonly validEnd: number
}

/** Options of `salvageFrames`. */
export interface SalvageOptions {
  /**
   * Whether a payload is a record this store wrote. Checked on every frame
   * found by resynchronisation (so random bytes that happen to pass the CRC
   * are not taken for a record), and on every frame when `checkAll`.
   */
  accept: (payload: Buffer) => boolean
  /** Check `accept` on every frame, not only resynchronised ones (slower; for files holding foreign frames). */
  checkAll?: boolean
  /** Bytes a payload may start with: a cheap filter before the CRC while resynchronising. */
  firstBytes?: readonly number[]
}

/**
 * Read every intact frame of `buf`. After a damaged frame, scan forward
 * byte by byte for the next offset where a frame's length is plausible, its
 * CRC matches and its payload is accepted, and go on from there.
 */
export function salvageFrames (buf: Buffer, opts: SalvageOptions): Salvaged {
  const frames: Frame[] = []
  const gaps: Gap[] = []
  const first = opts.firstBytes === undefined ? undefined : new Set(opts.firstBytes)
  let off = 0
  let validEnd = 0
  while (off < buf.length) {
    const len = frameAt(buf, off, opts.checkAll === true ? opts.accept : undefined)
    if (len >= 0) {
      frames.push({ start: off, payload: buf.subarray(off + HEADER_BYTES, off + HEADER_BYTES + len) })
      off += HEADER_BYTES + len
      validEnd = off
      continue
    }
    const next = resync(buf, off + 1, opts.accept, first)
    if (next < 0) break // nothing intact after it: a torn tail
    gaps.push({ start: off, end: next, ...countLost(buf, off, next) })
    off = next
  }
  return { frames, gaps, validEnd }
}

/** Length of the payload of a whole, valid (and accepted) frame at `off`, or -1. */
function frameAt (buf: Buffer, off: number, accept: ((p: Buffer) => boolean) | undefined): number {
  const p = payloadAt(buf, off)
  if (p === undefined || (accept !== undefined && !accept(p))) return -1
  return p.length
}

/** The next offset from `from` holding an intact, accepted frame, or -1. */
function resync (buf: Buffer, from: number, accept: (p: Buffer) => boolean, first: Set<number> | undefined): number {
  for (let o = from; o + HEADER_BYTES <= buf.length; o++) {
    const len = buf.readUInt32BE(o + 4)
    if (len > MAX_RECORD_BYTES || o + HEADER_BYTES + len > buf.length) continue
    if (first !== undefined && (len === 0 || !first.has(buf[o + HEADER_BYTES] as number))) continue
    if (frameAt(buf, o, accept) >= 0) return o
  }
  return -1
}

/**
 * Records lost in `[start, end)`: follow the length fields from `start`.
 * If they chain exactly onto `end`, each hop was a frame whose length was
 * readable: the count is exact. Otherwise at least one record was there.
 * An empty payload is never a record (zeroed bytes would chain in 8-byte hops).
 */
export function countLost (buf: Buffer, start: number, end: number): { records: number, exact: boolean } {
  let o = start
  let n = 0
  while (o + HEADER_BYTES <= end) {
    const len = buf.readUInt32BE(o + 4)
    if (len === 0 || o + HEADER_BYTES + len > end) break
    n++
    o += HEADER_BYTES + len
  }
  if (o === end && n > 0) return { records: n, exact: true }
  return { records: Math.max(1, n), exact: false }
}
