// Runs the tape suite on the compiled tests and prints one closing line
// ("tape: N passed, M failed") that CI can read. Exit code follows tape.
import { spawn } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

function find (dir) {
  const out = []
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...find(p))
    else if (name.endsWith('.test.js')) out.push(p)
  }
  return out
}

const filter = process.argv[2]
const files = find('dist/test').filter((f) => !filter || f.includes(filter)).sort()
if (files.length === 0) {
  console.error('no test files found under dist/test')
  process.exit(1)
}
const child = spawn(process.execPath, ['node_modules/tape/bin/tape', ...files], {
  stdio: ['ignore', 'pipe', 'inherit']
})
let pass = 0
let fail = 0
let buf = ''
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk)
  buf += chunk.toString('utf8')
  let i
  while ((i = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, i)
    buf = buf.slice(i + 1)
    const m = /^# (pass|fail)\s+(\d+)/.exec(line)
    if (m) m[1] === 'pass' ? (pass = Number(m[2])) : (fail = Number(m[2]))
  }
})
child.on('close', (code, signal) => {
  if (code !== 0 && fail === 0) fail = 1
  console.log(`\ntape: ${pass} passed, ${fail} failed`)
  process.exit(code ?? (signal ? 1 : 0))
})
