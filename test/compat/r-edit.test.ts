import test from 'tape'
import { Window } from 'happy-dom'
import REdit = require('../../lib/compat/r-edit')
import { diffLines, moveCaret } from '../../lib/compat/line-diff'
import { syncPair, until } from '../helpers/replicas'

type RE = InstanceType<typeof REdit>
interface REditLike { text (s?: string): string | undefined, toJSON (): unknown[] }
const original = require('r-edit') as () => REditLike

const TEXTS = [
  '',
  'hello',
  'hello\nworld\n',
  'hello\nthere\nworld\n',
  'hello\n\nworld',
  'a\nb\nc\nd\ne\n',
  'a\nX\nc\nY\ne\n',
  'N\na\nX\nc\nY\ne\nM\n',
  'one line only'
]

test('text(str) and text() give the same lines and text as r-edit, edit after edit', (t) => {
  const ours = REdit()
  const theirs = original()
  for (const s of TEXTS) {
    ours.text(s)
    theirs.text(s)
    t.deepEqual(ours.toJSON(), theirs.toJSON(), `lines after text(${JSON.stringify(s)})`)
    t.equal(ours.text(), theirs.text())
  }
  t.end()
})

test('the line diff keeps unchanged lines in place and turns any text into any other', (t) => {
  t.deepEqual(diffLines(['a', 'b', 'c'], ['a', 'b', 'c']), [])
  t.deepEqual(diffLines(['a', 'b', 'c'], ['a', 'B', 'c']), [[1, 1, 'B']], 'one changed line is one replace')
  t.deepEqual(diffLines(['a', 'b', 'c'], ['a', 'N', 'b', 'c2']), [[1, 0, 'N'], [3, 1, 'c2']], 'b is kept, not rewritten')
  let seed = 7
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n }
  let ok = true
  for (let run = 0; run < 300 && ok; run++) {
    const a = Array.from({ length: rnd(8) }, () => 'abc'[rnd(3)] as string)
    const b = Array.from({ length: rnd(8) }, () => 'abc'[rnd(3)] as string)
    const arr = [...a]
    for (const [i, d, ...ins] of diffLines(a, b)) arr.splice(i, d, ...ins)
    ok = JSON.stringify(arr) === JSON.stringify(b)
  }
  t.ok(ok, '300 random pairs')
  t.end()
})

test('a caret moves with the text before it and stays inside a replaced line', (t) => {
  t.equal(moveCaret(3, 5, 0, 4), 3, 'an insert after the caret')
  t.equal(moveCaret(5, 5, 0, 4), 9, 'an insert at the caret pushes it on')
  t.equal(moveCaret(9, 2, 3, 1), 7, 'a replace before it')
  t.equal(moveCaret(4, 2, 5, 1), 3, 'inside a line replaced by a shorter one')
  t.equal(moveCaret(4, 2, 5, 0), 2, 'inside a deleted line')
  t.end()
})

test('two editors on different lines merge; on one line the later edit wins, without duplicating it', async (t) => {
  const a: RE = new REdit()
  const b: RE = new REdit()
  a.text('title\nbody\nend\n')
  const d = await syncPair(a, b)
  d()
  await d.closed
  a.text('Title\nbody\nend\n')
  b.text('title\nbody\nThe End\n')
  await syncPair(a, b)
  await until(() => a.text() === b.text())
  t.equal(a.text(), 'Title\nbody\nThe End\n')
  const d2 = await syncPair(a, b)
  d2()
  await d2.closed
  a.text('Title\nfrom a\nThe End\n')
  b.text('Title\nfrom b\nThe End\n')
  await syncPair(a, b)
  await until(() => a.text() === b.text())
  t.ok(['Title\nfrom a\nThe End\n', 'Title\nfrom b\nThe End\n'].includes(a.text()), `one line, one winner: ${JSON.stringify(a.text())}`)
  a.dispose()
  b.dispose()
})

test('wrap(textarea): typing edits the doc, a peer\'s edits show in the textarea and the caret keeps its place', async (t) => {
  const window = new Window()
  const doc = window.document
  const mk = (): HTMLTextAreaLike => {
    const ta = doc.createElement('textarea')
    doc.body.appendChild(ta)
    return ta as unknown as HTMLTextAreaLike
  }
  const taA = mk()
  const taB = mk()
  const a: RE = REdit().wrap(taA)
  const b: RE = REdit().wrap(taB)
  const type = (ta: HTMLTextAreaLike, value: string): void => {
    ta.value = value
    ta.dispatchEvent(new window.Event('input'))
  }
  await syncPair(a, b)
  type(taA, 'first\nsecond\n')
  await until(() => taB.value === 'first\nsecond\n')
  t.equal(b.text(), 'first\nsecond\n')
  // B's caret sits in "second", after "sec".
  taB.selectionStart = taB.selectionEnd = 'first\nsec'.length
  type(taA, 'a new first line\nfirst\nsecond\n')
  await until(() => taB.value === a.text())
  t.equal(taB.value.slice(taB.selectionStart ?? 0), 'ond\n', 'B\'s caret moved down with its text')
  taB.selectionStart = 2
  taB.selectionEnd = taB.value.length
  type(taA, 'A new first line\nfirst\nsecond\nlast\n')
  await until(() => taB.value === a.text())
  t.equal(taB.selectionStart, 2, 'a replace of the caret\'s own line keeps the caret inside it')
  t.equal(taB.selectionEnd, taB.value.length, 'the selection end stays on the (empty) last line, which a new line pushed down')
  t.throws(() => a.wrap(mk()), /already wrapping/)
  a.unwrap()
  type(taA, 'ignored')
  t.equal(a.text(), 'A new first line\nfirst\nsecond\nlast\n', 'after unwrap typing no longer reaches the doc')
  const c: RE = REdit().wrap(taB)
  t.equal(taB.value, '', 'wrapping a textarea again moves it to the new doc')
  b.text('b typed in code\n')
  t.equal(c.text(), '')
  c.text('c written in code\n')
  t.equal(taB.value, 'c written in code\n', 'text() called in code shows in the wrapped textarea')
  for (const r of [a, b, c]) r.dispose()
  await window.happyDOM.close()
})

/** The textarea members the test uses (happy-dom's element has them all). */
interface HTMLTextAreaLike {
  value: string
  selectionStart: number | null
  selectionEnd: number | null
  addEventListener (type: string, listener: () => void): void
  removeEventListener (type: string, listener: () => void): void
  dispatchEvent (e: unknown): boolean
}
