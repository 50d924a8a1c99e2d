import { join } from 'node:path'
import { crc32 } from './frame'
import type { FsLayer } from './fs-layer'
import { storageError } from './types'

const SLOT = 16

/**
 * A tiny side file recording the highest own timestamp a replica may have
 * sent, written synchronously before the update can reach a stream. Used by
 * stores whose appends are asynchronous (LevelDB): after a crash the
 * replica issues past it, so it never reuses a timestamp a peer has seen.
 * Two checksummed slots, written in turn, so a torn write leaves the other.
 */
export class ClockMark {
  private slot = 0
  private current: number

  private constructor (private readonly f: FsLayer, private readonly fd: number, private readonly sync: boolean, value: number) {
    this.current = value
  }

  /** Open (or create) the mark file `name` in `dir`. */
  static open (f: FsLayer, dir: string, name: string, sync: boolean): ClockMark {
    let fd: number
    let buf: Buffer
    try {
      fd = f.openSync(join(dir, name), 'a+')
      buf = f.readFileSync(join(dir, name))
      f.closeSync(fd)
      fd = f.openSync(join(dir, name), 'r+')
    } catch (err) {
      throw storageError(err, 'open clock mark')
    }
    let best = 0
    for (let i = 0; i + SLOT <= buf.length && i < 2 * SLOT; i += SLOT) {
      const v = buf.readDoubleBE(i)
      if (buf.readUInt32BE(i + 8) === crc32(buf.subarray(i, i + 8)) && Number.isFinite(v) && v > best) best = v
    }
    return new ClockMark(f, fd, sync, best)
  }

  /** The highest timestamp recorded. */
  get value (): number {
    return this.current
  }

  /** Record `ts` if it is higher than what is recorded (synchronous; throws a coded error). */
  raise (ts: number): void {
    if (ts <= this.current) return
    const buf = Buffer.alloc(SLOT)
    buf.writeDoubleBE(ts, 0)
    buf.writeUInt32BE(crc32(buf.subarray(0, 8)), 8)
    try {
      this.f.writeSync(this.fd, buf, 0, SLOT, this.slot * SLOT)
      if (this.sync) this.f.fsyncSync(this.fd)
    } catch (err) {
      throw storageError(err, 'write clock mark')
    }
    this.slot ^= 1
    this.current = ts
  }

  /** Close the file. */
  close (): void {
    try { this.f.closeSync(this.fd) } catch {}
  }
}
