import { Duplex } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'
import type { Peer, System } from './types'

type Tuple = [[string, string], number, string]

/**
 * The ceiling: newline-delimited JSON update tuples written through the
 * transport and parsed on the other side, nothing else (no handshake, no
 * clocks, no validation). It knows by magic what the peer misses: a new
 * stream starts where the previous one stopped.
 */
export const rawSystem: System = {
  name: 'raw',
  create (id: string): Peer {
    const map = new Map<string, Tuple>()
    const log: Tuple[] = []
    let mark = 0
    let received = 0
    let seq = 0
    const kicks = new Set<() => void>()
    const streams = new Set<Duplex>()
    const peer: Peer = {
      get received () { return received },
      onProgress: () => {},
      set: (k, v) => {
        const u: Tuple = [[k, v], Date.now() + (++seq % 1000) / 1024, id]
        map.set(k, u)
        log.push(u)
        for (const kick of kicks) kick()
      },
      fill: (keys, values) => {
        for (let i = 0; i < keys.length; i++) peer.set(keys[i] as string, values[i] as string)
      },
      get: (k) => map.get(k)?.[0][1],
      size: () => map.size,
      delivered: () => received,
      stream: () => {
        let cursor = mark
        let waiting = false
        let rest = ''
        const text = new StringDecoder('utf8')
        const pump = (): void => {
          waiting = false
          while (cursor < log.length) {
            const end = Math.min(log.length, cursor + 256)
            let out = ''
            for (let i = cursor; i < end; i++) out += JSON.stringify(log[i]) + '\n'
            cursor = end
            if (!s.push(out)) return
          }
          waiting = true
        }
        const kick = (): void => {
          if (!waiting) return
          waiting = false
          queueMicrotask(pump)
        }
        const s = new Duplex({
          read: pump,
          write (chunk: Buffer, _enc, cb) {
            const lines = (rest + text.write(chunk)).split('\n')
            rest = lines.pop() as string
            for (const line of lines) {
              const u = JSON.parse(line) as Tuple
              map.set(u[0][0], u)
              received++
            }
            peer.onProgress()
            cb()
          },
          final (cb) { s.push(null); cb() },
          destroy (err, cb) {
            kicks.delete(kick)
            streams.delete(s)
            mark = cursor
            cb(err)
          }
        })
        kicks.add(kick)
        streams.add(s)
        return s
      },
      dispose: () => { for (const s of [...streams]) s.destroy() }
    }
    return peer
  }
}
