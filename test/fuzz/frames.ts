import { BINARY_CODEC, FrameDecoder, FrameEncoder, SWITCH_LINE } from '../../lib/wire/binary-frames'
import type { Update } from '../../lib/wire/types'
import type { Rng } from '../helpers/rng'
import { NASTY, mutateBytes, mutateUpdate, randomJson } from './mutate'

/**
 * Input of a binary session: a header offering gv-bin/1 (so the target
 * switches), the switch line, then frames. Each piece is one frame or one
 * run of damage, so the engine can count what it fed. Frames come from a
 * real encoder (genuine and mutated updates, "SYNC", other JSON), with
 * byte damage, random bytes and frames aimed at each limit of the decoder.
 */
export function binaryInput (rng: Rng, corpus: readonly Update[], sources: readonly string[], header: Record<string, unknown>, limits: { maxLineBytes: number, maxDepth: number }, framing: boolean): Buffer[] {
  const pieces: Buffer[] = []
  if (rng.chance(0.97)) pieces.push(Buffer.from(JSON.stringify({ ...header, codecs: [BINARY_CODEC] }) + '\n'))
  pieces.push(SWITCH_LINE)
  const enc = new FrameEncoder()
  for (let n = rng.int(1, framing ? 30 : 80); n > 0; n--) {
    const r = rng.next()
    const base = rng.pick(corpus)
    if (r < 0.3) pieces.push(enc.encode([base]))
    else if (r < 0.85 || !framing) pieces.push(enc.encode([rng.chance(0.9) ? mutateUpdate(base, rng, sources) : rng.pick([...NASTY, 'SYNC', randomJson(rng, 3)])]))
    else if (r < 0.93) pieces.push(mutateBytes(enc.encode([base]), rng))
    else if (r < 0.96) pieces.push(randomFrameBytes(rng))
    else pieces.push(specialFrame(rng, limits))
  }
  return pieces
}

function varint (n: number): number[] {
  const out: number[] = []
  while (n >= 0x80) { out.push((n % 0x80) | 0x80); n = Math.floor(n / 0x80) }
  out.push(n)
  return out
}

/** A frame around `body` with tag `tag`. */
function frameOf (tag: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(varint(body.length + 1)), Buffer.from([tag]), body])
}

function str (s: string | Buffer): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s
  return Buffer.concat([Buffer.from(varint(b.length)), b])
}

/** Random bytes behind a plausible length prefix, or none. */
function randomFrameBytes (rng: Rng): Buffer {
  const body = Buffer.alloc(rng.int(0, 64))
  for (let i = 0; i < body.length; i++) body[i] = rng.int(0, 255)
  if (rng.chance(0.3)) return body
  return Buffer.concat([Buffer.from(varint(body.length)), body])
}

/** Frames aimed at the decoder's limits and checks. */
function specialFrame (rng: Rng, limits: { maxLineBytes: number, maxDepth: number }): Buffer {
  switch (rng.int(0, 11)) {
    case 0: return Buffer.from(varint(limits.maxLineBytes + rng.int(1, 3))) // longer than allowed; the body never comes
    case 1: return Buffer.from([0x80, 0x80, 0x80, 0x80, 0x01]) // length prefix too long
    case 2: return Buffer.from([0x00]) // empty frame
    case 3: return frameOf(rng.pick([0x00, 0x40, 0x50, 0xf0]), Buffer.from('x')) // unknown kind
    case 4: return frameOf(0x10, Buffer.from([0x00, 0x05, 0x61])) // string runs past the frame
    case 5: return frameOf(0x10, Buffer.concat([Buffer.from(varint(rng.int(50, 5000))), Buffer.from([2]), str('k'), str('v')])) // undefined source
    case 6: { // many source definitions: past maxSources
      const out: Buffer[] = []
      for (let i = rng.int(2, 10); i > 0; i--) out.push(frameOf(0x10, Buffer.concat([Buffer.from([0]), str(`s${rng.int(0, 1e9)}`), Buffer.from([2]), str('k'), str('v')])))
      return Buffer.concat(out)
    }
    case 7: return frameOf(0x10, Buffer.concat([Buffer.from([0]), str('a'), Buffer.from([2]), str(Buffer.from([0xc3, 0x28])), str('v')])) // invalid UTF-8
    case 8: { // deep JSON value, around the limit
      const d = limits.maxDepth + rng.int(-3, 1)
      return frameOf(0x11, Buffer.concat([Buffer.from([0]), str('a'), Buffer.from([2]), str('k'), str('['.repeat(Math.max(0, d)) + ']'.repeat(Math.max(0, d)))]))
    }
    case 9: return frameOf(0x30, Buffer.from('{"notice":"refused","code":"ERR_CLOCK_DRIFT"')) // invalid JSON
    case 10: return frameOf(0x14, Buffer.concat([Buffer.from([0]), str('a'), Buffer.from([0, 0, 0, 0, 0, 0, 0xf0, 0x7f]), str('k'), str('v')])) // an infinite float64 timestamp
    default: return frameOf(0x10, Buffer.concat([Buffer.from([0]), str('x'.repeat(rng.pick([0, 257, 5000]))), Buffer.from([2]), str('k'), str('v')])) // invalid source ids
  }
}

/**
 * Whether what the target sent is well formed: JSON lines, and after its own
 * switch line, binary frames that decode. Returns a description of the first
 * fault, or undefined.
 */
export function outputFault (out: Buffer): string | undefined {
  let start = 0
  while (start < out.length) {
    const nl = out.indexOf(0x0a, start)
    const end = nl < 0 ? out.length : nl
    const line = out.toString('utf8', start, end)
    start = end + 1
    if (line === '') continue
    try {
      if (JSON.parse(line) === BINARY_CODEC) break
    } catch {
      return `not JSON: ${line.slice(0, 100)}`
    }
  }
  if (start >= out.length) return undefined
  const dec = new FrameDecoder({ maxLineBytes: 64 * 1024 * 1024, maxDepth: 1000, maxSources: Infinity })
  try {
    dec.write(out.subarray(start), [])
  } catch (err) {
    return `bad binary frames: ${String(err)}`
  }
  return dec.pendingBytes === 0 ? undefined : 'output ends inside a frame'
}
