import test from 'tape'
import { Text, VectorClock, type TextEdit, type Update } from '../../index'
import { syncPair, until } from '../helpers/replicas'
import { Rng, seedFromEnv } from '../helpers/rng'

/** Type `word` one keystroke at a time starting at `pos`. */
function typeForward (t: Text, pos: number, word: string): void {
  for (let i = 0; i < word.length; i++) t.insert(pos + i, word[i] as string)
}

/** Type `word` backwards: each keystroke at `pos`, before the previous one. */
function typeBackward (t: Text, pos: number, word: string): void {
  for (let i = word.length - 1; i >= 0; i--) t.insert(pos, word[i] as string)
}

test('insert, delete, slice and length behave like editing a string', (t) => {
  const x = new Text('a')
  x.insert(0, 'hello world')
  x.insert(5, ',')
  x.delete(6, 1)
  x.insert(11, '!')
  t.equal(x.toString(), 'hello,world!')
  t.equal(x.length, 12)
  t.equal(x.slice(6, 5), 'world')
  t.equal(x.charAt(0), 'h')
  x.delete(10, 99)
  t.equal(x.toString(), 'hello,worl', 'a range past the end is cut short')
  t.equal(x.tombstones, 3, 'deleted characters stay as tombstones')
  t.throws(() => x.insert(99, 'x'), /pos must be an integer/)
  t.throws(() => x.delete(-1, 1), /pos must be an integer/)
  t.end()
})

test('change events carry the edit, for local and remote edits', async (t) => {
  const a = new Text('a')
  const b = new Text('b')
  const local: TextEdit[] = []
  const remote: TextEdit[] = []
  a.on('change', (e: TextEdit) => local.push(e))
  b.on('change', (e: TextEdit) => remote.push(e))
  await syncPair(a, b)
  a.insert(0, 'abcdef')
  a.delete(1, 3)
  await until(() => b.toString() === 'aef')
  const expected = [{ type: 'insert', pos: 0, text: 'abcdef' }, { type: 'delete', pos: 1, length: 3 }]
  t.deepEqual(local, expected)
  t.deepEqual(remote, expected, 'a multi-character delete arrives as one edit')
  a.dispose()
  b.dispose()
})

test('replaying remote change events on a plain string reproduces the text (seeded)', async (t) => {
  const seed = seedFromEnv()
  const rng = new Rng(seed)
  const a = new Text('a')
  const b = new Text('b')
  let mirror = ''
  b.on('change', (e: TextEdit) => {
    mirror = e.type === 'insert' ? mirror.slice(0, e.pos) + e.text + mirror.slice(e.pos) : mirror.slice(0, e.pos) + mirror.slice(e.pos + e.length)
  })
  await syncPair(a, b)
  for (let i = 0; i < 300; i++) {
    const w = rng.chance(0.5) ? a : b
    if (w.length > 0 && rng.chance(0.3)) w.delete(rng.int(0, w.length - 1), rng.int(1, 4))
    else w.insert(rng.int(0, w.length), rng.pick(['x', 'yz', 'héllo', '🙂']))
    if (rng.chance(0.2)) await new Promise((resolve) => setImmediate(resolve))
  }
  await until(() => a.toString() === b.toString() && a.clock.get(b.id) === b.clock.get(b.id))
  t.equal(mirror, b.toString(), `mirror equals the text (SEED=${seed})`)
  a.dispose()
  b.dispose()
})

test('two replicas typing a word at the same spot get one word then the other', async (t) => {
  for (const [how, type] of [['forwards', typeForward], ['backwards', typeBackward]] as const) {
    const a = new Text('a')
    const b = new Text('b')
    a.insert(0, '[]')
    const d = await syncPair(a, b)
    d()
    await d.closed
    type(a, 1, 'hello')
    type(b, 1, 'world')
    await syncPair(a, b)
    await until(() => a.toString() === b.toString())
    const s = a.toString()
    t.ok(s === '[helloworld]' || s === '[worldhello]', `typed ${how}: ${s}`)
    a.dispose()
    b.dispose()
  }
})

test('a multi-character insert is one update on the wire', async (t) => {
  const a = new Text('a')
  const b = new Text('b')
  const d = await syncPair(a, b)
  a.insert(0, 'a whole sentence pasted at once')
  await until(() => b.length === a.length)
  t.equal(d.a.stats.updatesSent, 1)
  t.equal(b.toString(), 'a whole sentence pasted at once')
  a.dispose()
  b.dispose()
})

test('a reconnect sends only the missing updates, deletes included', async (t) => {
  const a = new Text('a')
  const b = new Text('b')
  typeForward(a, 0, 'some text typed before')
  const d1 = await syncPair(a, b)
  d1()
  await d1.closed
  a.delete(0, 5)
  a.insert(0, 'new ')
  b.insert(b.length, '!')
  const d2 = await syncPair(a, b)
  await until(() => a.toString() === b.toString())
  t.equal(d2.a.stats.updatesSent, 2, 'a sends its delete and insert only')
  t.equal(d2.b.stats.updatesSent, 1, 'b sends its one keystroke only')
  t.equal(b.toString(), 'new text typed before!')
  a.dispose()
  b.dispose()
})

test('an insert whose parent has not arrived is held, counted in the clock and served in history', (t) => {
  const a = new Text('a')
  const b = new Text('b')
  const c = new Text('c')
  a.insert(0, 'xz')
  for (const u of a.history(new VectorClock())) b.receive(u)
  b.insert(1, 'y')
  // c hears b's keystroke before a's text, as through a different path.
  const fromB = b.history(new VectorClock()).filter((u) => u[2] === 'b')
  t.equal(c.receive(fromB[0] as Update).status, 'applied')
  t.equal(c.pending, 1, 'held until its parent arrives')
  t.equal(c.toString(), '')
  t.equal(c.clock.get(b.id), b.clock.get(b.id), 'the clock moved: it is not asked for again')
  t.equal(c.history(new VectorClock()).length, 1, 'history serves the held update')
  const edits: TextEdit[] = []
  c.on('change', (e: TextEdit) => edits.push(e))
  for (const u of a.history(new VectorClock())) c.receive(u)
  t.equal(c.pending, 0)
  t.equal(c.toString(), 'xyz', 'applied as soon as its parent arrived')
  t.deepEqual(edits, [{ type: 'insert', pos: 0, text: 'xz' }, { type: 'insert', pos: 1, text: 'y' }])
  t.end()
})

test('updates that can never resolve are rejected and change nothing', (t) => {
  const a = new Text('a')
  a.insert(0, 'ab')
  const ts = a.clock.get(a.id)
  const bad: unknown[] = [
    ['i', [ts + 10, 'z', 0], 1, 'x'], // depends on itself
    ['i', [ts, 'a', 7], 1, 'x'], // element 7 of a 2-character insert
    ['i', [ts - 1, 'a', 0], 1, 'x'], // an update of a that was never issued
    ['i', null, 0, 'x'], // left of the start
    ['i', null, 1, ''], // empty text
    ['d', [[ts, 'a', 1, 5]]], // runs past the insert
    ['m', [ts, 'a', 0], null, 1], // Text cannot move
    ['x']
  ]
  for (const change of bad) {
    const r = a.receive([change, ts + 10, 'z'] as unknown as Update)
    t.equal(a.clock.get('z' as Update[2]), 0, 'clock unchanged')
    t.equal(r.status, 'rejected', JSON.stringify(change))
  }
  t.equal(a.toString(), 'ab')
  t.equal(a.logSize, 1)
  t.end()
})

test('a change listener that throws fails the stream but leaves the text whole and syncing', async (t) => {
  const a = new Text('a')
  const b = new Text('b')
  let thrown = 0
  const mirror: TextEdit[] = []
  b.on('change', (e: TextEdit) => mirror.push(e))
  b.on('change', () => {
    if (thrown++ === 0) throw new Error('listener bug')
  })
  const link = await syncPair(a, b)
  a.insert(0, 'x')
  await new Promise((resolve) => link.b.once('close', resolve))
  t.match(link.b.error?.message ?? '', /listener bug/, 'the exception is the stream\'s error')
  t.equal((link.b.error as { code?: string } | undefined)?.code, 'ERR_LISTENER')
  t.equal(b.toString(), 'x', 'the update was applied before listeners ran')
  t.equal(mirror.length, 1, 'the listener before it heard the edit')
  a.insert(1, 'y')
  await syncPair(a, b)
  await until(() => b.toString() === 'xy')
  t.equal(b.toString(), a.toString(), 'later updates hanging on it still apply')
  a.dispose()
  b.dispose()
})

test('words typed at one spot by 2 to 4 replicas at once stay whole (seeded)', async (t) => {
  const seed = seedFromEnv()
  const rng = new Rng(seed)
  const failures: string[] = []
  for (let round = 0; round < 40 && failures.length === 0; round++) {
    const n = rng.int(2, 4)
    const rs: Text[] = []
    for (let i = 0; i < n; i++) rs.push(new Text(`r${i}`))
    const first = rs[0] as Text
    first.insert(0, '.'.repeat(rng.int(0, 6)))
    for (const r of rs.slice(1)) for (const u of first.history(r.clock)) r.receive(u)
    const at = rng.int(0, first.length)
    const words = rs.map((_, i) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.slice(i * 6, i * 6 + rng.int(2, 6)))
    rs.forEach((r, i) => (rng.chance(0.5) ? typeForward : typeBackward)(r, at, words[i] as string))
    const links = []
    for (let i = 1; i < n; i++) links.push(await syncPair(rs[i - 1] as Text, rs[i] as Text))
    await until(() => rs.every((r) => r.toString() === first.toString() && r.length === first.length))
    const s = first.toString()
    for (const w of words) if (!s.includes(w)) failures.push(`${JSON.stringify(words)} -> ${s}`)
    for (const d of links) d()
    for (const r of rs) r.dispose()
  }
  t.deepEqual(failures, [], `every word contiguous (SEED=${seed})`)
})

test('history serves each update exactly as it was made, signed ones with their signature', async (t) => {
  const { createHmac } = await import('node:crypto')
  const mac = (u: Update): string => createHmac('sha256', 'k').update(JSON.stringify([u[0], u[1], u[2]])).digest('hex')
  const verify = (u: Update): boolean => u[3] === mac(u)
  const plain = new Text('plain')
  const made: string[] = []
  plain.subscribe((u) => made.push(JSON.stringify(u)))
  plain.insert(0, 'hello')
  plain.insert(2, '🙂 x')
  plain.delete(1, 3)
  plain.insert(plain.length, '!')
  t.deepEqual(plain.history(new VectorClock()).map((u) => JSON.stringify(u)), made, 'rebuilt inserts are byte-identical')

  const a = new Text({ id: 'a', sign: mac })
  const b = new Text({ id: 'b', verify })
  const c = new Text({ id: 'c', verify })
  a.insert(0, 'signed text')
  a.delete(0, 7)
  await syncPair(a, b)
  await syncPair(b, c)
  await until(() => c.toString() === 'text')
  t.equal(c.counters.rejected, 0, 'signatures still verify after a relay')
  for (const r of [plain, a, b, c]) r.dispose()
})
