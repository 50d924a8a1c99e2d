import test from 'tape'
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'

// Every example must run, print something and exit by itself.
const dir = join(process.cwd(), 'dist', 'examples')
for (const file of readdirSync(dir).filter((f) => f.endsWith('.js')).sort()) {
  test(`example ${file} runs and exits`, (t) => {
    const r = spawnSync(process.execPath, [join(dir, file)], { encoding: 'utf8', timeout: 30_000 })
    t.equal(r.status, 0, `exit code 0${r.stderr !== '' ? ` (stderr: ${r.stderr.slice(0, 300)})` : ''}`)
    t.ok(r.stdout.trim().length > 0, 'printed what happened')
    t.end()
  })
}
