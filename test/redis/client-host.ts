// A process hosting several relay clients, for the multi-process tests.
// Started through test/helpers/cli-proc.ts's Proc with this file as the
// prefix, so argv[2] is the CLI path Proc always adds: skipped.
//
//   node client-host.js <ignored> --relays A,B,C --count N --name P --start I --every MS
//
// Each client is a Model (id P<i>) kept connected to one relay at a time
// (connectRelays; client i starts at relay (I + i) mod n). Commands on stdin:
//   start    every client writes a new key every MS ms (key `<id>.<n>`)
//   stop     stop writing; answers {"type":"stopped"}
//   report   {"type":"report", clients: [{id, written: [[key, ts]...], durable, connects, address}]}
//   dump     {"type":"dump", clients: [{id, size, digest}]}
import { createHash } from 'node:crypto'
import { createInterface } from 'node:readline'
import { Model } from '../../lib/models/model'
import { type RelayClient, connectRelays } from '../../lib/redis/client'

const argv = process.argv.slice(3)
const arg = (name: string, def: string): string => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] as string : def
}
const relays = arg('relays', '').split(',').filter((a) => a !== '')
const count = Number(arg('count', '10'))
const name = arg('name', 'c')
const first = Number(arg('start', '0'))
const every = Number(arg('every', '50'))

interface Client {
  readonly model: Model
  readonly client: RelayClient
  readonly written: Array<[string, number]>
  readonly connects: Array<[number, string]>
  n: number
}

const print = (v: unknown): void => { process.stdout.write(JSON.stringify(v) + '\n') }

const clients: Client[] = []
for (let i = 0; i < count; i++) {
  const model = new Model(`${name}${i}`)
  const pick = (first + i) % relays.length
  const client = connectRelays(model, relays, {
    random: () => (pick + 0.5) / relays.length,
    baseMs: 50,
    maxMs: 400,
    heartbeatMs: 200,
    idleTimeoutMs: 2000
  })
  const c: Client = { model, client, written: [], connects: [], n: 0 }
  client.on('connect', (addr: string) => {
    c.connects.push([Date.now(), addr])
    print({ type: 'connect', id: model.id, address: addr })
  })
  clients.push(c)
}

let timer: NodeJS.Timeout | undefined
const writeAll = (): void => {
  for (const c of clients) {
    const key = `${c.model.id}.${c.n++}`
    c.model.set(key, c.n)
    c.written.push([key, c.model.clock.get(c.model.id)])
  }
}

const digest = (m: Model): string => createHash('sha1').update(JSON.stringify([...m.entries()].sort((x, y) => x[0] < y[0] ? -1 : 1))).digest('hex')

const rl = createInterface({ input: process.stdin })
rl.on('line', (line) => {
  switch (line.trim()) {
    case 'start':
      timer ??= setInterval(writeAll, every)
      return print({ type: 'started' })
    case 'stop':
      if (timer !== undefined) clearInterval(timer)
      timer = undefined
      return print({ type: 'stopped' })
    case 'report':
      return print({
        type: 'report',
        clients: clients.map((c) => ({ id: c.model.id, written: c.written, durable: c.client.durable(), connects: c.connects, address: c.client.address }))
      })
    case 'dump':
      return print({ type: 'dump', clients: clients.map((c) => ({ id: c.model.id, size: c.model.size, digest: digest(c.model) })) })
    case 'quit':
      for (const c of clients) c.client.close()
      rl.close()
      process.exit(0)
  }
})
const waitAll = setInterval(() => {
  if (clients.every((c) => c.client.link !== undefined)) {
    clearInterval(waitAll)
    print({ type: 'ready' })
  }
}, 20)
