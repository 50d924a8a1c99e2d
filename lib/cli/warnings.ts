import type { EventEmitter } from 'node:events'
import type { GrapevineError } from '../errors/grapevine-error'
import type { Replica } from '../replica/replica'
import { type Args, UsageError, flag } from './args'
import type { Output } from './output'

/** The wall clock `--clock-offset MS` asks for (to try skew handling), or undefined for the real one. */
export function clockFlag (args: Args): (() => number) | undefined {
  const raw = flag(args, 'clock-offset')
  if (raw === undefined) return undefined
  const ms = Number(raw)
  if (!Number.isFinite(ms)) throw new UsageError('--clock-offset needs a number of milliseconds')
  return () => Date.now() + ms
}

/** Where a replica emits its lifecycle events (Events keeps them apart from user events). */
function lifecycleOf (replica: Replica): EventEmitter {
  const l: unknown = (replica as unknown as { lifecycle?: unknown }).lifecycle
  return typeof l === 'object' && l !== null && 'on' in l ? l as EventEmitter : replica
}

const LABEL: Record<string, string> = {
  skew: 'clock skew',
  held: 'holding a peer update',
  refused: 'a peer refused our update'
}

/**
 * Print the replica's time warnings as they happen: a peer whose clock is
 * off ('skew'), a peer update held until our clock allows it ('held'), and
 * a peer that refused one of ours ('refused'). Returns the stop function.
 */
export function printTimeWarnings (replica: Replica, out: Output): () => void {
  const target = lifecycleOf(replica)
  const offs: Array<() => void> = []
  for (const event of ['skew', 'held', 'refused']) {
    const fn = (err: GrapevineError): void => {
      out.status(`warning-${event}`, { code: err.code, message: err.message, ...err.details }, `! ${LABEL[event] ?? event}: ${err.message}`)
    }
    target.on(event, fn)
    offs.push(() => { target.off(event, fn) })
  }
  return () => { for (const off of offs) off() }
}
