import type { Duplex } from 'node:stream'
import ScuttlebuttModel from 'scuttlebutt/model'
import type { Peer, System } from './types'

/** scuttlebutt@5's Model, as published on npm. */
export const scuttlebuttSystem: System = {
  name: 'scuttlebutt',
  create (id: string): Peer {
    const m = new ScuttlebuttModel(id)
    let old = 0
    let received = 0
    const streams: Duplex[] = []
    const peer: Peer = {
      get received () { return received },
      onProgress: () => {},
      set: (k, v) => { m.set(k, v) },
      fill: (keys, values) => {
        for (let i = 0; i < keys.length; i++) m.set(keys[i] as string, values[i])
      },
      get: (k) => m.get(k) as string | undefined,
      size: () => m.keys().length,
      delivered: () => received + old,
      stream: () => {
        const s = m.createStream()
        streams.push(s)
        return s
      },
      dispose: () => {
        for (const s of streams) s.destroy()
        m.dispose()
      }
    }
    // 'update' fires once per applied update, local ones included.
    m.on('update', (_change: unknown, _ts: number, source: string) => {
      if (source === m.id) return
      received++
      peer.onProgress()
    })
    // Updates old for their source. (One newer for its source but older than
    // its key's value emits '_remove', as does every overwritten value, so
    // it cannot be counted apart; S4 writes each key once, so there are none.)
    m.on('old_data', () => { old++ })
    return peer
  }
}
