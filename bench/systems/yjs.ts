import { Duplex } from 'node:stream'
import * as Y from 'yjs'
import * as sync from 'y-protocols/sync'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import { FrameSplitter, frame } from '../framing'
import type { Peer, System, SystemOptions } from './types'

/**
 * Yjs with y-protocols: a Y.Map; on connect both sides send sync step 1
 * (their state vector), answer with step 2 (what the other misses), then
 * forward every document update. Messages are length-prefixed frames.
 */
export const yjsSystem: System = {
  name: 'yjs',
  create (_id: string, opts: SystemOptions = {}): Peer {
    const doc = new Y.Doc()
    const map = doc.getMap<string>('m')
    const streams = new Set<Duplex>()
    let received = 0
    let delivered = 0
    const peer: Peer = {
      get received () { return received },
      onProgress: () => {},
      set: (k, v) => { map.set(k, v) },
      fill: (keys, values) => {
        doc.transact(() => {
          for (let i = 0; i < keys.length; i++) map.set(keys[i] as string, values[i] as string)
        })
      },
      get: (k) => map.get(k),
      size: () => map.size,
      delivered: () => delivered,
      stream: () => {
        const splitter = new FrameSplitter()
        const s: Duplex = new Duplex({
          read () {},
          write (chunk: Buffer, _enc, cb) {
            splitter.write(chunk)
            cb()
          },
          final (cb) {
            s.push(null)
            cb()
          },
          destroy (err, cb) {
            streams.delete(s)
            cb(err)
          }
        })
        splitter.on('data', (msg: Buffer) => {
          if (opts.countDelivered === true) delivered += countStructs(msg)
          const dec = decoding.createDecoder(msg)
          const enc = encoding.createEncoder()
          sync.readSyncMessage(dec, enc, doc, s)
          if (encoding.length(enc) > 0) s.push(frame(encoding.toUint8Array(enc)))
        })
        streams.add(s)
        const enc = encoding.createEncoder()
        sync.writeSyncStep1(enc, doc)
        s.push(frame(encoding.toUint8Array(enc)))
        return s
      },
      dispose: () => {
        for (const s of [...streams]) s.destroy()
        doc.destroy()
      }
    }
    doc.on('update', (update: Uint8Array, origin: unknown) => {
      for (const s of streams) {
        if (s === origin) continue
        const enc = encoding.createEncoder()
        sync.writeUpdate(enc, update)
        s.push(frame(encoding.toUint8Array(enc)))
      }
    })
    map.observe((ev) => {
      if (!streams.has(ev.transaction.origin as Duplex)) return
      received += ev.keysChanged.size
      peer.onProgress()
    })
    return peer
  }
}

/** Map entries carried by a step-2 or update message (0 for step 1). */
function countStructs (msg: Uint8Array): number {
  const dec = decoding.createDecoder(msg)
  const type = decoding.readVarUint(dec)
  if (type !== sync.messageYjsSyncStep2 && type !== sync.messageYjsUpdate) return 0
  return Y.decodeUpdate(decoding.readVarUint8Array(dec)).structs.length
}
