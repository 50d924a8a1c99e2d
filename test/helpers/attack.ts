import type net from 'node:net'
import { VectorClock } from '../../lib/clock/vector-clock'
import { connect } from '../../lib/stream/connect'
import type { ReplicaStream, StreamOptions } from '../../lib/stream/replica-stream'
import type { GrapevineError } from '../../lib/errors/grapevine-error'
import { Model } from '../../lib/models/model'
import type { Replica } from '../../lib/replica/replica'
import { dial, listen, pipeBoth, tick, until } from './replicas'

/** What an attack did to the victim. */
export interface AttackResult {
  /** The error that destroyed the victim's stream, if any. */
  error: GrapevineError | undefined
  /** Coded 'invalid' events (rejected updates). */
  invalid: GrapevineError[]
  /** The victim's stream closed. */
  closed: boolean
  /** Victim's history and clock unchanged. */
  unchanged: boolean
  /** A friend connected to the victim still replicates afterwards. */
  othersFine: boolean
  /** The victim's stream, for extra checks. */
  stream: ReplicaStream
  /** The victim replica. */
  victim: Replica
}

function snapshot (r: Replica): string {
  return JSON.stringify([[...r.history(new VectorClock())], r.getClock()])
}

/**
 * Serve a victim Model (with some state, and a friend connected in memory)
 * on loopback TCP, let `send` write raw bytes from a client socket, and
 * report what happened. The victim stream is the only thing attacked.
 */
export async function attack (send: (sock: net.Socket) => Promise<void> | void, opts: StreamOptions & { victim?: Replica, settleMs?: number, expectClose?: boolean } = {}): Promise<AttackResult> {
  const victim = opts.victim ?? new Model({ id: 'victim' })
  if (victim instanceof Model && victim.size === 0) victim.set('k', 'v').set('n', 1)
  const friend = new Model({ id: 'friend' })
  const friendLink = connect(victim, friend)
  await until(() => friendLink.a.synced && friendLink.b.synced, 5000, 'friend sync')
  const before = snapshot(victim)

  let stream: ReplicaStream | undefined
  const invalid: GrapevineError[] = []
  let closed = false
  const srv = await listen((sock) => {
    stream = victim.createStream(opts)
    stream.on('invalid', (e: GrapevineError) => invalid.push(e))
    stream.on('close', () => { closed = true })
    pipeBoth(stream, sock)
  })
  const sock = await dial(srv.port)
  sock.on('data', () => {}) // read what the victim says, as a real peer would
  await until(() => stream !== undefined)
  await send(sock)
  if (opts.expectClose === true) await until(() => closed, 5000, 'victim stream to close')
  else await tick(opts.settleMs ?? 50)
  const s = stream as ReplicaStream
  const unchanged = snapshot(victim) === before

  // Other streams unaffected: a write on the victim still reaches the friend.
  let othersFine = false
  if (victim instanceof Model) {
    victim.set('after-attack', true)
    await until(() => friend.get('after-attack') === true, 2000, 'friend to get a new write').then(() => { othersFine = true }, () => {})
  } else othersFine = true

  sock.destroy()
  await srv.close()
  friendLink()
  friend.dispose()
  victim.dispose()
  return { error: s.error as GrapevineError | undefined, invalid, closed, unchanged, othersFine, stream: s, victim }
}

/** A valid header line for an attacker. */
export const HEADER = '{"id":"mallory","clock":{}}\n'
