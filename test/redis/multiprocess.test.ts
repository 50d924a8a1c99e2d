import { execFile } from 'node:child_process'
import { join } from 'node:path'
import test from 'tape'
import { Model } from '../../lib/models/model'
import { RedisRelay } from '../../lib/redis/relay'
import { CLI_MAIN, Proc } from '../helpers/cli-proc'
import { freePort, RedisServer } from './redis-server'

// Real processes: one redis-server (AOF on, fsync always), three
// `grapevine relay` processes, and client processes hosting the clients
// (test/redis/client-host.ts), each client connected to one relay at a time
// and moving to another when its relay dies. A write is acknowledged once
// a relay said it is in Redis (a `gv-relay` ack side line). Clients never
// die here, so every write must arrive in the end, acknowledged or not; the
// acknowledged ones must also be in Redis itself, as a relay started from
// Redis alone shows. GRAPEVINE_REDIS_SOAK=1 writes for longer.

const HOST = join(__dirname, 'client-host.js')
const SOAK = process.env.GRAPEVINE_REDIS_SOAK === '1'
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

interface Report { id: string, written: Array<[string, number]>, durable: Record<string, number>, connects: Array<[number, string]>, address?: string }

async function startRelay (redis: string, port: number, prefix: string): Promise<Proc> {
  const p = new Proc(['relay', '--redis', redis, '--listen', `tcp://127.0.0.1:${port}`, '--prefix', prefix, '--json', '--heartbeat', '200', '--idle-timeout', '2000'])
  await p.waitFor((l) => l.type === 'listening', 15_000)
  return p
}

async function startHost (relays: string[], name: string, start: number, count: number): Promise<Proc> {
  const p = new Proc(['--relays', relays.join(','), '--count', String(count), '--name', name, '--start', String(start), '--every', '50'], [process.execPath, HOST])
  await p.waitFor((l) => l.type === 'ready', 15_000)
  return p
}

async function reports (hosts: Proc[]): Promise<Report[]> {
  const out: Report[] = []
  for (const h of hosts) out.push(...((await h.request('report', 'report')).clients as Report[]))
  return out
}

/** Wait until every client holds every write made (all digests equal, sizes = writes). */
async function converge (t: test.Test, hosts: Proc[], writes: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  let last = ''
  for (;;) {
    const dumps: Array<{ id: string, size: number, digest: string }> = []
    for (const h of hosts) dumps.push(...((await h.request('dump', 'dump')).clients as typeof dumps))
    const digests = new Set(dumps.map((d) => d.digest))
    last = `sizes ${dumps.map((d) => d.size).join(' ')}`
    if (digests.size === 1 && dumps.every((d) => d.size === writes)) return true
    if (Date.now() > end) {
      t.fail(`no convergence: ${last} (want ${writes})`)
      return false
    }
    await sleep(200)
  }
}

/** What Redis itself holds: a relay started from it alone. */
async function inRedis (url: string, prefix: string): Promise<Record<string, unknown>> {
  const r = await RedisRelay.start({ redis: url, prefix })
  const state = r.document<Model>()?.toJSON() ?? {}
  await r.close()
  return state
}

function checkWrites (t: test.Test, all: Report[], stored: Record<string, unknown>): void {
  const written = all.flatMap((c) => c.written.map(([k, ts]) => ({ k, acked: ts <= (c.durable[c.id] ?? 0) })))
  const acked = written.filter((w) => w.acked)
  t.ok(acked.length > written.length / 2, `${acked.length} of ${written.length} writes were acknowledged before the end`)
  t.deepEqual(acked.filter((w) => !(w.k in stored)).map((w) => w.k), [], 'zero acknowledged writes missing from Redis')
  t.deepEqual(written.filter((w) => !(w.k in stored)).map((w) => w.k), [], 'in the end every write is in Redis (no client died)')
}

test('3 relay processes, 30 clients writing through them; one relay is killed -9 mid-run: its clients move, all converge, nothing acknowledged lost', async (t) => {
  const redis = await RedisServer.start({ appendfsync: 'always' }).catch((err: Error) => { t.fail(err.message); throw err })
  const prefix = `mp${process.pid}a`
  const ports = [await freePort(), await freePort(), await freePort()]
  const addrs = ports.map((p) => `tcp://127.0.0.1:${p}`)
  const relays: Proc[] = []
  const hosts: Proc[] = []
  try {
    for (const p of ports) relays.push(await startRelay(redis.url, p, prefix))
    for (let h = 0; h < 3; h++) hosts.push(await startHost(addrs, `h${h}c`, h, 10))
    const before = await reports(hosts)
    const onVictim = before.filter((c) => c.address === addrs[0]).map((c) => c.id)
    t.equal(before.length, 30, '30 clients')
    t.ok(onVictim.length >= 5, `${onVictim.length} clients on the relay that will die`)
    for (const h of hosts) h.send('start')
    await sleep(SOAK ? 20_000 : 1500)
    const killedAt = Date.now()
    await (relays[0] as Proc).kill()
    t.comment('relay 0 killed -9 while every client writes')
    await sleep(SOAK ? 20_000 : 1500)
    for (const h of hosts) await h.request('stop', 'stopped')
    const all = await reports(hosts)
    const writes = all.reduce((n, c) => n + c.written.length, 0)
    t.ok(await converge(t, hosts, writes, 20_000), `all 30 clients hold the same ${writes} writes`)
    const moved = all.filter((c) => onVictim.includes(c.id)).filter((c) => c.connects.some(([at, a]) => at > killedAt && a !== addrs[0]))
    t.equal(moved.length, onVictim.length, 'every client of the killed relay reconnected to another relay')
    const d1 = (await (relays[1] as Proc).request('dump', 'dump')).value
    const d2 = (await (relays[2] as Proc).request('dump', 'dump')).value
    t.deepEqual(d1, d2, 'the surviving relays hold the same state')
    checkWrites(t, all, await inRedis(redis.url, prefix))
  } finally {
    await Promise.all([...hosts, ...relays].map((p) => p.kill()))
    await redis.destroy()
  }
})

test('Redis killed -9 and restarted mid-run (AOF, fsync always): relays serve reads and report ERR_BACKEND while it is down, reconnect, and nothing acknowledged is lost', async (t) => {
  const redis = await RedisServer.start({ appendfsync: 'always' }).catch((err: Error) => { t.fail(err.message); throw err })
  const prefix = `mp${process.pid}b`
  const ports = [await freePort(), await freePort(), await freePort()]
  const addrs = ports.map((p) => `tcp://127.0.0.1:${p}`)
  const relays: Proc[] = []
  const hosts: Proc[] = []
  try {
    for (const p of ports) relays.push(await startRelay(redis.url, p, prefix))
    for (let h = 0; h < 3; h++) hosts.push(await startHost(addrs, `r${h}c`, h, 4))
    for (const h of hosts) h.send('start')
    await sleep(1500)
    await redis.kill()
    t.comment('redis-server killed -9 while every client writes')
    for (const r of relays) await r.waitFor((l) => l.type === 'backend' && l.state === 'down', 10_000)
    t.ok(relays.every((r) => r.lines.some((l) => l.type === 'backend' && l.state === 'down' && l.code === 'ERR_BACKEND')), 'every relay reports Redis down with ERR_BACKEND')
    const held = await getThrough(addrs[1] as string)
    t.ok(Object.keys(held).length > 0, `a relay still serves what it holds (${Object.keys(held).length} keys read during the outage)`)
    await sleep(1000)
    await redis.boot()
    for (const r of relays) await r.waitFor((l) => l.type === 'backend' && l.state === 'up', 15_000)
    t.pass('every relay reconnected to the restarted Redis')
    await sleep(1500)
    for (const h of hosts) await h.request('stop', 'stopped')
    const all = await reports(hosts)
    const writes = all.reduce((n, c) => n + c.written.length, 0)
    t.ok(await converge(t, hosts, writes, 20_000), `all clients hold the same ${writes} writes`)
    let refused = 0
    for (const r of relays) refused += Number((await r.request('stats', 'stats')).refused)
    t.ok(refused > 0, `writers were refused while Redis was down (${refused} connections closed), and resent after`)
    checkWrites(t, all, await inRedis(redis.url, prefix))
  } finally {
    await Promise.all([...hosts, ...relays].map((p) => p.kill()))
    await redis.destroy()
  }
})

/** `grapevine get --peer ADDR --json`: the relay's whole state. */
function getThrough (addr: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI_MAIN, 'get', '--peer', addr, '--json', '--quiet'], { timeout: 10_000 }, (err, stdout) => {
      if (err !== null) return reject(err)
      resolve(JSON.parse(stdout) as Record<string, unknown>)
    })
  })
}
