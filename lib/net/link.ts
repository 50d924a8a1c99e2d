import { Transform, type Duplex } from 'node:stream'
import type { ReplicaStream } from '../stream/replica-stream'
import { HEARTBEAT, Liveness, type LivenessOptions, announcedHeartbeat } from './liveness'
import { SideLineScanner, encodeSideLine } from './side-lines'
import { holdsSwitch, jsonFrame } from '../wire/binary-frames'

/** A heartbeat once the stream has switched to binary frames: a JSON frame holding `null`. */
const HEARTBEAT_FRAME = jsonFrame(null)

/**
 * The most bytes written to the transport at once: a longer chunk (a big
 * catch-up batch) goes out in slices, so a WebSocket peer never gets a
 * message over its limit (see `TransportOptions.maxMessageBytes`). The peer
 * reads a byte stream, so where a slice ends does not matter.
 */
export const MAX_WRITE_BYTES = 64 * 1024

/** Options of `link(stream, socket, opts)`. */
export interface LinkOptions extends LivenessOptions {
  /** Receive side lines of this tag (see `side-lines.ts`), e.g. mesh gossip. Default none. */
  sideTag?: string
  /** Called with the text of each side line of `sideTag` received. */
  onSideLine?: (text: string) => void
}

/** A replica stream joined to a socket, with heartbeats and deadlines. */
export interface Link {
  /** The replica's stream. */
  readonly stream: ReplicaStream
  /** The transport duplex (socket, TLS socket, WebSocket stream...). */
  readonly socket: Duplex
  /** Resolves once both are closed; never rejects. */
  readonly closed: Promise<void>
  /** Send a side line (a JSON string peers ignore unless they read `tag`). */
  sendSideLine (tag: string, text: string): void
  /** Heartbeat lines sent so far. */
  readonly heartbeats: number
  /** The first error met (timeout, socket or protocol error), if any. */
  readonly error: Error | undefined
  /** Tear both down. */
  close (err?: Error): void
}

/**
 * Pipe a replica stream and a socket both ways, with liveness: a heartbeat
 * line (`null`) is inserted between outgoing chunks when the link is quiet,
 * and the link is closed with an ERR_TIMEOUT error when the peer's header
 * or any byte at all fails to arrive in time. Create the stream with
 * `headerFields: livenessHeaderFields(opts)` so the peer knows we heartbeat
 * (serve, dial and Mesh do). The replica stream's encoder
 * emits whole lines (or whole binary frames) per chunk, so a heartbeat can
 * never split a message; after the stream's switch to binary frames,
 * heartbeats and side lines are sent as JSON frames.
 * When either side closes or fails, both are torn down.
 */
export function link (stream: ReplicaStream, socket: Duplex, opts: LinkOptions = {}): Link {
  let error: Error | undefined
  let done = false
  let heartbeats = 0
  // Extra lines wait until the replica stream's first chunk (its header) is out.
  let started = false
  const early: Array<() => Buffer> = []
  // Once the stream's own bytes have switched to binary frames (gv-bin/1),
  // what we insert between its chunks must be frames too.
  let binary = false
  const close = (err?: Error): void => {
    if (err !== undefined && error === undefined) error = err
    if (done) return
    done = true
    live.stop()
    if (err !== undefined && !stream.destroyed) stream.destroy(err)
    else stream.destroy()
    socket.destroy()
  }
  const live = new Liveness({
    heartbeat: () => {
      if (done) return
      heartbeats++
      out.push(binary ? HEARTBEAT_FRAME : HEARTBEAT)
    },
    timeout: (err) => close(err)
  }, opts)

  const out = new Transform({
    transform (chunk: Buffer, _enc, cb) {
      live.sent()
      if (!binary && holdsSwitch(chunk)) binary = true
      if (chunk.length <= MAX_WRITE_BYTES) this.push(chunk)
      else for (let i = 0; i < chunk.length; i += MAX_WRITE_BYTES) this.push(chunk.subarray(i, i + MAX_WRITE_BYTES))
      if (!started) {
        started = true
        for (const make of early.splice(0)) this.push(make())
      }
      cb()
    }
  })
  const side = opts.sideTag !== undefined && opts.onSideLine !== undefined
    ? new SideLineScanner(opts.sideTag, opts.onSideLine)
    : undefined
  const inc = new Transform({
    transform (chunk: Buffer, _enc, cb) {
      live.received()
      side?.write(chunk)
      cb(null, chunk)
    }
  })
  stream.pipe(out).pipe(socket).pipe(inc).pipe(stream)
  stream.once('header', (h: unknown) => live.handshake(announcedHeartbeat(h)))
  if (stream.peerHeader !== undefined) live.handshake(announcedHeartbeat(stream.peerHeader))

  socket.on('error', (err: Error) => close(err))
  stream.on('error', (err: Error) => close(err))
  out.on('error', () => close())
  inc.on('error', () => close())
  const closed = new Promise<void>((resolve) => {
    let n = 0
    const one = (): void => { if (++n === 2) resolve() }
    if (stream.destroyed) one(); else stream.once('close', one)
    if (socket.destroyed) one(); else socket.once('close', one)
  })
  socket.once('close', () => close())
  stream.once('close', () => close())

  return {
    stream,
    socket,
    closed,
    sendSideLine (tag: string, text: string) {
      if (done) return
      const make = (): Buffer => encodeSideLine(tag, text, binary)
      if (started) out.push(make())
      else early.push(make)
    },
    get heartbeats () { return heartbeats },
    get error () { return error ?? stream.error },
    close
  }
}
