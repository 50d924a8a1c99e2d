import { createInterface } from 'node:readline'
import { Mesh, type PeerInfo } from '../net/mesh'
import type { Replica } from '../replica/replica'
import { type Args, UsageError, flag, numberFlag, tlsFlags } from './args'
import { type Output, num, showProgress } from './output'
import { type CliType, getType } from './types'
import { clockFlag, printTimeWarnings } from './warnings'

const HELP = `commands (one per line on stdin):
  set ...        write (model: set KEY VALUE, value: set VALUE, events: set NAME ARGS...)
  get [KEY]      print a value, or everything
  delete KEY     delete a key (model)
  clock          print the vector clock
  stats          print per-peer stream counters
  peers          print the live peers
  quit           stop`

/**
 * `serve`: run a replica in a mesh until interrupted. Prints peers joining
 * and leaving, changes (with --watch), and answers commands read from stdin.
 */
export async function cmdServe (args: Args, out: Output): Promise<void> {
  const type = getType(flag(args, 'type', 'model'))
  const replica = type.create(flag(args, 'id'), clockFlag(args))
  printTimeWarnings(replica, out)
  const fill = numberFlag(args, 'fill', 0)
  for (let i = 0; i < fill; i++) type.set(replica, type.name === 'value' ? [String(i)] : [`key-${i}`, String(i)])
  const mesh = await Mesh.start(replica, {
    listen: flag(args, 'listen', 'tcp://127.0.0.1:0'),
    peers: args.peers,
    heartbeatMs: numberFlag(args, 'heartbeat', 5000),
    idleTimeoutMs: numberFlag(args, 'idle-timeout', 15000),
    baseMs: numberFlag(args, 'backoff-base', 100),
    maxMs: numberFlag(args, 'backoff-max', 10000),
    tls: tlsFlags(args)
  })
  out.event('listening', { id: replica.id, address: mesh.address, dataType: type.name }, `serving ${type.name} ${replica.id} on ${mesh.address ?? '(no listener)'}`)
  mesh.on('peer-join', (p: PeerInfo) => {
    out.event('peer-join', { peer: p.id, address: p.address }, `+ peer ${p.id} ${p.address ?? ''}`)
    const link = mesh.linkOf(p.id)
    if (link !== undefined && !out.json) showProgress(out, link.stream, p.id, 250, true)
  })
  mesh.on('peer-leave', (p: PeerInfo) => out.event('peer-leave', { peer: p.id, address: p.address }, `- peer ${p.id} ${p.address ?? ''}`))
  if (args.flags.get('watch') === true) {
    type.watch(replica, (c) => out.event('change', { ...c }, `${c.key !== undefined ? `${c.key} = ` : ''}${JSON.stringify(c.value) ?? '(deleted)'}  (from ${c.source})`))
  }

  let stopping = false
  const stop = async (): Promise<void> => {
    if (stopping) return
    stopping = true
    await mesh.close()
    replica.dispose()
  }
  const done = new Promise<void>((resolve) => {
    process.once('SIGINT', () => { void stop().then(resolve) })
    process.once('SIGTERM', () => { void stop().then(resolve) })
    if (args.flags.get('no-stdin') !== true) {
      const rl = createInterface({ input: process.stdin })
      rl.on('line', (line) => {
        if (line.trim() === 'quit') { rl.close(); void stop().then(resolve); return }
        runLine(line, type, replica, mesh, out)
      })
    }
  })
  await done
}

function runLine (line: string, type: CliType, replica: Replica, mesh: Mesh, out: Output): void {
  const words = line.trim().split(/\s+/).filter((w) => w !== '')
  const cmd = words.shift()
  if (cmd === undefined) return
  try {
    switch (cmd) {
      case 'set': type.set(replica, words); return out.event('ok', { cmd, clock: replica.clock.get(replica.id) }, 'ok')
      case 'delete':
      case 'del':
        if (type.delete === undefined) throw new UsageError(`${type.name} has no delete`)
        type.delete(replica, words)
        return out.event('ok', { cmd: 'delete' }, 'ok')
      case 'get': return out.event('value', { value: type.get(replica, words) ?? null }, JSON.stringify(type.get(replica, words), null, 2) ?? '(not set)')
      case 'dump': return out.event('dump', { value: type.snapshot(replica), clock: replica.getClock() }, JSON.stringify(type.snapshot(replica), null, 2))
      case 'clock': return out.event('clock', { clock: replica.getClock() }, JSON.stringify(replica.getClock(), null, 2))
      case 'peers': return out.event('peers', { peers: mesh.peers().map((p) => ({ id: p.id, address: p.address, initiator: p.initiator, synced: p.synced })) }, mesh.peers().map((p) => `${p.id} ${p.address ?? ''} (${p.initiator === 'us' ? 'dialed' : 'accepted'}${p.synced ? ', synced' : ''})`).join('\n') || '(no peers)')
      case 'stats': return out.event('stats', { peers: mesh.peers().map((p) => ({ id: p.id, ...p.stats })) }, statsTable(mesh.peers()))
      case 'help': return out.info(HELP)
      default: return out.event('error', { message: `unknown command "${cmd}"` }, `unknown command "${cmd}" (try help)`)
    }
  } catch (err) {
    out.event('error', { message: (err as Error).message }, `error: ${(err as Error).message}`)
  }
}

function statsTable (peers: PeerInfo[]): string {
  if (peers.length === 0) return '(no peers)'
  const rows = peers.map((p) => `${p.id.padEnd(26)} ${num(p.stats.updatesSent).padStart(10)} ${num(p.stats.updatesApplied).padStart(10)} ${num(p.stats.bytesSent).padStart(12)} ${num(p.stats.bytesReceived).padStart(12)}`)
  return [`${'peer'.padEnd(26)} ${'sent'.padStart(10)} ${'applied'.padStart(10)} ${'bytes out'.padStart(12)} ${'bytes in'.padStart(12)}`, ...rows].join('\n')
}
