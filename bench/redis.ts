// Redis relay figures (docs/scale-out.md):
//  1. updates/s from writers to a reader through 1 plain relay (no Redis, the
//     baseline of the same run), 1 Redis relay, and 3 Redis relays (writers
//     spread over all three, the reader on another one than most writers);
//  2. catch-up time of a new relay for a KEYS-key document, from the log
//     alone and from a snapshot;
//  3. Redis memory per key, log only and compacted.
// Run: npm run bench:redis   (KEYS=n, SECONDS=n, WRITERS=n to change sizes)
// Every relay is its own `grapevine relay` process; the writers and the
// reader share this process. The machine has 2 cores: the relays, Redis
// and this process share them, so 3 relays cannot be 3 times 1.
import { readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { Model, RedisRelay, connectRelays } from '../index'
import type { RelayClient } from '../index'
import { Proc } from '../test/helpers/cli-proc'
import { RedisServer, freePort } from '../test/redis/redis-server'

const KEYS = Number(process.env.KEYS ?? 100_000)
const SECONDS = Number(process.env.SECONDS ?? 5)
const WRITERS = Number(process.env.WRITERS ?? 8)
const RUNS = Number(process.env.RUNS ?? 3)
const WINDOW = Number(process.env.WINDOW ?? 20_000) // updates in flight (written, not yet seen by the reader), all writers together
const BURST = 50

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const now = (): number => Number(process.hrtime.bigint()) / 1e6

async function spawnRelays (redis: RedisServer, n: number, prefix: string, extra: string[] = []): Promise<{ procs: Proc[], addrs: string[] }> {
  const procs: Proc[] = []
  const addrs: string[] = []
  for (let i = 0; i < n; i++) {
    const port = await freePort()
    const p = new Proc(['relay', '--redis', redis.url, '--listen', `tcp://127.0.0.1:${port}`, '--prefix', prefix, '--json', '--no-stdin', ...extra])
    p.keep = true
    await p.waitFor((l) => l.type === 'listening', 20_000)
    procs.push(p)
    addrs.push(`tcp://127.0.0.1:${port}`)
  }
  return { procs, addrs }
}

/** CPU seconds a process used so far (user + system), from /proc. */
function cpuOf (pid: number | undefined): number {
  try {
    const f = readFileSync(`/proc/${String(pid)}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
    return (Number(f[11]) + Number(f[12])) / 100
  } catch {
    return NaN
  }
}

async function spawnPlain (): Promise<{ procs: Proc[], addrs: string[] }> {
  const port = await freePort()
  const p = new Proc(['serve', '--listen', `tcp://127.0.0.1:${port}`, '--json', '--no-stdin'])
  await p.waitFor((l) => l.type === 'listening', 20_000)
  return { procs: [p], addrs: [`tcp://127.0.0.1:${port}`] }
}

/** Writers on `writeTo` (round robin), a reader on `readAt`: updates/s the reader sees. */
async function throughput (writeTo: string[], readAt: string, procs: Proc[], label: string): Promise<number> {
  const reader = new Model('reader')
  const clients: RelayClient[] = [connectRelays(reader, [readAt])]
  const writers = Array.from({ length: WRITERS }, (_, i) => new Model(`w${i}`))
  writers.forEach((w, i) => clients.push(connectRelays(w, [writeTo[i % writeTo.length] as string])))
  while (clients.some((c) => c.link === undefined || !c.link.stream.synced)) await sleep(20)
  let written = 0
  let n = 0
  const run = async (ms: number): Promise<void> => {
    const end = now() + ms
    while (now() < end) {
      if (written - reader.size < WINDOW) {
        for (const w of writers) {
          for (let i = 0; i < BURST; i++) w.set(`${w.id}.${n + i}`, n + i)
        }
        n += BURST
        written += BURST * writers.length
      }
      await new Promise((r) => setImmediate(r))
    }
  }
  await run(1000) // warm up
  const seen0 = reader.size
  const t0 = now()
  const cpu0 = procs.map((p) => cpuOf(p.child.pid))
  const self0 = process.cpuUsage()
  await run(SECONDS * 1000)
  const secs = (now() - t0) / 1000
  const rate = (reader.size - seen0) / secs
  const self = process.cpuUsage(self0)
  const cpu = procs.map((p, i) => ((cpuOf(p.child.pid) - (cpu0[i] as number)) / secs * 100).toFixed(0) + '%')
  console.error(`  ${label}: relay CPU ${cpu.join(' ')}, clients' process ${((self.user + self.system) / 1e6 / secs * 100).toFixed(0)}%`)
  for (const c of clients) c.close()
  return rate
}

async function used (probe: RedisRelay): Promise<number> {
  const info = String(await probe.backend.command(['INFO', 'memory']))
  const m = /used_memory:(\d+)/.exec(info)
  return Number(m?.[1] ?? NaN)
}

async function startTime (redis: RedisServer, prefix: string): Promise<{ ms: number, size: number, snapshot: number, tail: number }> {
  const times: Array<{ ms: number, size: number, snapshot: number, tail: number }> = []
  for (let i = 0; i < 3; i++) {
    const t0 = now()
    const r = await RedisRelay.start({ redis: redis.url, prefix, compactMin: 1e12 })
    const ms = now() - t0
    const d = r.documents.get('default')?.doc
    times.push({ ms, size: r.document<Model>()?.size ?? 0, snapshot: d?.counts.snapshotUpdates ?? 0, tail: d?.counts.updates ?? 0 })
    await r.close()
  }
  times.sort((a, b) => a.ms - b.ms)
  return times[1] as typeof times[0]
}

async function main (): Promise<void> {
  const redis = await RedisServer.start({ appendfsync: 'everysec' })
  const all: Proc[] = []
  const fmt = (x: number): string => Math.round(x).toLocaleString('en-US')
  try {
    console.log(`# Redis relay bench: ${WRITERS} writers, window ${WINDOW}, ${SECONDS} s per run, ${KEYS} keys for catch-up (appendfsync everysec)`)
    // Rounds interleave the three paths, so a burst of load elsewhere on the machine hits all of them.
    const rates: Record<'base' | 'one' | 'three', number[]> = { base: [], one: [], three: [] }
    for (let round = 0; round < RUNS; round++) {
      const plain = await spawnPlain()
      all.push(...plain.procs)
      rates.base.push(await throughput(plain.addrs, plain.addrs[0] as string, plain.procs, 'plain'))
      for (const p of plain.procs) await p.kill()
      const one = await spawnRelays(redis, 1, `b1r${round}`)
      all.push(...one.procs)
      rates.one.push(await throughput(one.addrs, one.addrs[0] as string, [...one.procs, ...redisProc(redis)], '1 relay'))
      for (const p of one.procs) await p.kill()
      const three = await spawnRelays(redis, 3, `b3r${round}`)
      all.push(...three.procs)
      rates.three.push(await throughput(three.addrs, three.addrs[2] as string, [...three.procs, ...redisProc(redis)], '3 relays'))
      for (const p of three.procs) await p.kill()
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
    const base = median(rates.base)
    const r1 = median(rates.one)
    const r3 = median(rates.three)
    console.log(`load average at the end: ${loadavg().map((x) => x.toFixed(1)).join(' ')} (2 cores)`)
    console.log('| path | updates/s seen by the reader, median | vs plain relay |')
    console.log('|---|---:|---:|')
    console.log(`| 1 plain relay, no Redis (baseline) | ${fmt(base)} (runs: ${rates.base.map(fmt).join(', ')}) | 1.00 |`)
    console.log(`| 1 Redis relay | ${fmt(r1)} (runs: ${rates.one.map(fmt).join(', ')}) | ${(r1 / base).toFixed(2)} |`)
    console.log(`| 3 Redis relays | ${fmt(r3)} (runs: ${rates.three.map(fmt).join(', ')}) | ${(r3 / base).toFixed(2)} |`)
    console.log(`3 relays / 1 relay: ${(r3 / r1).toFixed(2)}`)

    // Catch-up of a new relay, and memory per key.
    const probe = await RedisRelay.start({ redis: redis.url, prefix: 'probe' })
    const before = await used(probe)
    const fill = await spawnRelays(redis, 1, 'big', ['--compact-min', '1000000000000'])
    all.push(...fill.procs)
    const fillMs = await fillThrough(fill.addrs, KEYS, KEYS)
    const logOnly = await used(probe)
    const fromLog = await startTime(redis, 'big')
    const compactor = await RedisRelay.start({ redis: redis.url, prefix: 'big', compactMin: 1e12 })
    const tc = now()
    const ok = await compactor.compact()
    const compactMs = now() - tc
    await compactor.close()
    const compacted = await used(probe)
    const fromSnap = await startTime(redis, 'big')
    // A hot document: many writes to few keys, with and without compaction.
    const hotKeys = 1000
    const hotWrites = KEYS
    const m0 = await used(probe)
    const hotOff = await spawnRelays(redis, 1, 'hotoff', ['--compact-min', '1000000000000'])
    all.push(...hotOff.procs)
    await fillThrough(hotOff.addrs, hotWrites, hotKeys, 2)
    const m1 = await used(probe)
    const hotOn = await spawnRelays(redis, 1, 'hoton')
    all.push(...hotOn.procs)
    await fillThrough(hotOn.addrs, hotWrites, hotKeys, 2)
    await sleep(500)
    const m2 = await used(probe)
    const compactions = hotOn.procs[0]?.lines.filter((l) => l.type === 'compact').length ?? 0
    const hotFromLog = await startTime(redis, 'hotoff')
    const hotFromSnap = await startTime(redis, 'hoton')
    await probe.close()
    console.log(`\nfilled ${fmt(KEYS)} keys through a relay in ${(fillMs / 1000).toFixed(2)} s (${fmt(KEYS / (fillMs / 1000))} acknowledged updates/s)`)
    console.log('| new relay loads a document of ' + fmt(KEYS) + ' keys | median of 3 | read |')
    console.log('|---|---:|---|')
    console.log(`| from the log alone | ${fromLog.ms.toFixed(0)} ms | ${fmt(fromLog.tail)} updates from the log |`)
    console.log(`| from the snapshot (compacted${ok ? '' : ' FAILED'} in ${compactMs.toFixed(0)} ms) | ${fromSnap.ms.toFixed(0)} ms | ${fmt(fromSnap.snapshot)} from the snapshot, ${fmt(fromSnap.tail)} from the tail |`)
    console.log(`| hot document (${fmt(hotWrites)} writes to ${fmt(hotKeys)} keys), log only | ${hotFromLog.ms.toFixed(0)} ms | ${fmt(hotFromLog.tail)} updates from the log |`)
    console.log(`| hot document, compacted as it went | ${hotFromSnap.ms.toFixed(0)} ms | ${fmt(hotFromSnap.snapshot)} from the snapshot, ${fmt(hotFromSnap.tail)} from the tail |`)
    console.log('| Redis memory | bytes per key |')
    console.log('|---|---:|')
    console.log(`| log only (${fmt(logOnly - before)} bytes) | ${((logOnly - before) / KEYS).toFixed(1)} |`)
    console.log(`| snapshot, log trimmed (${fmt(compacted - before)} bytes) | ${((compacted - before) / KEYS).toFixed(1)} |`)
    console.log(`| hot document, ${fmt(hotWrites)} writes to ${fmt(hotKeys)} keys, no compaction (${fmt(m1 - m0)} bytes) | ${((m1 - m0) / hotKeys).toFixed(1)} |`)
    console.log(`| same with compaction (default bound 10 000 updates; ${compactions} compactions; ${fmt(m2 - m1)} bytes) | ${((m2 - m1) / hotKeys).toFixed(1)} |`)
  } finally {
    await Promise.all(all.map((p) => p.kill()))
    await redis.destroy()
  }
}

/**
 * Write `writes` updates over `keys` keys through a relay, at most `ahead`
 * thousand ahead of its acks; ms until all are acked. Keep `ahead` under the
 * stream's live queue (4 096) when keys repeat, or the writer's stream sends
 * only the latest update of each key and the log never sees the rest.
 */
async function fillThrough (addrs: string[], writes: number, keys: number, ahead = 20): Promise<number> {
  const w = new Model('filler')
  const c = connectRelays(w, addrs)
  const t0 = now()
  const marks: number[] = []
  for (let i = 0; i < writes; i++) {
    w.set(`key-${i % keys}`, { n: i, name: `user-${i}` })
    if (i % 1000 === 999) {
      marks.push(w.clock.get(w.id))
      const back = marks[marks.length - 1 - ahead]
      while (back !== undefined && !c.isDurable([undefined, back, w.id] as never)) await sleep(5)
    }
  }
  while (!c.isDurable([undefined, w.clock.get(w.id), w.id] as never)) await sleep(10)
  c.close()
  return now() - t0
}

/** Redis itself, measured like a relay (its CPU share matters on 2 cores). */
function redisProc (r: RedisServer): Proc[] {
  return [{ child: r.child } as unknown as Proc]
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
