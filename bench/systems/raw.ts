import { Duplex } from 'node:stream'
import type { Peer, System } from './types'

const NL = 0x0a

/**
 * The ceilings: newline-delimited JSON update tuples `[[key, value], ts,
 * source]` written through the same transport and parsed on the other side,
 * nothing else (no handshake, no clocks, no validation). A new stream knows
 * by magic what the peer misses: it starts where the previous one stopped.
 *
 * `apply` true is the raw replica: each parsed update is applied to a
 * `Map` of key to value. `apply` false is the parse ceiling: lines are
 * parsed and counted, not kept. The receiving side splits lines with
 * `indexOf` on the bytes (no array of lines per chunk); the sending side
 * keeps its log in columns (no tuple per key).
 */
function rawLike (name: string, apply: boolean): System {
  return {
    name,
    stateless: !apply,
    create (id: string): Peer {
      const map = new Map<string, string>()
      const logKey: string[] = []
      const logValue: string[] = []
      const logTs: number[] = []
      let mark = 0
      let received = 0
      let seq = 0
      const kicks = new Set<() => void>()
      const streams = new Set<Duplex>()
      const peer: Peer = {
        get received () { return received },
        onProgress: () => {},
        set: (k, v) => {
          if (apply) map.set(k, v)
          logKey.push(k)
          logValue.push(v)
          logTs.push(Date.now() + (++seq % 1000) / 1024)
          for (const kick of kicks) kick()
        },
        fill: (keys, values) => {
          for (let i = 0; i < keys.length; i++) peer.set(keys[i] as string, values[i] as string)
        },
        get: (k) => map.get(k),
        size: () => apply ? map.size : received,
        delivered: () => received,
        stream: () => {
          let cursor = mark
          let waiting = false
          let rest: Buffer | undefined
          const pump = (): void => {
            waiting = false
            while (cursor < logKey.length) {
              const end = Math.min(logKey.length, cursor + 256)
              let out = ''
              for (let i = cursor; i < end; i++) out += JSON.stringify([[logKey[i], logValue[i]], logTs[i], id]) + '\n'
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
          const line = (buf: Buffer, start: number, end: number): void => {
            const u = JSON.parse(buf.toString('utf8', start, end)) as [[string, string], number, string]
            if (apply) map.set(u[0][0], u[0][1])
            received++
          }
          const s = new Duplex({
            read: pump,
            write (chunk: Buffer, _enc, cb) {
              let start = 0
              let nl = chunk.indexOf(NL)
              if (rest !== undefined && nl >= 0) {
                // The line split across chunks: join just its two pieces.
                const whole = Buffer.concat([rest, chunk.subarray(0, nl)])
                rest = undefined
                line(whole, 0, whole.length)
                start = nl + 1
                nl = chunk.indexOf(NL, start)
              }
              while (nl >= 0) {
                line(chunk, start, nl)
                start = nl + 1
                nl = chunk.indexOf(NL, start)
              }
              if (start < chunk.length) rest = rest === undefined ? Buffer.from(chunk.subarray(start)) : Buffer.concat([rest, chunk.subarray(start)])
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
}

/** The raw replica: parse each line and apply it to a Map. */
export const rawSystem: System = rawLike('raw', true)

/** The parse ceiling: parse each line, keep nothing. */
export const parseSystem: System = rawLike('parse', false)
