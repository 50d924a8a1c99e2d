import { execFile } from 'node:child_process'
import test from 'tape'
import { RedisBackend } from '../../lib/redis/backend'
import { docKeys } from '../../lib/redis/entries'
import { CLI_MAIN, Proc } from '../helpers/cli-proc'
import { RedisServer } from './redis-server'

// `grapevine relay` as people run it, next to the one-shot commands that
// talk to it.

function cli (args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI_MAIN, ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr })
    })
  })
}

test('relay without --redis is a usage error', async (t) => {
  const r = await cli(['relay'])
  t.equal(r.code, 2, 'exit code 2')
  t.match(r.stderr, /--redis URL/, 'says what is missing')
})

test('grapevine set through one relay is in Redis when it says ok, even while Redis is slow; get through another relay reads it', async (t) => {
  const redis = await RedisServer.start({ args: ['--enable-debug-command', 'yes'] }).catch((err: Error) => { t.fail(err.message); throw err })
  const prefix = 'cli'
  const procs: Proc[] = []
  const probe = new RedisBackend(redis.url)
  try {
    for (let i = 0; i < 2; i++) {
      const p = new Proc(['relay', '--redis', redis.url, '--listen', 'tcp://127.0.0.1:0', '--prefix', prefix, '--json'])
      await p.waitFor((l) => l.type === 'listening', 15_000)
      procs.push(p)
    }
    const [a0, a1] = procs.map((p) => String(p.lines.find((l) => l.type === 'listening')?.address))
    await probe.connect()
    // Redis stalls for a moment: the relay must hold its ok until the append is through.
    const slow = probe.command(['DEBUG', 'SLEEP', '0.5']).catch(() => {})
    const set = await cli(['set', 'colour', 'blue', '--peer', a0 as string])
    t.equal(set.code, 0, `set: ${set.stdout.trim()}`)
    const log = await probe.command(['XRANGE', docKeys(prefix, 'default').log, '-', '+'])
    t.ok(JSON.stringify(log).includes('colour'), 'the write is in Redis the moment set said ok')
    await slow
    const get = await cli(['get', 'colour', '--peer', a1 as string, '--json'])
    t.equal(get.stdout.trim(), '"blue"', 'read back through the other relay')
    const stats = await (procs[0] as Proc).request('stats', 'stats')
    t.equal(stats.acks, 1, 'the relay acknowledged one write')
    await redis.kill()
    await (procs[0] as Proc).waitFor((l) => l.type === 'backend' && l.state === 'down', 10_000)
    const refused = await cli(['set', 'colour', 'red', '--peer', a0 as string])
    t.equal(refused.code, 1, 'with Redis down, set fails (exit 1)')
    t.match(refused.stderr, /before it confirmed the write is in Redis/, 'and says the write was not stored')
    const stale = await cli(['get', 'colour', '--peer', a0 as string, '--json'])
    t.equal(stale.stdout.trim(), '"blue"', 'reads are still served')
  } finally {
    await probe.close()
    await Promise.all(procs.map((p) => p.kill()))
    await redis.destroy()
  }
})

test('relay --bucket serves many documents', async (t) => {
  const redis = await RedisServer.start().catch((err: Error) => { t.fail(err.message); throw err })
  const p = new Proc(['relay', '--redis', redis.url, '--bucket', '--json'])
  try {
    const l = await p.waitFor((x) => x.type === 'listening', 15_000)
    t.equal(l.mode, 'bucket', 'bucket mode')
  } finally {
    await p.kill()
    await redis.destroy()
  }
})
