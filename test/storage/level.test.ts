import { readFileSync, readdirSync, statSync, truncateSync } from 'node:fs'
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

/**
 * Tear the newest LevelDB write-ahead log (*.log), where recent writes live:
 * `bytes` off the last batch of updates. close() ends the log with the
 * `c!sync` marker batch of its flush, so the tear starts before that.
 */
function tearTail (dir: string, bytes: number): void {
  const logs = readdirSync(dir).filter((f) => f.endsWith('.log')).sort()
  const log = join(dir, logs[logs.length - 1] as string)
  const buf = readFileSync(log)
  const marker = buf.lastIndexOf('c!sync')
  // Log record header (7), batch header (12), value type (1), key length (1): where the marker batch starts.
  const end = marker >= 0 ? marker - 21 : statSync(log).size
  truncateSync(log, Math.max(0, end - bytes))
}

for (const sync of [false, true]) {
  storageConformance({
    name: sync ? 'level (sync)' : 'level',
    open: (dir) => LevelStorage.open(dir, { sync }),
    openFull: (dir, full) => LevelStorage.open(dir, { sync, createDb: (loc) => fullableDb(loc, full) }),
    tearTail
  })
}
