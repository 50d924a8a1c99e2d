import { createInterface } from 'node:readline'
import type { GrapevineError } from '../errors/grapevine-error'
import { Events } from '../models/events'
import { Model } from '../models/model'
import { Value } from '../models/value'
import type { Replica, ReplicaOptions } from '../replica/replica'
import { type RedisRelay, serveWithRedis } from '../redis/relay'
import { type Args, UsageError, flag, numberFlag, tlsFlags } from './args'
import type { Output } from './output'
import { getType } from './types'

/** Constructors that take the relay's replica options (every relay document accepts Redis's timestamps). */
const MAKERS: Record<string, (opts: ReplicaOptions) => Replica> = {
  model: (o) => new Model(o),
  value: (o) => new Value(o),
  events: (o) => new Events(o)
}

const HELP = `commands (one per line on stdin):
  stats          documents, links, pending updates, acknowledgements, refusals
  docs           the documents loaded
  dump [DOC]     a document's state and clock
  quit           stop`

/**
 * `relay`: a stateless relay whose documents live in Redis. Run several
 * against the same Redis; clients connect to any of them. Prints Redis
 * going down and up, compactions and errors, and answers commands on stdin.
 */
export async function cmdRelay (args: Args, out: Output): Promise<void> {
  const redis = flag(args, 'redis')
  if (redis === undefined) throw new UsageError('relay needs --redis URL (for example --redis redis://127.0.0.1:6379)')
  const typeName = flag(args, 'type', 'model')
  const make = MAKERS[typeName]
  if (make === undefined) throw new UsageError(`relay serves --type ${Object.keys(MAKERS).join(', ')}; got "${typeName}"`)
  const listen = flag(args, 'listen', 'tcp://127.0.0.1:0').split(',').filter((a) => a !== '')
  const bucket = args.flags.get('bucket') === true
  out.info(`connecting to ${redis} (waiting while it is down)`)
  const relay = await serveWithRedis(listen, {
    redis,
    bucket,
    document: flag(args, 'doc', 'default'),
    create: (_name, o) => make(o),
    id: flag(args, 'id'),
    prefix: flag(args, 'prefix', 'gv'),
    compactMin: numberFlag(args, 'compact-min', 10_000),
    compactRatio: numberFlag(args, 'compact-ratio', 2),
    net: {
      heartbeatMs: numberFlag(args, 'heartbeat', 5000),
      idleTimeoutMs: numberFlag(args, 'idle-timeout', 15000),
      tls: tlsFlags(args)
    }
  })
  const addresses = relay.servers.map((s) => s.address)
  out.event('listening', { id: relay.id, addresses, address: addresses[0], redis, mode: bucket ? 'bucket' : 'document', dataType: typeName },
    `relay ${relay.id} on ${addresses.join(' ')} (${bucket ? 'bucket' : 'one document'}, ${typeName}) with ${redis}`)
  relay.on('error', (e: GrapevineError) => out.event('error', { code: e.code, message: e.message, kind: e.details.kind }, `error ${e.code}: ${e.message}`))
  relay.on('down', (e: GrapevineError) => out.event('backend', { state: 'down', code: e.code, message: e.message }, `Redis down (${e.code}): serving what this relay holds, refusing writes`))
  relay.on('up', () => out.event('backend', { state: 'up' }, 'Redis up: taking writes'))
  relay.on('compact', (doc: string, n: number) => out.event('compact', { doc, updates: n }, `compacted ${doc}: snapshot of ${n} updates`))

  let stopping = false
  const stop = async (): Promise<void> => {
    if (stopping) return
    stopping = true
    await relay.close()
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => { void stop().then(resolve) })
    process.once('SIGTERM', () => { void stop().then(resolve) })
    if (args.flags.get('no-stdin') !== true) {
      const rl = createInterface({ input: process.stdin })
      rl.on('line', (line) => {
        if (line.trim() === 'quit') { rl.close(); void stop().then(resolve); return }
        runLine(line, relay, typeName, out)
      })
    }
  })
}

function runLine (line: string, relay: RedisRelay, typeName: string, out: Output): void {
  const [cmd, arg] = line.trim().split(/\s+/)
  switch (cmd) {
    case undefined:
    case '': return
    case 'stats': {
      const s = relay.snapshotStats()
      return out.event('stats', { ...s, up: relay.up }, `${s.documents} documents, ${s.links} links, ${s.pending} pending, ${s.acks} acks, ${s.refused} refused, Redis ${relay.up ? 'up' : 'down'}`)
    }
    case 'docs': {
      const docs = [...relay.documents.entries()].map(([name, h]) => ({ name, cursor: h.doc.cursor, seq: h.doc.seq, tail: h.doc.tail, ...h.doc.counts }))
      return out.event('docs', { docs }, docs.map((d) => `${d.name} at ${d.cursor} (batch ${d.seq}, tail ${d.tail})`).join('\n') || '(none)')
    }
    case 'dump': {
      const r = relay.document(arg)
      if (r === undefined) return out.event('error', { message: `no document ${JSON.stringify(arg)}` }, `no document ${JSON.stringify(arg)}`)
      const value = getType(typeName).snapshot(r)
      return out.event('dump', { value, clock: r.getClock() }, JSON.stringify(value, null, 2))
    }
    case 'help': return out.info(HELP)
    default: return out.event('error', { message: `unknown command "${cmd}"` }, `unknown command "${cmd}" (try help)`)
  }
}
