import test from 'tape'
import { FrameDecoder, FrameEncoder } from '../../lib/wire/binary-frames'
import { isGrapevineError } from '../../lib/errors/grapevine-error'
import { Rng, seedFromEnv } from '../helpers/rng'

const seed = seedFromEnv()

function randomString (rng: Rng, max: number): string {
  // Lone surrogates too: UTF-8 cannot carry them, so the encoder must fall back to JSON text.
  const alphabet = ['a', 'Z', '0', ' ', '"', '\\', '\n', 'é', '€', '😀', '\u0000', '\ud800', '\udfff']
  let s = ''
  const n = rng.int(0, max)
  for (let i = 0; i < n; i++) s += rng.pick(alphabet)
  return s
}

function randomMessage (rng: Rng, sources: string[], clock: { ts: number }): unknown {
  const r = rng.next()
  if (r < 0.05) return 'SYNC'
  if (r < 0.08) return { id: randomString(rng, 5), clock: { a: 1 } }
  const key = randomString(rng, rng.chance(0.1) ? 80 : 8)
  const shapes: unknown[] = [
    [key, randomString(rng, rng.chance(0.1) ? 300 : 6)],
    [key, rng.pick([null, 0, -1.5, true, { deep: [1, { x: 'y' }] }, [1, 2]])],
    [key],
    { any: 'change', n: rng.int(0, 9) },
    ['event-name', 1, 2, 3]
  ]
  const change = rng.pick(shapes)
  // Mostly HLC-like steps (multiples of 1/1024), sometimes jumps, back steps and odd fractions.
  const step = rng.pick([1 / 1024, 3 / 1024, 17, 0.001, -5, 1e6])
  clock.ts = Math.max(1 / 1024, clock.ts + step)
  const source = rng.chance(0.9) ? rng.pick(sources) : rng.chance(0.9) ? `s${rng.int(0, 1000)}` : `s\ud800${rng.int(0, 9)}`
  const u: unknown[] = [change, clock.ts, source]
  if (rng.chance(0.1)) u.push(randomString(rng, 20))
  return u
}

test('binary frames: any batch of messages decodes to the same values, whatever the chunking', (t) => {
  const rng = new Rng(seed)
  const sources = ['A', 'b0a1c2d3e4f5a6b7c8d9e0f1', ...Array.from({ length: 200 }, (_, i) => `src-${i}`)]
  const clock = { ts: 1_763_700_000_000 }
  const messages: unknown[] = []
  for (let i = 0; i < 3000; i++) messages.push(randomMessage(rng, sources, clock))
  const enc = new FrameEncoder()
  const chunks: Buffer[] = []
  for (let i = 0; i < messages.length;) {
    const n = rng.int(1, 300)
    chunks.push(enc.encode(messages.slice(i, i + n)))
    i += n
  }
  const all = Buffer.concat(chunks)
  const dec = new FrameDecoder()
  const out: unknown[] = []
  for (let i = 0; i < all.length;) {
    const n = rng.int(1, 700)
    dec.write(all.subarray(i, i + n), out)
    i += n
  }
  t.equal(dec.pendingBytes, 0, 'nothing left over')
  t.deepEqual(out, messages, `round trip (seed ${seed}; replay with SEED=${seed})`)
  t.end()
})

test('binary frames: a map update with a short key and value takes at most 24 bytes', (t) => {
  const enc = new FrameEncoder()
  let ts = 1_763_700_000_123
  enc.encode([[['warmup', 'x'], ts, 'b0a1c2d3e4f5a6b7c8d9e0f1']])
  const sizes: number[] = []
  for (let i = 0; i < 100; i++) {
    ts += i % 10 === 0 ? 3 : 1 / 1024
    sizes.push(enc.encode([[[`user:${i}`, `v${i * 31}`], ts, 'b0a1c2d3e4f5a6b7c8d9e0f1']]).length)
  }
  t.ok(Math.max(...sizes) <= 24, `largest frame ${Math.max(...sizes)} bytes`)
  t.end()
})

function decodeError (bytes: number[] | Buffer, maxLineBytes = 1024): unknown {
  const dec = new FrameDecoder({ maxLineBytes, maxDepth: 8 })
  try {
    dec.write(Buffer.from(bytes), [])
  } catch (err) {
    return err
  }
  return undefined
}

test('binary frames: malformed input is a coded error, never a crash', (t) => {
  t.ok(isGrapevineError(decodeError([1, 0x70]), 'ERR_INVALID_FRAME'), 'unknown frame kind')
  t.ok(isGrapevineError(decodeError([0]), 'ERR_INVALID_FRAME'), 'empty frame')
  t.ok(isGrapevineError(decodeError([2, 0x20, 0]), 'ERR_INVALID_FRAME'), 'trailing bytes')
  t.ok(isGrapevineError(decodeError([3, 0x10, 5, 0]), 'ERR_INVALID_FRAME'), 'undefined source')
  t.ok(isGrapevineError(decodeError([5, 0x10, 0, 9, 0x41, 0x41]), 'ERR_INVALID_FRAME'), 'string past the frame')
  t.ok(isGrapevineError(decodeError([0xff, 0xff, 0xff, 0xff, 0x7f]), 'ERR_INVALID_FRAME'), 'length prefix too long')
  t.ok(isGrapevineError(decodeError([0x80, 0x10]), 'ERR_LINE_TOO_LONG'), 'frame over the limit')
  t.equal(decodeError([3, 0x30, 0x7b, 0x7d]), undefined, 'a JSON frame {} is fine')
  t.ok(isGrapevineError(decodeError([3, 0x30, 0x7b, 0x7b]), 'ERR_INVALID_JSON'), 'invalid JSON')
  t.ok(isGrapevineError(decodeError([3, 0x30, 0xc3, 0x28]), 'ERR_INVALID_UTF8'), 'invalid UTF-8')
  const deep = Buffer.from('[[[[[[[[[[[[1]]]]]]]]]]]]')
  t.ok(isGrapevineError(decodeError(Buffer.concat([Buffer.from([deep.length + 1, 0x30]), deep])), 'ERR_TOO_DEEP'), 'too deep')
  const huge = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]
  t.ok(isGrapevineError(decodeError([4 + huge.length, 0x10, 0, 1, 0x41, ...huge]), 'ERR_INVALID_FRAME'), 'varint beyond 2^53')
  const dec = new FrameDecoder({ maxLineBytes: 1024, maxDepth: 8, maxSources: 2 })
  // A delete of key "k" by a newly defined source.
  const define = (name: string): number[] => [6 + name.length, 0x12, 0, name.length, ...Buffer.from(name), 2, 1, 0x6b]
  t.ok(isGrapevineError((() => {
    try { dec.write(Buffer.from([...define('a'), ...define('b'), ...define('c')]), []) } catch (err) { return err }
    return undefined
  })(), 'ERR_TOO_MANY_SOURCES'), 'source dictionary is bounded')
  t.end()
})

test('binary frames: strings with lone surrogates, in keys, values, sources and signatures, come back unchanged', (t) => {
  const msgs: unknown[] = [
    [['k\ud800', 'v'], 1, 'a'],
    [['k', 'v\udc00'], 2, 'a'],
    [['k\udfff'], 3, 'a'],
    [['k\ud800', { x: '\ud800' }], 4, 'a'],
    [['k', 'v'], 5, 'b\ud800'],
    [['k', 'v'], 6, 'a', 'sig\ud800'],
    [['k', 'v'], 7, 'a', 7],
    [['k', 'v'], 8, 'a']
  ]
  const out: unknown[] = []
  new FrameDecoder().write(new FrameEncoder().encode(msgs), out)
  t.deepEqual(out, msgs)
  t.end()
})

test('binary frames: JSON depth counts as on JSON lines ([change, ts, source] is level 1)', (t) => {
  const deep = (d: number): unknown => d === 0 ? 1 : [deep(d - 1)]
  for (const maxDepth of [2, 3, 5, 10]) {
    for (let d = 0; d <= maxDepth; d++) {
      for (const u of [[['k', deep(d)], 1, 'a'], [deep(d), 1, 'a']]) {
        const line = JSON.stringify(u)
        const depth = (s: string): number => { let m = 0; let c = 0; for (const ch of s) { if (ch === '[') m = Math.max(m, ++c); else if (ch === ']') c-- } return m }
        const tooDeepAsLine = depth(line) > maxDepth
        const out: unknown[] = []
        let code: string | undefined
        try {
          new FrameDecoder({ maxLineBytes: 1 << 20, maxDepth }).write(new FrameEncoder().encode([u]), out)
        } catch (err) {
          code = (err as { code?: string }).code
        }
        if ((code === 'ERR_TOO_DEEP') !== tooDeepAsLine) {
          t.fail(`maxDepth ${maxDepth}, ${line}: binary says ${code ?? 'ok'}, a JSON line is ${tooDeepAsLine ? 'too deep' : 'fine'}`)
          return t.end()
        }
      }
    }
  }
  t.pass('the same verdict as the line decoder at every depth')
  t.end()
})

test('binary frames: an invalid source id is not kept; its updates decode with an empty source, which validation rejects', (t) => {
  const out: unknown[] = []
  const long = 'x'.repeat(5000)
  new FrameDecoder().write(new FrameEncoder().encode([[['k', 'v'], 1, long], [['k', 'w'], 2, long], [['k', 'v'], 3, '__proto__']]), out)
  t.deepEqual(out.map((u) => (u as unknown[])[2]), ['', '', ''], 'sources over 256 characters or __proto__ are dropped from the dictionary')
  t.end()
})
