import test from 'tape'
import net from 'node:net'
import { type ChildProcess, fork } from 'node:child_process'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import { Model } from '../../lib/models/model'
import { dial, serve } from '../../lib/net/serve'
import { Mesh } from '../../lib/net/mesh'
import type { Link } from '../../lib/net/link'
import { isGrapevineError } from '../../lib/errors/grapevine-error'
import type { MemoryReport } from '../helpers/memory-server'
import { tick, until } from '../helpers/replicas'

const MiB = 1024 * 1024

/** The header of a raw client that offers binary frames. */
const header = (id: string): string => JSON.stringify({ id, clock: {}, codecs: ['gv-bin/1'] }) + '\n'

/** A varint length prefix, as gv-bin/1 frames start. */
function varint (n: number): Buffer {
  const out: number[] = []
  while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 0x80) }
  out.push(n)
  return Buffer.from(out)
}

/** What a client sends to sit on an unfinished line: a header, then `part` bytes of a JSON string. */
function partLine (id: string, part: number): Buffer {
  return Buffer.concat([Buffer.from(header(id) + '"'), Buffer.alloc(part, 0x61)])
}

/** The same in binary frames: the switch, the length of a `whole`-byte frame, `part` bytes of its body. */
function partFrame (id: string, part: number, whole: number): Buffer {
  return Buffer.concat([Buffer.from(header(id) + '"gv-bin/1"\n'), varint(whole), Buffer.alloc(part, 0x30)])
}

async function rawClient (port: number, bytes: Buffer): Promise<net.Socket> {
  const s = net.connect(port, '127.0.0.1')
  s.on('error', () => {})
  s.on('data', () => {}) // read what the server says, as a peer would
  await new Promise((resolve) => s.once('connect', resolve))
  s.write(bytes)
  return s
}

const portOf = (address: string): number => Number(address.slice(address.lastIndexOf(':') + 1))

class ServerProcess {
  readonly child: ChildProcess
  address = ''
  constructor (maxLineBytes: number, maxHeldBytes: number | 'default') {
    this.child = fork(join(__dirname, '../helpers/memory-server.js'), [String(maxLineBytes), String(maxHeldBytes)], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  }

  async start (): Promise<void> {
    const msg = await new Promise<{ address: string }>((resolve) => this.child.once('message', (m) => resolve(m as { address: string })))
    this.address = msg.address
  }

  async report (gc = true): Promise<MemoryReport> {
    return await new Promise((resolve) => {
      this.child.once('message', (m) => resolve(m as MemoryReport))
      this.child.send(gc ? 'stats' : 'peek')
    })
  }

  async stop (): Promise<void> {
    const gone = new Promise((resolve) => this.child.once('exit', resolve))
    this.child.send('exit')
    await gone
  }
}

test('serve(): 200 clients sitting on unfinished lines and frames stay within the budget, the big holders get ERR_OVERLOADED, an honest client still syncs', async (t) => {
  const N = 200
  const BUDGET = 8 * MiB
  // Three quarters of a 1 MiB line each: 150 MiB in all, ten holders fit.
  const PART = 3 * MiB / 4
  const srv = new ServerProcess(MiB, BUDGET)
  await srv.start()
  const port = portOf(srv.address)
  const base = await srv.report()
  t.equal(base.budget.limit, BUDGET, 'the server runs with the budget asked for')

  const socks: net.Socket[] = []
  let closedByServer = 0
  for (let i = 0; i < N; i++) {
    // Every fourth client sits on a binary frame instead of a JSON line.
    const s = await rawClient(port, i % 4 === 3 ? partFrame(`bin${i}`, PART, MiB - 16) : partLine(`line${i}`, PART))
    s.once('close', () => { closedByServer++ })
    socks.push(s)
  }
  // Each holds a little more than PART, so at most 10 fit in 8 MiB.
  const fit = Math.floor(BUDGET / PART)
  let r = await srv.report(false)
  const end = Date.now() + 15_000
  while (r.budget.evictions < N - fit && Date.now() < end) {
    await tick(100)
    r = await srv.report(false)
  }
  t.ok(r.budget.evictions >= N - fit, `at least ${N - fit} of ${N} closed to keep the budget (${r.budget.evictions})`)
  await until(() => closedByServer >= r.budget.evictions, 5000, 'the evicted clients to see their sockets close')
  r = await srv.report()
  t.ok(r.budget.held <= BUDGET, `held ${r.budget.held} within the budget`)
  t.ok(r.budget.peak <= BUDGET, `peak ${r.budget.peak} within the budget`)
  t.ok(r.budget.held > BUDGET - 2 * PART, 'the survivors still hold what they sent (the accounting is not just zero)')
  const over = r.closed.filter((c) => c.code === 'ERR_OVERLOADED')
  t.equal(over.length, r.budget.evictions, 'every eviction closed a link with ERR_OVERLOADED')
  t.equal(r.closed.length, over.length, 'no link closed for another reason')
  t.ok(over.every((c) => c.details?.budget === BUDGET && (c.details.held as number) > 0 && (c.details.total as number) > BUDGET), 'each error tells the bytes held, the total and the budget')
  t.ok(over.some((c) => c.id?.startsWith('bin') === true), 'holders of binary frames were evicted too')
  t.ok(over.some((c) => c.id?.startsWith('line') === true), 'holders of JSON lines were evicted')
  t.equal(r.links, N - r.budget.evictions, 'the others are still connected')

  // The buffers really are gone, not only forgotten by the accounting.
  // RSS keeps the garbage V8 lets pile up between collections (tens of
  // MiB of evicted chunks) and glibc seldom gives memory back, so its bound
  // is loose; without the budget all 150 MiB stay live.
  const sent = N * PART
  const rssGrowth = r.rss - base.rss
  t.comment(`sent ${(sent / MiB).toFixed(0)} MiB unfinished; server RSS ${(base.rss / MiB).toFixed(0)} -> ${(r.rss / MiB).toFixed(0)} MiB, buffers ${(r.arrayBuffers / MiB).toFixed(1)} MiB, held ${(r.budget.held / MiB).toFixed(1)} MiB`)
  t.ok(r.arrayBuffers < BUDGET + 8 * MiB, `buffer memory ${(r.arrayBuffers / MiB).toFixed(1)} MiB stays near the budget`)
  t.ok(rssGrowth < 110 * MiB, `RSS grew ${(rssGrowth / MiB).toFixed(0)} MiB, under the ${(sent / MiB).toFixed(0)} MiB sent`)

  // An honest client, while the budget is full, replicates both ways.
  const honest = new Model({ id: 'honest' })
  honest.set('h', 'hello')
  const l = await dial(honest, srv.address)
  await until(() => l.stream.synced, 5000, 'the honest client to sync')
  t.deepEqual([0, 1, 2, 3, 4].map((i) => honest.get(`k${i}`)), [0, 1, 2, 3, 4], 'it got the server\'s keys')
  let keys: string[] = []
  for (let i = 0; i < 100 && !keys.includes('h'); i++) { keys = (await srv.report(false)).keys; if (!keys.includes('h')) await tick(20) }
  t.ok(keys.includes('h'), 'the server applied its update')
  t.equal(l.error, undefined, 'the honest link has no error')

  l.close()
  for (const s of socks) s.destroy()
  let after = await srv.report(false)
  for (let i = 0; i < 100 && (after.budget.holders > 0 || after.links > 0); i++) { await tick(20); after = await srv.report(false) }
  t.equal(after.budget.holders, 0, 'every closed stream left the budget')
  t.equal(after.budget.held, 0, 'nothing held once everyone left')
  await srv.stop()
})

test('serve(): maxHeldBytes Infinity counts exactly and closes no one', async (t) => {
  const model = new Model({ id: 'inf' })
  const server = await serve(model, 'tcp://127.0.0.1:0', { stream: { maxLineBytes: 512 * 1024 }, maxHeldBytes: Infinity, idleTimeoutMs: 0 })
  const port = portOf(server.address)
  const socks = await Promise.all([0, 1, 2, 3].map(async (i) => await rawClient(port, partLine(`c${i}`, 256 * 1024))))
  // Each holds the quote and 256 KiB: an unfinished line, nothing more.
  const want = 4 * (256 * 1024 + 1)
  await until(() => server.heldBytes === want, 5000, `held to reach ${want}`).catch(() => {})
  t.equal(server.heldBytes, want, 'held bytes are exactly the unfinished lines')
  t.equal(server.memory.evictions, 0)
  t.equal(server.links.size, 4)
  socks[0]?.write('"\n') // finish one line: a JSON string, which the session ignores after the header
  await until(() => server.heldBytes === want - (256 * 1024 + 1), 5000, 'a finished line to be released').catch(() => {})
  t.equal(server.heldBytes, 3 * (256 * 1024 + 1), 'a finished line is no longer held')
  for (const s of socks) s.destroy()
  await until(() => server.links.size === 0, 5000, 'links to close')
  t.equal(server.heldBytes, 0, 'closing gives everything back')
  await server.close()
})

test('Mesh: accepted links share one budget, on WebSocket as on TCP', async (t) => {
  const model = new Model({ id: 'mesh' })
  const mesh = await Mesh.start(model, { listen: ['tcp://127.0.0.1:0', 'ws://127.0.0.1:0'], stream: { maxLineBytes: 512 * 1024 }, maxHeldBytes: MiB, idleTimeoutMs: 0 })
  const [tcpAddr, wsAddr] = mesh.addresses as [string, string]
  const socks: net.Socket[] = []
  for (let i = 0; i < 4; i++) socks.push(await rawClient(portOf(tcpAddr), partLine(`t${i}`, 200 * 1024)))
  const sockets: WebSocket[] = []
  for (let i = 0; i < 3; i++) {
    const ws = new WebSocket(wsAddr)
    ws.on('error', () => {})
    await new Promise((resolve) => ws.once('open', resolve))
    ws.send(partLine(`w${i}`, 200 * 1024)) // one message, ending inside a line
    sockets.push(ws)
  }
  // 7 x 200 KiB in a 1 MiB budget: at most 5 fit, so at least 2 are closed.
  await until(() => mesh.memory.evictions >= 2 && mesh.memory.held > 3 * 200 * 1024, 5000, 'evictions').catch(() => {})
  const s = mesh.memory.stats
  t.ok(s.evictions >= 2, `${s.evictions} links closed`)
  t.ok(s.peak <= MiB && s.held <= MiB, `peak ${s.peak}, held ${s.held} within 1 MiB`)
  t.ok(s.held > 3 * 200 * 1024, 'the survivors are counted')
  for (const x of socks) x.destroy()
  for (const w of sockets) w.terminate()
  await mesh.close()
  t.equal(mesh.memory.held, 0, 'a closed mesh holds nothing')
})

test('a stream evicted from a shared budget ends with ERR_OVERLOADED on its link', async (t) => {
  const model = new Model({ id: 'one' })
  const server = await serve(model, 'tcp://127.0.0.1:0', { stream: { maxLineBytes: 512 * 1024 }, maxHeldBytes: 300 * 1024, idleTimeoutMs: 0 })
  const gone: Link[] = []
  server.on('unlink', (l: Link) => gone.push(l))
  const small = await rawClient(portOf(server.address), partLine('small', 1000))
  const big = await rawClient(portOf(server.address), partLine('big', 400 * 1024))
  await until(() => gone.length === 1, 5000, 'one link to close')
  const err = gone[0]?.error
  t.ok(isGrapevineError(err, 'ERR_OVERLOADED'), 'the link\'s error is ERR_OVERLOADED')
  t.equal(gone[0]?.stream.peerHeader?.id, 'big', 'the one holding the most')
  t.equal(server.links.size, 1, 'the small one stays')
  t.equal(server.heldBytes, 1001, 'only the small one\'s unfinished line is held')
  small.destroy()
  big.destroy()
  await server.close()
})
