import { spawn } from 'node:child_process'
import test from 'tape'
import { CLI_MAIN, Proc } from '../helpers/cli-proc'

function run (args: string[], timeoutMs = 20_000): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`timed out\n${stderr}`)) }, timeoutMs)
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
  })
}

const warnings = (stderr: string): string[] => stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => String((JSON.parse(l) as { type: unknown }).type))

test('the CLI prints clock skew, held and refused warnings on both sides, and the write still lands', async (t) => {
  // The server's clock is 62 s slow: our write is 2 s past its 60 s drift limit.
  const p = new Proc(['serve', '--json', '--watch', '--clock-offset', '-62000'])
  const l = await p.waitFor((x) => x.type === 'listening')
  const set = await run(['set', 'k', '"v"', '--peer', String(l.address), '--json'])
  t.equal(set.code, 0, 'set exits 0 once the server applied the write')
  const mine = warnings(set.stderr)
  t.ok(mine.includes('warning-skew'), 'the writer is warned that the server clock is behind')
  t.ok(mine.includes('warning-refused'), 'the writer is told the server held its update')
  await p.waitFor((x) => x.type === 'change' && x.key === 'k')
  t.pass('the server applied the held write once its clock allowed it')
  const theirs = warnings(p.stderr)
  t.ok(theirs.includes('warning-skew') && theirs.includes('warning-held'), 'the server printed skew and held warnings')
  const human = await run(['get', 'k', '--peer', String(l.address)])
  t.ok(/! clock skew: peer .* behind ours/.test(human.stderr), `a person reads it too: ${human.stderr.split('\n')[0] ?? ''}`)
  await p.stop()
})
