import { VectorClock } from '../../lib/clock/vector-clock'
import { isGrapevineError } from '../../lib/errors/grapevine-error'
import type { Replica, ReplicaOptions } from '../../lib/replica/replica'
import type { ReplicaStream, StreamOptions } from '../../lib/stream/replica-stream'
import { canonicalJson } from '../../lib/trust/canonical'
import { type KeyPair, keyId, keyPairFromSeed } from '../../lib/trust/keys'
import { trust } from '../../lib/trust/signing'
import type { Update } from '../../lib/wire/types'
import { Rng } from '../helpers/rng'
import { mutateBytes, mutateUpdate, rawBytes, specialLine } from './mutate'
import { FUZZ_TYPES, type FuzzType } from './types'
import { binaryInput, outputFault } from './frames'

/** Options of `runFuzz`. */
export interface FuzzOptions {
  seed: number
  /** Stop after this many lines have been fed to streams. */
  lines: number
  /** Data types to attack. Default: FUZZ_TYPES (every exported type). */
  types?: readonly FuzzType[]
  /** Called every `progressEvery` sessions. */
  onProgress?: (r: FuzzReport) => void
  progressEvery?: number
}

/** What a fuzz run found. Every list but the counters must be empty. */
export interface FuzzReport {
  seed: number
  lines: number
  bytes: number
  sessions: number
  /** Sessions that switched to binary frames (gv-bin/1). */
  binarySessions: number
  acceptedUpdates: number
  /** Coded rejections and fatal errors seen, by code. */
  codes: Record<string, number>
  /** Uncaught exceptions and unhandled rejections. */
  crashes: string[]
  /** Errors without a GrapevineError code, or more than one 'error' on a stream. */
  uncoded: string[]
  /** State diverged from the reference, or a forged update was accepted. */
  corruptions: string[]
  /** Output of the replica that was neither JSON lines nor, after its switch, binary frames. */
  badOutput: string[]
  peakHeapBytes: number
  startHeapBytes: number
  ms: number
}

const DOC = 'fuzz-doc'
const KEYS: KeyPair[] = [1, 2, 3].map((n) => keyPairFromSeed(Buffer.alloc(32, n)))
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** The replica's full state: its clock and everything it would send a newcomer. */
function snapshot (r: Replica): string {
  return canonicalJson({ clock: r.getClock(), history: [...r.history(new VectorClock())] })
}

/**
 * Feed generated, mutated and raw lines in random chunk sizes to
 * `createStream()` of each data type, one short session after another, and
 * check after each: no crash, every fault coded, and the replica's state
 * equal to a reference replica given only the updates the target accepted
 * (so rejected input changed nothing). Signed sessions also check that
 * every accepted update is one a key holder really signed.
 */
export async function runFuzz (opts: FuzzOptions): Promise<FuzzReport> {
  const rng = new Rng(opts.seed)
  const types = opts.types ?? FUZZ_TYPES
  const report: FuzzReport = {
    seed: opts.seed, lines: 0, bytes: 0, sessions: 0, binarySessions: 0, acceptedUpdates: 0, codes: {}, crashes: [], uncoded: [], corruptions: [], badOutput: [],
    peakHeapBytes: 0, startHeapBytes: process.memoryUsage().heapUsed, ms: 0
  }
  const started = Date.now()
  const onCrash = (err: unknown): void => { report.crashes.push(String((err as Error)?.stack ?? err)) }
  process.on('uncaughtException', onCrash)
  process.on('unhandledRejection', onCrash)
  try {
    while (report.lines < opts.lines) {
      await session(rng, rng.pick(types), report)
      report.sessions++
      if (report.sessions % 50 === 0) report.peakHeapBytes = Math.max(report.peakHeapBytes, process.memoryUsage().heapUsed)
      if (opts.onProgress !== undefined && report.sessions % (opts.progressEvery ?? 1000) === 0) opts.onProgress(report)
    }
  } finally {
    process.removeListener('uncaughtException', onCrash)
    process.removeListener('unhandledRejection', onCrash)
  }
  report.peakHeapBytes = Math.max(report.peakHeapBytes, process.memoryUsage().heapUsed)
  report.ms = Date.now() - started
  return report
}

async function session (rng: Rng, type: FuzzType, report: FuzzReport): Promise<void> {
  const tag = `${type.name} session ${report.sessions} (seed ${report.seed})`
  const signed = rng.chance(0.25)
  // Some signed documents admit only some of the writers' keys.
  const allow = signed && rng.chance(0.3) ? KEYS.filter(() => rng.chance(0.5)).map((k) => keyId(k.publicKey)) : 'any'
  const trustOpts = (kp?: KeyPair): ReplicaOptions => signed ? { ...trust({ docId: DOC, allow, ...(kp !== undefined ? { keyPair: kp } : {}) }) } : {}

  // Genuine updates from one or two writers: the corpus that mutations start from.
  const corpus: Update[] = []
  for (let w = rng.int(1, 2); w > 0; w--) {
    const writer = type.create(trustOpts(signed ? rng.pick(KEYS) : undefined))
    for (let i = rng.int(1, signed ? 6 : 15); i > 0; i--) type.write(writer, rng)
    corpus.push(...writer.history(new VectorClock()))
    writer.dispose()
  }
  const genuine = new Set(corpus.map((u) => canonicalJson([u[0], u[1], u[2]])))
  const sources = [...new Set(corpus.map((u) => u[2] as string))]

  const target = type.create(trustOpts())
  const reference = type.create(trustOpts())
  // Some state before the attack, so "unchanged" is not about an empty replica.
  for (const u of corpus.slice(0, rng.int(0, corpus.length))) {
    target.receive(u)
    reference.receive(u)
  }
  if (snapshot(target) !== snapshot(reference)) report.corruptions.push(`${tag}: the same updates gave different states`)

  const small = rng.chance(0.7)
  const limits = small ? { maxLineBytes: rng.int(256, 65_536), maxDepth: rng.int(2, 64) } : { maxLineBytes: 1024 * 1024, maxDepth: 64 }
  const streamOpts: StreamOptions = { ...limits, maxInvalid: rng.pick([5, 100, 1000]), strict: rng.chance(0.1) }
  if (rng.chance(0.2)) streamOpts.maxSources = rng.int(1, 4)
  // Rarely a tight rate limit: reading pauses mid-session, and the stream may close while paused.
  if (rng.chance(0.05)) streamOpts.maxMessagesPerSecond = rng.int(10, 100)
  const header = { id: 'attacker', clock: rng.chance(0.7) ? {} : target.getClock() }

  // The input: a header (usually), then lines. A framing session mixes in
  // bytes that kill the stream at once; an update session sends only JSON,
  // so many mutated updates reach the replica before the stream ends. A
  // binary session offers gv-bin/1, switches, and sends binary frames.
  const framing = rng.chance(0.3)
  const binary = rng.chance(0.35)
  report.binarySessions += binary ? 1 : 0
  const pieces: Buffer[] = []
  if (binary) {
    pieces.push(...binaryInput(rng, corpus, sources, header, limits, framing))
  } else {
    const eol = Buffer.from(rng.chance(0.2) ? '\r\n' : '\n')
    const line = (b: Buffer): void => { pieces.push(Buffer.concat([b, eol])) }
    if (rng.chance(framing ? 0.8 : 0.97)) line(Buffer.from(JSON.stringify(header)))
    for (let n = rng.int(1, framing ? 30 : 80); n > 0; n--) {
      const r = rng.next()
      const base = rng.pick(corpus)
      if (r < 0.3) line(Buffer.from(JSON.stringify(base)))
      else if (r < 0.9 || !framing) line(Buffer.from(JSON.stringify(mutateUpdate(base, rng, sources)) ?? 'null'))
      else if (r < 0.95) line(mutateBytes(Buffer.from(JSON.stringify(base)), rng))
      else if (r < 0.97) line(rawBytes(rng))
      else line(specialLine(rng, small ? limits : { maxLineBytes: rng.chance(0.05) ? limits.maxLineBytes : 5000, maxDepth: limits.maxDepth }, header))
    }
  }
  const ends: number[] = []
  let offset = 0
  for (const piece of pieces) {
    offset += piece.length
    ends.push(offset)
  }
  const input = Buffer.concat(pieces)
  // Sometimes the last piece loses its last byte (a line without its newline, a cut frame).
  const bytes = rng.chance(0.1) ? input.subarray(0, input.length - 1) : input

  const before = snapshot(target)
  const stream: ReplicaStream = target.createStream(streamOpts)
  const accepted: Update[] = []
  const unsubscribe = target.subscribe((u, origin) => { if (origin === stream) accepted.push(u) })
  let errors = 0
  const count = (err: unknown, kind: string): void => {
    if (!isGrapevineError(err)) {
      report.uncoded.push(`${tag}: ${kind} without a code: ${String(err)}`)
      return
    }
    report.codes[err.code] = (report.codes[err.code] ?? 0) + 1
  }
  stream.on('invalid', (err: unknown) => count(err, "'invalid'"))
  stream.on('error', (err: unknown) => {
    if (++errors > 1) report.uncoded.push(`${tag}: more than one 'error' on a stream`)
    count(err, "'error'")
  })
  const out: Buffer[] = []
  stream.on('data', (c: Buffer) => out.push(c))

  // Random chunk sizes: single bytes, small pieces and large blocks.
  let written = 0
  while (written < bytes.length && !stream.destroyed) {
    const r = rng.next()
    const size = r < 0.1 ? rng.int(1, 8) : r < 0.5 ? rng.int(9, 256) : rng.int(257, 8192)
    stream.write(bytes.subarray(written, written + size))
    written = Math.min(bytes.length, written + size)
    if (rng.chance(0.05)) await settle()
  }
  // Lines tried: those written whole before the stream gave up on the peer.
  const fed = ends.filter((e) => e <= written).length + (written === bytes.length && bytes.length < input.length ? 1 : 0)
  report.lines += Math.max(1, fed)
  report.bytes += written
  if (!stream.destroyed && rng.chance(0.5)) stream.end()
  // Let the streams finish whatever the input started.
  let last = ''
  for (let quiet = 0; quiet < 3;) {
    await settle()
    const now = JSON.stringify(stream.stats) + String(stream.destroyed)
    quiet = now === last ? quiet + 1 : 0
    last = now
  }
  stream.destroy()
  await settle()
  unsubscribe()

  // Rejected input changed nothing: the target equals a reference given only what it accepted.
  report.acceptedUpdates += accepted.length
  for (const u of accepted) {
    const r = reference.receive(u)
    if (r.status !== 'applied') report.corruptions.push(`${tag}: the reference refused an update the target accepted: ${r.status}`)
    if (signed && !genuine.has(canonicalJson([u[0], u[1], u[2]]))) report.corruptions.push(`${tag}: accepted an update nobody signed: ${JSON.stringify(u).slice(0, 200)}`)
  }
  if (accepted.length === 0 && snapshot(target) !== before) report.corruptions.push(`${tag}: state changed though every update was rejected`)
  if (snapshot(target) !== snapshot(reference)) report.corruptions.push(`${tag}: state differs from the reference replica`)

  // Whatever happened, the replica's own output is well formed: JSON lines, then binary frames if it switched.
  const fault = outputFault(Buffer.concat(out))
  if (fault !== undefined) report.badOutput.push(`${tag}: ${fault}`)
  target.dispose()
  reference.dispose()
}
