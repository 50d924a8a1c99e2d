// Child of lock.test.ts: opens a store, says so, and holds it until killed.
// argv: log | level, store directory.
import { LevelStorage, LogStorage } from '../../index'

async function main (): Promise<void> {
  const [kind, dir] = process.argv.slice(2) as [string, string]
  if (kind === 'level') await LevelStorage.open(dir)
  else await LogStorage.open(dir)
  process.stdout.write('open\n')
  setInterval(() => {}, 1000)
}

main().catch((err: unknown) => {
  process.stderr.write(`lock child failed: ${String(err)}\n`)
  process.exit(2)
})
