import type { GrapevineError } from '../../lib/errors/grapevine-error'
import type { Replica } from '../../lib/replica/replica'
import type { ReplicaStream } from '../../lib/stream/replica-stream'

/** A hand-driven peer: a stream of `replica` we write raw lines into, collecting what it rejects. */
export interface RawPeer {
  stream: ReplicaStream
  invalid: GrapevineError[]
  /** Everything the replica sent us, as text. */
  received: () => string
  send: (value: unknown) => void
}

/** Open a stream of `replica` and send it a header, as a peer would. */
export function rawPeer (replica: Replica, id = 'raw-peer'): RawPeer {
  const stream = replica.createStream()
  const invalid: GrapevineError[] = []
  const chunks: Buffer[] = []
  stream.on('invalid', (err: GrapevineError) => invalid.push(err))
  stream.on('data', (c: Buffer) => chunks.push(c))
  const send = (value: unknown): void => { stream.write(JSON.stringify(value) + '\n') }
  send({ id, clock: {} })
  return { stream, invalid, received: () => Buffer.concat(chunks).toString('utf8'), send }
}
