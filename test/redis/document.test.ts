import test from 'tape'
import { GrapevineError } from '../../lib/errors/grapevine-error'
import { Model } from '../../lib/models/model'
import { RedisDocument } from '../../lib/redis/document'
import { type LogEntry, compareIds, decodeEntry, decodeSnapshot, decodeXread, docKeys } from '../../lib/redis/entries'
import type { Update } from '../../lib/wire/types'

// The pure side of a relay's document: entries and snapshots as they come
// out of Redis, applied in order, with the batch numbers telling whether
// something was trimmed before this relay read it.

const u = (k: string, v: unknown, ts: number, src = 's'): Update => [[k, v], ts, src] as unknown as Update
const entry = (seq: number, updates: Update[], total = seq): LogEntry => ({ id: `${1000 + seq}-0`, seq, total, relay: 'r', updates, malformed: 0 })
const fresh = (): RedisDocument => new RedisDocument('d', docKeys('gv', 'd'), new Model({ id: 'relay', maxDriftMs: Infinity }))

test('entries are applied in order and move the cursor', (t) => {
  const d = fresh()
  const r = d.apply([entry(1, [u('a', 1, 1)]), entry(2, [u('b', 2, 2), u('a', 3, 3)])])
  t.equal(r.entries, 2)
  t.equal(r.applied, 3)
  t.notOk(r.gap || r.lost)
  t.deepEqual((d.replica as Model).toJSON(), { a: 3, b: 2 })
  t.equal(d.cursor, '1002-0')
  t.equal(d.seq, 2)
  t.end()
})

test('a jump in batch numbers stops at the gap; the snapshot that replaced the trimmed entries closes it', (t) => {
  const d = fresh()
  d.apply([entry(1, [u('a', 1, 1)])])
  const r = d.apply([entry(4, [u('d', 4, 4)]), entry(5, [u('e', 5, 5)])])
  t.ok(r.gap, 'gap reported')
  t.equal(r.entries, 0, 'nothing after the gap applied')
  t.equal(d.cursor, '1001-0', 'cursor stays before the gap')
  d.applySnapshot({ id: '1003-0', seq: 3, total: 3, clock: { s: 3, gone: 2 }, updates: [u('a', 1, 1), u('c', 3, 3)] })
  t.equal(d.cursor, '1003-0', 'cursor moves to the snapshot')
  t.equal(d.replica.clock.get('gone' as never), 2, 'a source seen only in the snapshot clock counts as seen')
  const again = d.apply([entry(4, [u('d', 4, 4)])])
  t.notOk(again.gap, 'continues after the snapshot')
  t.deepEqual((d.replica as Model).toJSON(), { a: 1, c: 3, d: 4 })
  t.end()
})

test('a gap no snapshot covers is accepted the second time and reported as lost', (t) => {
  const d = fresh()
  d.apply([entry(1, [u('a', 1, 1)])])
  t.ok(d.apply([entry(5, [u('e', 5, 5)])]).gap)
  const r = d.apply([entry(5, [u('e', 5, 5)])])
  t.notOk(r.gap)
  t.ok(r.lost, 'lost')
  t.equal(d.seq, 5)
  t.end()
})

test('a batch number at or below one already read means Redis lost data', (t) => {
  const d = fresh()
  d.apply([entry(1, [u('a', 1, 1)]), entry(2, [u('b', 2, 2)])])
  const r = d.apply([{ ...entry(2, [u('c', 3, 3)]), id: '2000-0' }])
  t.ok(r.lost)
  t.equal((d.replica as Model).get('c'), 3, 'its updates are still applied')
  t.end()
})

test('damaged entries become coded errors and are stepped over', (t) => {
  const bad = [
    ['1-0', ['s', 'x', 't', '1', 'r', 'r', 'u', '[]']],
    ['2-0', ['s', '1', 't', '1', 'r', 'r', 'u', 'not json']],
    ['3-0', ['s', '1', 't', '1', 'r', 'r', 'u', '{"a":1}']],
    'nonsense',
    ['4-0', ['s', '1', 't', '1', 'r', 'r', 'u', JSON.stringify([[['k', 1], 5, 's'], [1, 2], [['k'], 'ts', 's'], [['k'], 6, '__proto__']])]]
  ]
  const decoded = bad.map(decodeEntry)
  for (const e of decoded.slice(0, 4)) t.ok(e instanceof GrapevineError && e.code === 'ERR_BACKEND' && e.details.kind === 'corrupt', 'coded ERR_BACKEND corrupt')
  const last = decoded[4] as LogEntry
  t.equal(last.updates.length, 1, 'the well-formed update survives')
  t.equal(last.malformed, 3, 'malformed ones counted')
  const d = fresh()
  const r = d.apply(decoded)
  t.equal(r.errors.length, 4)
  t.equal(d.cursor, '4-0', 'cursor past the damage')
  t.end()
})

test('replies of the wrong shape never throw', (t) => {
  t.deepEqual([...decodeXread(null).keys()], [])
  t.ok((decodeXread('x').get('') ?? [])[0] instanceof GrapevineError)
  t.deepEqual([...decodeXread([[1, 2], ['k', []]]).entries()], [['k', []]])
  t.equal(decodeSnapshot([null, null, null, null, null]), undefined, 'no snapshot yet')
  t.ok(decodeSnapshot(['1-0', '1', '1', '{"__proto__":1}', '[]']) instanceof GrapevineError, 'a clock naming __proto__ is damage')
  t.ok(decodeSnapshot(['1-0', '1', '1', '{}', '[]', 'extra']) instanceof GrapevineError)
  t.ok(decodeSnapshot('x') instanceof GrapevineError)
  t.end()
})

test('compaction is due once the tail outgrows max(min, ratio * live size)', (t) => {
  const d = fresh()
  d.apply([entry(1, [u('a', 1, 1)], 50)])
  t.notOk(d.compactionDue(100, 2), 'tail 50 under 100')
  d.apply([entry(2, [u('a', 2, 2)], 150)])
  t.ok(d.compactionDue(100, 2), 'tail 150 over 100')
  const s = d.snapshot()
  t.equal(s.count, 1, 'the snapshot holds the live state only')
  t.deepEqual(s.at, { id: '1002-0', seq: 2, total: 150 })
  d.compacted(s)
  t.notOk(d.compactionDue(100, 2), 'nothing due right after')
  d.noteSnapshot(1, 10)
  t.equal(d.snapSeq, 2, 'an older snapshot does not move it back')
  t.ok(compareIds('10-1', '9-5') > 0 && compareIds('5-2', '5-10') < 0 && compareIds('3-0', '3-0') === 0, 'stream ids compare numerically')
  t.end()
})
