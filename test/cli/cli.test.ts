import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test from 'tape'
import { CLI_MAIN as MAIN, Proc } from '../helpers/cli-proc'
import { makeCert } from '../helpers/certs'

interface Run { code: number | null, stdout: string, stderr: string }

/** Run the CLI to completion. */
function run (args: string[], timeoutMs = 20_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`grapevine ${args.join(' ')} timed out\n${stderr}`)) }, timeoutMs)
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
  })
}

async function server (args: string[] = []): Promise<{ p: Proc, addr: string }> {
  const p = new Proc(['serve', '--json', ...args])
  const l = await p.waitFor((x) => x.type === 'listening')
  return { p, addr: l.address as string }
}

test('grapevine --help lists the commands and exits 0; a bad command exits 2', async (t) => {
  const h = await run(['--help'])
  t.equal(h.code, 0, 'help exits 0')
  for (const c of ['serve', 'get', 'set', 'delete', 'watch', 'clock', 'stats', 'demo']) t.ok(h.stdout.includes(`  ${c}`), `help mentions ${c}`)
  const bad = await run(['frobnicate'])
  t.equal(bad.code, 2, 'unknown command exits 2')
  t.ok(bad.stderr.includes('unknown command'), 'and says why')
  const noPeer = await run(['get', 'x'])
  t.equal(noPeer.code, 2, 'get without --peer is a usage error')
})

test('set, get and delete through a served model, with --json for scripts', async (t) => {
  const { p, addr } = await server(['--watch'])
  const set = await run(['set', 'colour', '"blue"', '--peer', addr, '--json'])
  t.equal(set.code, 0, 'set exits 0')
  t.equal(JSON.parse(set.stdout.trim().split('\n').pop() as string).type, 'ack', 'set reports the ack')
  await p.waitFor((l) => l.type === 'change' && l.key === 'colour' && l.value === 'blue')
  t.pass('the server saw the change live (--watch)')
  const get = await run(['get', 'colour', '--peer', addr, '--json'])
  t.equal(get.stdout.trim(), '"blue"', 'get prints the JSON value')
  await run(['set', 'n', '42', '--peer', addr, '--quiet'])
  const all = await run(['get', '--peer', addr, '--json'])
  t.deepEqual(JSON.parse(all.stdout), { colour: 'blue', n: 42 }, 'get without a key prints everything; numbers stay numbers')
  const del = await run(['delete', 'colour', '--peer', addr, '--quiet'])
  t.equal(del.code, 0, 'delete exits 0')
  const gone = await run(['get', 'colour', '--peer', addr])
  t.equal(gone.stdout.trim(), '(not set)', 'a deleted key reads as not set')
  const clock = await run(['clock', '--peer', addr, '--json', '--quiet'])
  const c = JSON.parse(clock.stdout) as { clock: Record<string, number> }
  t.equal(Object.keys(c.clock).length, 3, 'the clock names the three writers (two sets and a delete, each its own replica id)')
  const stats = await run(['stats', '--peer', addr, '--json', '--quiet'])
  const s = JSON.parse(stats.stdout) as Record<string, number>
  t.equal(s.updatesReceived, 2, 'stats counts the updates received: the winning entry per key (a tombstone and n)')
  t.ok(s.bytesReceived > 0, 'and the bytes')
  await p.stop()
})

test('serve answers commands on stdin, including per-peer stats', async (t) => {
  const a = await server()
  const b = await server(['--peer', a.addr])
  await a.p.waitFor((l) => l.type === 'peer-join')
  b.p.send('set k v')
  await b.p.waitFor((l) => l.type === 'ok')
  for (let i = 0; i < 100 && a.p.lines.find((l) => l.type === 'value' && l.value === 'v') === undefined; i++) {
    a.p.send('get k')
    await new Promise((r) => setTimeout(r, 20))
  }
  await a.p.waitFor((l) => l.type === 'value' && l.value === 'v')
  t.pass('a write on one server reaches the other')
  a.p.send('stats')
  const st = await a.p.waitFor((l) => l.type === 'stats')
  const peers = st.peers as Array<{ id: string, updatesApplied: number }>
  t.equal(peers.length, 1, 'one peer in the stats')
  t.equal(peers[0]?.updatesApplied, 1, 'its stream applied one update')
  a.p.send('clock')
  const clk = await a.p.waitFor((l) => l.type === 'clock')
  t.equal(Object.keys(clk.clock as object).length, 1, 'clock has one source')
  a.p.send('bogus')
  await a.p.waitFor((l) => l.type === 'error')
  t.pass('an unknown command is reported, the server lives on')
  await b.p.stop()
  await a.p.waitFor((l) => l.type === 'peer-leave')
  t.pass('the other server reports the peer leaving')
  await a.p.stop()
})

test('a large initial sync shows progress with counts and rate', async (t) => {
  const { p, addr } = await server(['--fill', '20000'])
  const r = await run(['get', 'key-19999', '--peer', addr])
  t.equal(r.stdout.trim(), '19999', 'the last key arrived')
  t.ok(/synced with .*: 20,000 updates in [\d.]+ s \([\d,]+\/s\)/.test(r.stderr), `a summary with count and rate on stderr: ${r.stderr.trim().split('\n').pop() ?? ''}`)
  const j = await run(['get', 'key-1', '--peer', addr, '--json'])
  const last = JSON.parse(j.stderr.trim().split('\n').pop() as string) as { type: string, updates: number, rate: number }
  t.equal(last.type, 'synced', '--json progress ends with a synced record')
  t.equal(last.updates, 20000, 'counting every update')
  t.ok(last.rate > 0, 'with a rate')
  await p.stop()
})

test('watch prints the state and then live changes; value and events types work', async (t) => {
  const { p, addr } = await server(['--type', 'value'])
  await run(['set', '"first"', '--type', 'value', '--peer', addr])
  const w = new Proc(['watch', '--type', 'value', '--peer', addr, '--json'])
  const st = await w.waitFor((l) => l.type === 'state')
  t.equal(st.value, 'first', 'watch starts with the state')
  await run(['set', '"second"', '--type', 'value', '--peer', addr])
  await w.waitFor((l) => l.type === 'change' && l.value === 'second')
  t.pass('watch prints a later change live')
  await w.stop()
  await p.stop()

  const e = await server(['--type', 'events'])
  await run(['set', 'login', '"ann"', '--type', 'events', '--peer', e.addr])
  await run(['set', 'login', '"bob"', '--type', 'events', '--peer', e.addr])
  const ev = await run(['get', 'login', '--type', 'events', '--peer', e.addr, '--json'])
  t.deepEqual(JSON.parse(ev.stdout), [['login', 'ann'], ['login', 'bob']], 'events are kept in order')
  await e.p.stop()
})

test('grapevine demo: several peers converge on loopback and the command exits by itself', async (t) => {
  const r = await run(['demo', '--count', '4', '--writes', '50', '--json'])
  t.equal(r.code, 0, `demo exits 0 ${r.stderr}`)
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
  const done = lines.find((l) => l.type === 'converged')
  t.equal(done?.keys, 4 * 50 + 1, 'every key reached every peer')
  t.equal(done?.agree, true, 'all agree on the contested key')
})

test('serve on tls:// with --cert/--key, and a client that trusts it with --ca', async (t) => {
  const c = makeCert()
  if (c === undefined) { t.skip('openssl not found: cannot make a test certificate'); return }
  const dir = mkdtempSync(join(tmpdir(), 'gv-cli-tls-'))
  try {
    writeFileSync(join(dir, 'key.pem'), c.key)
    writeFileSync(join(dir, 'cert.pem'), c.cert)
    const { p, addr } = await server(['--listen', 'tls://127.0.0.1:0', '--key', join(dir, 'key.pem'), '--cert', join(dir, 'cert.pem')])
    t.ok(addr.startsWith('tls://'), `listening on ${addr}`)
    const set = await run(['set', 'secret', '1', '--peer', addr, '--ca', join(dir, 'cert.pem'), '--quiet'])
    t.equal(set.code, 0, 'set over TLS exits 0')
    const get = await run(['get', 'secret', '--peer', addr, '--ca', join(dir, 'cert.pem'), '--json', '--quiet'])
    t.equal(get.stdout.trim(), '1', 'get over TLS reads it back')
    const untrusted = await run(['get', 'secret', '--peer', addr, '--quiet'])
    t.equal(untrusted.code, 1, 'without --ca the self-signed server is refused (exit 1)')
    await p.stop()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
