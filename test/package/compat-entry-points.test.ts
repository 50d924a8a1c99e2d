import test from 'tape'
import { execFileSync } from 'node:child_process'

const run = (args: string[]): string => execFileSync(process.execPath, args, { encoding: 'utf8', cwd: process.cwd() })
const esm = (code: string): string => run(['--input-type=module', '-e', code]).trim()

test('require("grapevine/crdt") is crdt\'s Doc constructor, with its named parts', (t) => {
  const out = run(['-e', "const crdt = require('grapevine/crdt'); const d = new crdt.Doc(); d.set('r', { a: 1 }); console.log(crdt === crdt.Doc, typeof crdt.Seq, typeof crdt.sync, d.get('r').get('a'), crdt() instanceof crdt)"])
  t.equal(out.trim(), 'true function function 1 true')
  t.end()
})

test('import of grapevine/crdt gives the default and the named parts', (t) => {
  t.equal(esm("import crdt, { Doc, Row, Set, Seq, sync, createStream } from 'grapevine/crdt'; const d = new Doc(); console.log(crdt === Doc, typeof Row, typeof Set, typeof Seq, typeof sync, typeof createStream, d.createSeq('t', 1).push({ id: 'x' }).id)"), 'true function function function function function x')
  t.end()
})

test('require("grapevine/r-array") and import of it are the RArray constructor', (t) => {
  t.equal(run(['-e', "const RArray = require('grapevine/r-array'); const a = new RArray('a', 'b'); a.splice(1, 1, 'B'); console.log(JSON.stringify(a.toJSON()), RArray().length)"]).trim(), '["a","B"] 0')
  t.equal(esm("import RArray from 'grapevine/r-array'; const a = RArray('x'); a.push('y'); console.log(JSON.stringify(a.toJSON()), a.pop())"), '["x","y"] y')
  t.end()
})

test('require("grapevine/r-edit") and import of it are the REdit constructor', (t) => {
  t.equal(run(['-e', "const REdit = require('grapevine/r-edit'); const r = REdit(); r.text('a\\nb'); console.log(JSON.stringify(r.toJSON()))"]).trim(), '["a\\n","b"]')
  t.equal(esm("import REdit from 'grapevine/r-edit'; const r = new REdit(); r.text('x\\ny\\n'); console.log(JSON.stringify(r.text()))"), '"x\\ny\\n"')
  t.end()
})

test('the package ships the compat entry points', (t) => {
  const files = (JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8' })) as Array<{ files: Array<{ path: string }> }>)[0]?.files.map((f) => f.path) ?? []
  for (const n of ['crdt', 'r-array', 'r-edit']) {
    for (const ext of ['js', 'mjs', 'd.ts']) t.ok(files.includes(`dist/lib/compat/${n}.${ext}`), `dist/lib/compat/${n}.${ext}`)
  }
  t.end()
})
