import test from 'tape'
import { LineDecoder, decodeMessage } from '../../index'
import { GrapevineError } from '../../lib/errors/grapevine-error'

function decodeAll (chunks: Buffer[], limits = { maxLineBytes: 1024, maxDepth: 8 }): unknown[] {
  const d = new LineDecoder(limits)
  const out: unknown[] = []
  for (const c of chunks) d.write(c, out)
  d.end(out)
  return out
}

test('a character split across chunks at every byte offset decodes whole', (t) => {
  const line = Buffer.from('["é✓𝄞", 1]\n')
  for (let cut = 1; cut < line.length; cut++) {
    t.deepEqual(decodeAll([line.subarray(0, cut), line.subarray(cut)]), [['é✓𝄞', 1]], `cut at ${cut}`)
  }
  t.end()
})

test('many lines per chunk, one line across many chunks, last line without newline', (t) => {
  const text = '1\n2\n"SYNC"\n{"a":[1,2]}\n[3]'
  const bytes = Buffer.from(text)
  const one = Array.from(bytes, (b) => Buffer.from([b]))
  t.deepEqual(decodeAll([bytes]), [1, 2, 'SYNC', { a: [1, 2] }, [3]])
  t.deepEqual(decodeAll(one), [1, 2, 'SYNC', { a: [1, 2] }, [3]], 'byte by byte')
  t.end()
})

test('blank lines are skipped and \\r\\n is accepted', (t) => {
  t.deepEqual(decodeAll([Buffer.from('\n\r\n  \n1\r\n2\n')]), [1, 2])
  t.end()
})

test('line length is counted in bytes, complete or not', (t) => {
  const d = new LineDecoder({ maxLineBytes: 10, maxDepth: 8 })
  const out: unknown[] = []
  d.write(Buffer.from('"éééé"\n'), out) // 10 bytes
  t.deepEqual(out, ['éééé'])
  t.throws(() => d.write(Buffer.from('"ééééé"'), out), (e: unknown) => e instanceof GrapevineError && e.code === 'ERR_LINE_TOO_LONG', 'unfinished line over the limit')
  t.end()
})

test('depth limit: at the limit passes, one deeper fails', (t) => {
  t.deepEqual(decodeAll([Buffer.from('[[[1]]]\n')], { maxLineBytes: 100, maxDepth: 3 }), [[[[1]]]])
  t.throws(() => decodeAll([Buffer.from('[[[[1]]]]\n')], { maxLineBytes: 100, maxDepth: 3 }), /deeper/)
  t.throws(() => decodeAll([Buffer.from('{"a":{"b":{"c":{}}}}\n')], { maxLineBytes: 100, maxDepth: 3 }), /deeper/)
  t.end()
})

test('a genuine U+FFFD is valid; a bad byte sequence is not', (t) => {
  t.deepEqual(decodeAll([Buffer.from('"\uFFFD"\n')]), ['\uFFFD'])
  t.throws(() => decodeAll([Buffer.from([0x22, 0xff, 0x22, 0x0a])]), /UTF-8/)
  t.end()
})

test('decoding is linear: a 4 MiB line in 4 KiB chunks is handled without quadratic copying', (t) => {
  const d = new LineDecoder({ maxLineBytes: 8 * 1024 * 1024, maxDepth: 8 })
  const out: unknown[] = []
  const chunk = Buffer.alloc(4096, 0x61)
  d.write(Buffer.from('"'), out)
  for (let i = 0; i < 1024; i++) d.write(chunk, out)
  d.write(Buffer.from('"\n'), out)
  t.equal((out[0] as string).length, 4 * 1024 * 1024)
  t.equal(d.pendingBytes, 0)
  t.end()
})

test('decodeMessage classifies values', (t) => {
  t.equal((decodeMessage([['k', 1], 5, 's']) as { kind: string }).kind, 'update')
  t.equal((decodeMessage({ id: 'x', clock: {} }) as { kind: string }).kind, 'header')
  t.equal((decodeMessage('SYNC') as { kind: string }).kind, 'sync')
  t.equal((decodeMessage(null) as { kind: string }).kind, 'ignored')
  t.equal((decodeMessage('PING') as { kind: string }).kind, 'ignored')
  t.equal((decodeMessage([1, 2]) as GrapevineError).code, 'ERR_INVALID_UPDATE')
  t.equal((decodeMessage({ id: 'x' }) as GrapevineError).code, 'ERR_PROTOCOL')
  t.end()
})
