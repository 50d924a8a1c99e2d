import net from 'node:net'
import type { AddressInfo } from 'node:net'
import test from 'tape'
import { Proc } from '../helpers/cli-proc'
import { seeded, testSeed } from '../helpers/fake-timers'

// Five `grapevine serve` processes on loopback, all writing; one at a time
// is SIGKILLed and restarted (fresh replica, new id, same port) while the
// others keep writing. Then writes stop and every process must converge.
//
// "Acknowledged": a write counts once a process other than its writer has
// reported it (a 'change' line). There is no disk here, so a write that
// only its (killed) writer held may be lost; an acknowledged one must not
// be, and neither may any write of a process that was never killed after
// making it. GRAPEVINE_SOAK=1 runs the long version (60 s of chaos).

const N = 5
const SOAK = process.env.GRAPEVINE_SOAK === '1'
const CHAOS_MS = SOAK ? 60_000 : 7_000

async function freePorts (n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise<net.Server>((resolve) => {
    const s = net.createServer()
    s.listen(0, '127.0.0.1', () => resolve(s))
  })))
  const ports = servers.map((s) => (s.address() as AddressInfo).port)
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  return ports
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

test(`${N} processes converge with zero lost acknowledged writes through random SIGKILLs and restarts`, async (t) => {
  const seed = testSeed()
  const random = seeded(seed)
  t.comment(`seed ${seed} (SEED=${seed} replays the kill schedule)`)
  const ports = await freePorts(N)
  const addrs = ports.map((p) => `tcp://127.0.0.1:${p}`)
  const holders = new Map<string, Set<number>>() // key -> processes that reported it
  const writtenAt = new Map<string, number>() // key -> time its writer reported it
  const lastKill = new Array<number>(N).fill(-1)
  const procs: Proc[] = []
  const gen = new Array<number>(N).fill(0)

  const start = async (i: number): Promise<void> => {
    const peers = addrs.filter((_, j) => j !== i)
    const p = new Proc(['serve', '--json', '--watch', '--listen', addrs[i] as string, '--peer', peers.join(','),
      '--heartbeat', '200', '--idle-timeout', '2000', '--backoff-base', '50', '--backoff-max', '500'])
    p.keep = false
    p.listeners.push((l) => {
      if (l.type !== 'change' || typeof l.key !== 'string') return
      let h = holders.get(l.key)
      if (h === undefined) holders.set(l.key, h = new Set())
      h.add(i)
      if (l.key.startsWith(`p${i}.`) && !writtenAt.has(l.key)) writtenAt.set(l.key, Date.now())
    })
    procs[i] = p
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`process ${i} did not start: ${p.stderr}`)), 10_000)
      p.listeners.push((l) => { if (l.type === 'listening') { clearTimeout(timer); resolve() } })
    })
  }

  try {
    for (let i = 0; i < N; i++) await start(i)
    let n = 0
    let kills = 0
    const end = Date.now() + CHAOS_MS
    let nextKill = Date.now() + 800 + random() * 700
    while (Date.now() < end) {
      for (let i = 0; i < N; i++) procs[i]?.send(`set p${i}.g${gen[i] ?? 0}.${n} ${n}`)
      n++
      if (Date.now() >= nextKill) {
        const victim = Math.floor(random() * N)
        await (procs[victim] as Proc).kill()
        lastKill[victim] = Date.now()
        kills++
        gen[victim] = (gen[victim] ?? 0) + 1
        await sleep(100 + random() * 300)
        await start(victim)
        nextKill = Date.now() + 800 + random() * 700
      }
      await sleep(15)
    }
    t.comment(`${kills} kills during ${CHAOS_MS / 1000} s of writes`)

    // Quiet period: every live process must reach the same state, holding
    // every acknowledged write and every write of a writer not killed since.
    const writerOf = (k: string): number => Number(k.slice(1, k.indexOf('.')))
    const isAcked = (k: string): boolean => [...(holders.get(k) ?? [])].some((j) => j !== writerOf(k))
    const mustHave = (): string[] => [...writtenAt.entries()]
      .filter(([k, at]) => isAcked(k) || (lastKill[writerOf(k)] as number) < at)
      .map(([k]) => k)
    const dumps: Array<Record<string, unknown>> = []
    const deadline = Date.now() + (SOAK ? 60_000 : 15_000)
    for (;;) {
      dumps.length = 0
      for (const p of procs) dumps.push((await p.request('dump', 'dump')).value as Record<string, unknown>)
      const sizes = dumps.map((d) => Object.keys(d).length)
      const same = dumps.every((d) => JSON.stringify(Object.keys(d).sort()) === JSON.stringify(Object.keys(dumps[0] as object).sort()))
      if (same && mustHave().every((k) => k in (dumps[0] as object))) break
      if (Date.now() > deadline) {
        t.fail(`no convergence (seed ${seed}): sizes ${sizes.join(' ')}`)
        break
      }
      await sleep(300)
    }
    const final = dumps[0] as Record<string, unknown>
    const required = mustHave()
    const lost = required.filter((k) => !(k in final))
    const gone = [...writtenAt.keys()].filter((k) => !(k in final))
    t.comment(`${writtenAt.size} writes made, ${required.length} acknowledged or from a writer not killed since; ` +
      `${gone.length} unacknowledged writes lost with their writer (made in the last moment before its SIGKILL); final state ${Object.keys(final).length} keys`)
    t.ok(required.length > 100, `many writes were acknowledged (${required.length})`)
    t.deepEqual(lost, [], `zero acknowledged writes lost (seed ${seed})`)
    t.ok(dumps.every((d) => JSON.stringify(Object.entries(d).sort()) === JSON.stringify(Object.entries(final).sort())), 'all five processes hold the same state')
  } finally {
    await Promise.all(procs.map((p) => p.kill()))
  }
})
