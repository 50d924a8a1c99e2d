import test from 'tape'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { LevelStorage, LogStorage, isGrapevineError } from '../../index'
import type { Storage } from '../../index'
import { tempDir } from './conformance'
import { once } from '../helpers/replicas'

const kinds: Array<[string, (dir: string) => Promise<Storage>]> = [
  ['log', (dir) => LogStorage.open(dir)],
  ['level', (dir) => LevelStorage.open(dir)]
]

for (const [kind, open] of kinds) {
  test(`${kind}: a store held by another process is ERR_STORE_LOCKED until that process dies`, async (t) => {
    const { dir, rm } = tempDir()
    const child = spawn(process.execPath, [join(__dirname, 'lock-child.js'), kind, dir], { stdio: ['ignore', 'pipe', 'inherit'] })
    await once(child.stdout, 'data', 10_000)
    try {
      const s = await open(dir)
      t.fail('opened a store another process holds')
      await s.close()
    } catch (err) {
      t.ok(isGrapevineError(err, 'ERR_STORE_LOCKED'), String(err))
    }
    child.kill('SIGKILL')
    await once(child, 'exit')
    const s = await open(dir)
    t.pass('opens once the holder is gone (kill -9 leaves no lasting lock)')
    await s.close()
    rm()
  })
}
