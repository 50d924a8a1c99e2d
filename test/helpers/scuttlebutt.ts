import type { Duplex } from 'node:stream'
import { dial, listen, pipeBoth } from './replicas'

// scuttlebutt@5 ships no types; these are the parts the tests drive.

/** A scuttlebutt stream. */
export interface SbStream extends NodeJS.EventEmitter {
  pipe<T> (dest: T): T
  destroy (): void
}

/** What every scuttlebutt@5 replica has. */
export interface SbReplica extends NodeJS.EventEmitter {
  id: string
  sources: Record<string, number>
  createStream (opts?: Record<string, unknown>): SbStream
  history (sources?: Record<string, number>): unknown[]
  dispose (): void
}

/** scuttlebutt/model. */
export interface SbModel extends SbReplica {
  set (k: string, v: unknown): this
  get (k: string): unknown
  keys (): string[]
  toJSON (): Record<string, unknown>
}

/** scuttlebutt/events. */
export interface SbEvents extends SbReplica {
  emit (name: string, ...args: unknown[]): boolean
  on (name: string, fn: (...args: unknown[]) => void): this
}

/** The real scuttlebutt@5 Model constructor (a devDependency). */
export const SbModel = require('scuttlebutt/model') as new (id?: string) => SbModel
/** The real scuttlebutt@5 Events constructor. */
export const SbEvents = require('scuttlebutt/events') as new (id?: string) => SbEvents

/** Join a scuttlebutt stream to a socket both ways. */
export function pipeSb (s: SbStream, sock: Duplex): void {
  s.pipe(sock)
  sock.pipe(s as unknown as NodeJS.WritableStream)
  sock.on('error', () => {})
  sock.once('close', () => s.destroy())
}

/** Anything with a grapevine-style createStream(). */
export interface GvStreamable { createStream: () => Duplex }

/**
 * Link one of ours to a scuttlebutt replica over loopback TCP; `weServe`
 * says which side listens. Returns the teardown.
 */
export async function linkSb (ours: GvStreamable, theirs: SbReplica, weServe: boolean): Promise<() => Promise<void>> {
  if (weServe) {
    const srv = await listen((sock) => pipeBoth(ours.createStream(), sock))
    const sock = await dial(srv.port)
    pipeSb(theirs.createStream(), sock)
    return async () => { sock.destroy(); await srv.close() }
  }
  const srv = await listen((sock) => pipeSb(theirs.createStream(), sock))
  const sock = await dial(srv.port)
  pipeBoth(ours.createStream(), sock)
  return async () => { sock.destroy(); await srv.close() }
}

/** The two directions every interop test runs in. */
export const DIRECTIONS = [
  { weServe: true, label: 'grapevine serves, scuttlebutt dials' },
  { weServe: false, label: 'scuttlebutt serves, grapevine dials' }
] as const
