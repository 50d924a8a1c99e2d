import test from 'tape'
import type { Duplex } from 'node:stream'
import { Events, Model } from '../../index'
import { dial, listen, pipeBoth, until } from '../helpers/replicas'

// scuttlebutt@5 ships no types; these are the parts we drive.
interface SbStream extends NodeJS.EventEmitter {
  pipe<T> (dest: T): T
  destroy (): void
}
interface SbReplica extends NodeJS.EventEmitter {
  id: string
  sources: Record<string, number>
  createStream (opts?: Record<string, unknown>): SbStream
  dispose (): void
}
interface SbModel extends SbReplica {
  set (k: string, v: unknown): void
  get (k: string): unknown
  toJSON (): Record<string, unknown>
}
interface SbEvents extends SbReplica {
  emit (name: string, ...args: unknown[]): boolean
  on (name: string, fn: (...args: unknown[]) => void): this
}
const SbModelCtor = require('scuttlebutt/model') as new (id?: string) => SbModel
const SbEventsCtor = require('scuttlebutt/events') as new (id?: string) => SbEvents

/** Join a scuttlebutt stream to a socket both ways. */
function pipeSb (s: SbStream, sock: Duplex): void {
  s.pipe(sock)
  sock.pipe(s as unknown as NodeJS.WritableStream)
  sock.on('error', () => {})
  sock.once('close', () => s.destroy())
}

async function link (ours: { createStream: () => Duplex }, theirs: SbReplica, weServe: boolean): Promise<() => Promise<void>> {
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

for (const weServe of [true, false]) {
  const dir = weServe ? 'grapevine serves, scuttlebutt dials' : 'scuttlebutt serves, grapevine dials'

  test(`Model replicates with scuttlebutt@5 Model over TCP (${dir})`, async (t) => {
    const ours = new Model('gv')
    const theirs = new SbModelCtor('sb')
    ours.set('before-ours', 1)
    ours.set('__proto__', 'data')
    theirs.set('before-theirs', { n: 2 })
    const close = await link(ours, theirs, weServe)
    await until(() => ours.get('before-theirs') !== undefined && theirs.get('before-ours') === 1, 5000, 'history exchange')
    ours.set('after-ours', 'x')
    theirs.set('after-theirs', [1, 2, 3])
    theirs.set('before-ours', 'overwritten by scuttlebutt')
    await until(() => theirs.get('after-ours') === 'x' && ours.get('after-theirs') !== undefined && ours.get('before-ours') === 'overwritten by scuttlebutt', 5000, 'live updates')
    t.deepEqual(ours.get('after-theirs'), [1, 2, 3])
    t.deepEqual(ours.get('before-theirs'), { n: 2 })
    for (const k of ['before-theirs', 'after-ours', 'after-theirs', 'before-ours']) {
      t.deepEqual(theirs.get(k), ours.get(k), `key ${k} equal on both sides`)
    }
    t.equal(ours.clock.get(ours.id), theirs.sources.gv, 'scuttlebutt saw our latest timestamp')
    await close()
    ours.dispose()
    theirs.dispose()
  })

  test(`Events replicate with scuttlebutt@5 Events over TCP (${dir})`, async (t) => {
    const ours = new Events('gv')
    const theirs = new SbEventsCtor('sb')
    const gotOurs: unknown[] = []
    const gotTheirs: unknown[] = []
    ours.on('msg', (...args) => gotOurs.push(args))
    theirs.on('msg', (...args: unknown[]) => gotTheirs.push(args))
    ours.emit('msg', 'from grapevine, before', 1)
    theirs.emit('msg', 'from scuttlebutt, before', 2)
    const close = await link(ours, theirs, weServe)
    await until(() => gotOurs.length === 2 && gotTheirs.length === 2, 5000, 'history exchange')
    ours.emit('msg', 'from grapevine, after', 3)
    theirs.emit('msg', 'from scuttlebutt, after', 4)
    await until(() => gotOurs.length === 4 && gotTheirs.length === 4, 5000, 'live events')
    const sort = (xs: unknown[]): string[] => xs.map((x) => JSON.stringify(x)).sort()
    t.deepEqual(sort(gotOurs), sort(gotTheirs), 'both sides delivered the same four events once')
    await close()
    ours.dispose()
    theirs.dispose()
  })
}
