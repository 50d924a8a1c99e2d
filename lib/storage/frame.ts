import * as zlib from 'node:zlib'

/**
 * Record framing of the log and snapshot files, free of I/O:
 * `[crc32 u32 BE][length u32 BE][payload]`, where the crc covers the length
 * bytes and the payload (one contiguous run), so a flipped bit anywhere, a torn write or garbage
 * after a crash is detected, never misread.
 */
export const HEADER_BYTES = 8
/** Largest payload accepted when reading back (a corrupted length is not trusted further). */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024

const TABLE = (() => {
  const t = new Int32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? 0xEDB88320 ^ (c >>> 1) : c >>> 1
    t[n] = c
  }
  return t
})()

function crc32Table (buf: Uint8Array, start = 0): number {
  let c = start ^ -1
  for (let i = 0; i < buf.length; i++) c = (TABLE[(c ^ (buf[i] as number)) & 0xFF] as number) ^ (c >>> 8)
  return (c ^ -1) >>> 0
}

type Crc = (buf: Uint8Array, start?: number) => number
const native = (zlib as unknown as { crc32?: Crc }).crc32

/** CRC-32 (IEEE), continued from `start`; node:zlib's when present, else a table. */
export const crc32: Crc = typeof native === 'function' ? native : crc32Table

/** The table-driven fallback, exported so tests can check both agree. */
export const crc32Fallback: Crc = crc32Table

/** Frame one payload. */
export function encodeRecord (payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length)
  out.writeUInt32BE(payload.length, 4)
  out.set(payload, HEADER_BYTES)
  out.writeUInt32BE(crc32(out.subarray(4)), 0)
  return out
}

/** Frame a JSON value. */
export function encodeJSON (value: unknown): Buffer {
  return encodeRecord(Buffer.from(JSON.stringify(value), 'utf8'))
}

/** The payload of a whole frame at `off` whose length is plausible and CRC matches, or undefined. */
export function payloadAt (buf: Buffer, off: number): Buffer | undefined {
  if (off + HEADER_BYTES > buf.length) return undefined
  const len = buf.readUInt32BE(off + 4)
  if (len > MAX_RECORD_BYTES || off + HEADER_BYTES + len > buf.length) return undefined
  const end = off + HEADER_BYTES + len
  if (crc32(buf.subarray(off + 4, end)) !== buf.readUInt32BE(off)) return undefined
  return buf.subarray(off + HEADER_BYTES, end)
}
