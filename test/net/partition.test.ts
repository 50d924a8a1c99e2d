import { execFileSync } from 'node:child_process'
import test from 'tape'
import { Proc } from '../helpers/cli-proc'

// A real network partition: two network namespaces joined by a veth pair,
// two peers on one side and one on the other, cut (link down) and healed
// three times while everyone writes. Needs root and iproute2; otherwise
// the test skips and says why. Nothing outside the namespaces it creates
// is touched, and they are deleted at the end.

const tag = `gv${process.pid % 100000}`
const NS_A = `${tag}a`
const NS_B = `${tag}b`
const IP_A = '10.231.7.1'
const IP_B = '10.231.7.2'

function ip (...args: string[]): void {
  execFileSync('ip', args, { stdio: 'ignore' })
}

function whyNot (): string | undefined {
  if (process.platform !== 'linux') return 'not Linux'
  if (process.getuid?.() !== 0) return 'not root (network namespaces need CAP_SYS_ADMIN)'
  try { execFileSync('ip', ['-V'], { stdio: 'ignore' }) } catch { return 'iproute2 (`ip`) not found' }
  try {
    ip('netns', 'add', `${tag}probe`)
    ip('netns', 'del', `${tag}probe`)
  } catch {
    return '`ip netns add` failed (no permission in this container?)'
  }
  return undefined
}

function setup (): void {
  ip('netns', 'add', NS_A)
  ip('netns', 'add', NS_B)
  ip('link', 'add', `${tag}va`, 'type', 'veth', 'peer', 'name', `${tag}vb`)
  ip('link', 'set', `${tag}va`, 'netns', NS_A)
  ip('link', 'set', `${tag}vb`, 'netns', NS_B)
  ip('-n', NS_A, 'addr', 'add', `${IP_A}/24`, 'dev', `${tag}va`)
  ip('-n', NS_B, 'addr', 'add', `${IP_B}/24`, 'dev', `${tag}vb`)
  for (const ns of [NS_A, NS_B]) ip('-n', ns, 'link', 'set', 'lo', 'up')
  ip('-n', NS_A, 'link', 'set', `${tag}va`, 'up')
  ip('-n', NS_B, 'link', 'set', `${tag}vb`, 'up')
}

function teardown (): void {
  for (const ns of [NS_A, NS_B]) {
    try { ip('netns', 'del', ns) } catch { /* already gone */ }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const FAST = ['--heartbeat', '200', '--idle-timeout', '1000', '--backoff-base', '50', '--backoff-max', '400']

test('peers in separate network namespaces survive a partition cut and healed three times', async (t) => {
  const reason = whyNot()
  if (reason !== undefined) {
    t.skip(`partition test skipped: ${reason}`)
    return
  }
  setup()
  const procs: Proc[] = []
  try {
    const inNs = (ns: string): string[] => ['ip', 'netns', 'exec', ns, process.execPath]
    const a1 = new Proc(['serve', '--json', '--listen', `tcp://${IP_A}:7001`, ...FAST], inNs(NS_A))
    const a2 = new Proc(['serve', '--json', '--listen', `tcp://${IP_A}:7002`, '--peer', `tcp://${IP_A}:7001`, ...FAST], inNs(NS_A))
    const b = new Proc(['serve', '--json', '--listen', `tcp://${IP_B}:7003`, '--peer', `tcp://${IP_A}:7001`, ...FAST], inNs(NS_B))
    procs.push(a1, a2, b)
    const peersOf = (p: Proc): number => {
      let n = 0
      for (const l of p.lines) n += l.type === 'peer-join' ? 1 : l.type === 'peer-leave' ? -1 : 0
      return n
    }
    const until = async (cond: () => Promise<boolean> | boolean, what: string, ms = 15_000): Promise<void> => {
      const end = Date.now() + ms
      while (!(await cond())) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
        await sleep(50)
      }
    }
    const keys = async (p: Proc): Promise<string[]> => Object.keys((await p.request('dump', 'dump')).value as object).sort()
    const agree = async (ps: Proc[]): Promise<boolean> => {
      const all = await Promise.all(ps.map(keys))
      return all.every((k) => JSON.stringify(k) === JSON.stringify(all[0]))
    }
    await until(() => procs.every((p) => peersOf(p) === 2), 'a full mesh across the namespaces')
    t.pass('three peers in two namespaces form a full mesh')

    for (let round = 0; round < 3; round++) {
      ip('-n', NS_A, 'link', 'set', `${tag}va`, 'down')
      const cut = Date.now()
      a1.send(`set a1-r${round} 1`)
      a2.send(`set a2-r${round} 1`)
      b.send(`set b-r${round} 1`)
      await until(() => peersOf(b) === 0, 'b to notice the partition')
      t.comment(`round ${round}: b saw both peers leave ${Date.now() - cut} ms after the cut (idle bound 1000 ms)`)
      await until(() => agree([a1, a2]), 'the a side to converge during the partition')
      const bKeys = await keys(b)
      t.ok(!bKeys.includes(`a1-r${round}`) && bKeys.includes(`b-r${round}`), `round ${round}: the partition is real (b has its write, not a's)`)
      ip('-n', NS_A, 'link', 'set', `${tag}va`, 'up')
      await until(() => procs.every((p) => peersOf(p) === 2), 'links to come back after healing')
      await until(() => agree(procs), 'everyone to converge after healing')
      t.ok((await keys(b)).includes(`a2-r${round}`), `round ${round}: healed, all three converge with every write`)
    }
  } finally {
    await Promise.all(procs.map((p) => p.kill()))
    teardown()
  }
})
