import { statSync, truncateSync } from 'node:fs'
import { join } from 'node:path'
import { LogStorage } from '../../index'
import { fullableFs } from './faults'
import { storageConformance } from './conformance'

storageConformance({
  name: 'log',
  open: (dir) => LogStorage.open(dir, { fsync: 'always' }),
  openFull: (dir, full) => LogStorage.open(dir, { fsync: 'always', fs: fullableFs(full) }),
  tearTail: (dir, bytes) => {
    const log = join(dir, 'log')
    truncateSync(log, Math.max(0, statSync(log).size - bytes))
  }
})
