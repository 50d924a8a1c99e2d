// Child process of crash.test.ts: writes flat out into a persisted Model and
// prints each acknowledged write ("ack n") until it is killed with SIGKILL.
// argv: adapter (log-always | log-batched | level), store directory.
import { LevelStorage, LogStorage, Model, persist } from '../../index'
import type { Storage } from '../../index'

/** Keys cycle so the store outgrows the live state and compacts while we write. */
export const KEYS = 50

async function main (): Promise<void> {
  const [kind, dir] = process.argv.slice(2) as [string, string]
  let storage: Storage
  if (kind === 'level') storage = await LevelStorage.open(dir)
  else storage = await LogStorage.open(dir, { fsync: kind === 'log-always' ? 'always' : { intervalMs: 5 } })
  const m = new Model('child')
  const p = await persist(m, storage, { compactMin: 2 * KEYS, compactRatio: 2 })
  p.on('compact', () => process.stdout.write('compacted\n'))
  let n = 0
  for (const [, v] of m.entries()) if (typeof v === 'number' && v >= n) n = v + 1
  process.stdout.write(`ready ${n}\n`)
  for (;;) {
    const first = n
    for (let i = 0; i < 20; i++, n++) m.set(`k${n % KEYS}`, n)
    // 'always' fsyncs inside set(): acknowledged on return. Others: once flushed.
    if (kind !== 'log-always') await p.flush()
    else await new Promise<void>((resolve) => setImmediate(resolve))
    process.stdout.write(`ack ${n - 1} from ${first}\n`)
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`crash child failed: ${String(err)}\n`)
    process.exit(2)
  })
}
