import { realFs } from '../../index'
import type { FsLayer, Update } from '../../index'
import { encodeJSON } from '../../lib/storage/frame'

/** The real file system, except that writes fail with ENOSPC while `full.on`. */
export function fullableFs (full: { on: boolean }): FsLayer {
  const enospc = (): Error => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 })
  return {
    ...realFs,
    writeSync: (fd, buf, off, len, pos) => {
      if (!full.on) return realFs.writeSync(fd, buf, off, len, pos)
      // A real full disk often takes part of a write before refusing the rest.
      const part = Math.min(len ?? buf.length, 5)
      if (part > 0 && (off ?? 0) === 0) return realFs.writeSync(fd, buf, off, part, pos)
      throw enospc()
    }
  }
}


/** Byte offset where each record of a log written from `ups` (one append each) starts, then the end. */
export function frameStarts (ups: readonly Update[]): number[] {
  const out = [0]
  for (const u of ups) out.push((out[out.length - 1] as number) + encodeJSON(u).length)
  return out
}
