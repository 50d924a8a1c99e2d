import { Duplex } from 'node:stream'

/** The subset of the WHATWG `WebSocket` API (browsers, Deno, Node 22, `ws`) that we use. */
export interface WebSocketLike {
  binaryType: string
  readonly readyState: number
  readonly bufferedAmount: number
  send (data: Uint8Array | string): void
  close (code?: number, reason?: string): void
  addEventListener (type: 'open' | 'message' | 'close' | 'error', listener: (ev: object) => void): void
}

const CONNECTING = 0
const OPEN = 1

function toBuffer (data: unknown): Buffer | undefined {
  if (typeof data === 'string') return Buffer.from(data, 'utf8')
  if (data instanceof ArrayBuffer) return Buffer.from(data)
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  return undefined
}

/**
 * Adapt a browser-style WebSocket into an ordinary duplex of bytes, so a
 * replica stream can be piped to it the same way as to a TCP socket. Each
 * outgoing chunk is one binary message; incoming messages may be text or
 * binary. Writes wait for 'open'; a message the adapter cannot read
 * (a Blob) fails the stream rather than being silently dropped. Writes
 * wait while more than `maxBuffered` bytes (default 1 MiB) are unsent.
 */
export function fromWebSocket (ws: WebSocketLike, maxBuffered = 1024 * 1024): Duplex {
  ws.binaryType = 'arraybuffer'
  let waiting: Array<() => void> = []
  const d = new Duplex({
    read () {},
    write (chunk: Buffer, _enc, cb) {
      const send = (): void => {
        if (ws.readyState !== OPEN) return cb(new Error('WebSocket is not open'))
        ws.send(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))
        // WebSocket has no 'drain' event: poll bufferedAmount, so a slow
        // link slows the replica stream instead of growing memory.
        const drained = (): void => {
          if (ws.readyState !== OPEN || ws.bufferedAmount <= maxBuffered) cb()
          else setTimeout(drained, 20)
        }
        drained()
      }
      if (ws.readyState === CONNECTING) waiting.push(send)
      else send()
    },
    final (cb) {
      // WebSocket has no half-close: ending our side closes the socket.
      if (ws.readyState === OPEN) ws.close(1000)
      cb()
    },
    destroy (err, cb) {
      if (ws.readyState === CONNECTING || ws.readyState === OPEN) ws.close(1000)
      cb(err)
    }
  })
  ws.addEventListener('open', () => {
    const w = waiting
    waiting = []
    for (const fn of w) fn()
  })
  ws.addEventListener('message', (ev) => {
    const buf = toBuffer((ev as { data?: unknown }).data)
    if (buf === undefined) d.destroy(new Error('unsupported WebSocket message type'))
    else d.push(buf)
  })
  ws.addEventListener('close', () => {
    for (const fn of waiting.splice(0)) fn()
    d.push(null)
    d.destroy()
  })
  ws.addEventListener('error', () => d.destroy(new Error('WebSocket error')))
  return d
}
