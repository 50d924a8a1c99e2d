import type { Replica } from '../replica/replica'
import { dial } from '../net/serve'
import type { Link } from '../net/link'
import { isRelayHeader, syncDurable } from '../redis/client'
import { type Args, UsageError, flag, tlsFlags } from './args'
import { type Output, showProgress } from './output'
import { type CliType, getType } from './types'
import { clockFlag, printTimeWarnings } from './warnings'

/** The peer a one-shot command talks to (`--peer ADDR`). */
function peerOf (args: Args): string {
  const p = args.peers[0]
  if (p === undefined) throw new UsageError(`${args.command ?? ''} needs --peer ADDR (for example --peer tcp://127.0.0.1:7000)`)
  return p
}

/**
 * Connect to the peer, exchange everything, and let both sides close in
 * order (`tail: false`). When this resolves without error, the peer has
 * read everything we had before connecting: that is the acknowledgement
 * of `set` and `delete`.
 */
async function syncOnce (out: Output, replica: Replica, addr: string, args: Args): Promise<Link> {
  const l = await dial(replica, addr, { stream: { tail: false }, tls: tlsFlags(args) })
  const stop = showProgress(out, l.stream, addr)
  await l.closed
  stop()
  if (!l.stream.synced) throw new Error(`lost the connection to ${addr} before the sync finished${l.error !== undefined ? `: ${l.error.message}` : ''}`)
  return l
}

function setup (args: Args, out: Output): { type: CliType, replica: Replica, addr: string } {
  const type = getType(flag(args, 'type', 'model'))
  const replica = type.create(flag(args, 'id'), clockFlag(args))
  printTimeWarnings(replica, out)
  return { type, replica, addr: peerOf(args) }
}

/** `get [KEY]`: print a value (or everything) held by the peer. */
export async function cmdGet (args: Args, out: Output): Promise<void> {
  const { type, replica, addr } = setup(args, out)
  await syncOnce(out, replica, addr, args)
  out.result(type.get(replica, args.positional))
}

/** `set ...` / `delete KEY`: write through the peer; resolves once the peer has it. */
export async function cmdWrite (args: Args, out: Output, del: boolean): Promise<void> {
  const { type, replica, addr } = setup(args, out)
  // Read first, so our write is causally after what the peer holds.
  const first = await syncOnce(out, replica, addr, args)
  if (del) {
    if (type.delete === undefined) throw new UsageError(`--type ${type.name} has no delete`)
    type.delete(replica, args.positional)
  } else {
    type.set(replica, args.positional)
  }
  // A Redis relay says when the write is in Redis; wait for that rather than for its close.
  const relay = isRelayHeader(first.stream.peerHeader)
  if (relay) await syncDurable(replica, addr, { tls: tlsFlags(args) })
  else await syncOnce(out, replica, addr, args)
  out.event('ack', { peer: addr, clock: replica.getClock(), durable: relay }, relay ? `ok: ${addr} stored it in Redis` : `ok: ${addr} has it`)
}

/** `clock`: print the peer's vector clock (from its header: every source it has seen). */
export async function cmdClock (args: Args, out: Output): Promise<void> {
  const { replica, addr } = setup(args, out)
  const l = await syncOnce(out, replica, addr, args)
  out.result({ peer: l.stream.peerHeader?.id, clock: l.stream.peerHeader?.clock })
}

/** `stats`: sync once and print what the link carried. */
export async function cmdStats (args: Args, out: Output): Promise<void> {
  const { replica, addr } = setup(args, out)
  const l = await syncOnce(out, replica, addr, args)
  out.result({ peer: l.stream.peerHeader?.id, address: addr, ...l.stream.stats })
}

/** `watch`: print the peer's state, then every change live, until interrupted. */
export async function cmdWatch (args: Args, out: Output): Promise<void> {
  const { type, replica, addr } = setup(args, out)
  const l = await dial(replica, addr, { tls: tlsFlags(args) })
  const stop = showProgress(out, l.stream, addr)
  await new Promise<void>((resolve, reject) => {
    l.stream.once('synced', () => {
      out.event('state', { value: type.snapshot(replica) }, JSON.stringify(type.snapshot(replica), null, 2))
      type.watch(replica, (c) => out.event('change', { ...c }, `${c.key !== undefined ? `${c.key} = ` : ''}${JSON.stringify(c.value) ?? '(deleted)'}  (from ${c.source})`))
      resolve()
    })
    void l.closed.then(() => reject(new Error(`connection to ${addr} closed${l.error !== undefined ? `: ${l.error.message}` : ''}`)))
  })
  await l.closed
  stop()
  throw new Error(`connection to ${addr} closed${l.error !== undefined ? `: ${l.error.message}` : ''}`)
}
