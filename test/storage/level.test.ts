import { readdirSync, statSync, truncateSync } from 'node:fs'
import { join } from 'node:path'
import { LevelStorage, classicLevelDb } from '../../index'
import type { LevelDb, LevelOp } from '../../index'
import { storageConformance } from './conformance'

/** classic-level, except that batches fail as LevelDB does on a full disk while `full.on`. */
function fullableDb (location: string, full: { on: boolean }): LevelDb {
  const db = classicLevelDb(location)
  return {
    ...db,
    batch: async (ops: LevelOp[], o) => {
      if (full.on) throw Object.assign(new Error('IO error: ./000005.log: No space left on device'), { code: 'LEVEL_IO_ERROR' })
      return await db.batch(ops, o)
    }
  }
}

storageConformance({
  name: 'level',
  open: (dir) => LevelStorage.open(dir),
  openFull: (dir, full) => LevelStorage.open(dir, { createDb: (loc) => fullableDb(loc, full) }),
  tearTail: (dir, bytes) => {
    // LevelDB keeps recent writes in its write-ahead log (*.log): tear the newest.
    const logs = readdirSync(dir).filter((f) => f.endsWith('.log')).sort()
    const log = join(dir, logs[logs.length - 1] as string)
    truncateSync(log, Math.max(0, statSync(log).size - bytes))
  }
})
