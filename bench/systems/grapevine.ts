import type { Duplex } from 'node:stream'
import { Model } from '../../index'
import type { ReplicaStream, StreamOptions } from '../../index'
import type { Peer, System } from './types'

/** grapevine's Model, with per-stream options (for example the codec). */
export function grapevineSystem (name = 'grapevine', streamOpts: StreamOptions = {}): System {
  return {
    name,
    create (id: string): Peer {
      const m = new Model(id)
      const streams: ReplicaStream[] = []
      const peer: Peer = {
        received: 0,
        onProgress: () => {},
        set: (k, v) => { m.set(k, v) },
        fill: (keys, values) => {
          for (let i = 0; i < keys.length; i++) m.set(keys[i] as string, values[i])
        },
        get: (k) => m.get(k) as string | undefined,
        size: () => m.size,
        delivered: () => streams.reduce((n, s) => n + s.stats.updatesReceived, 0),
        stream: (): Duplex => {
          const s = m.createStream(streamOpts)
          streams.push(s)
          return s
        },
        dispose: () => { m.dispose() }
      }
      m.subscribe((_u, origin) => {
        if (origin === undefined) return
        ;(peer as { received: number }).received++
        peer.onProgress()
      })
      return peer
    }
  }
}
