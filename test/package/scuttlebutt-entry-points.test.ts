import test from 'tape'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// Each compatibility entry point, loaded as its users load the original:
// require() in CommonJS and import in an ES module, through package.json
// "exports" (the package resolving itself by name).

const run = (args: string[]): string => execFileSync(process.execPath, args, { encoding: 'utf8', cwd: process.cwd() })
const cjs = (code: string): string => run(['-e', code]).trim()
const esm = (code: string): string => run(['--input-type=module', '-e', code]).trim()

const COMPAT = ['scuttlebutt', 'scuttlebutt/model', 'scuttlebutt/events', 'scuttlebutt/util', 'r-value', 'scuttlebucket', 'repred']

test('require() of each compat entry point gives what the original module gave', (t) => {
  t.equal(cjs("const Model = require('grapevine/scuttlebutt/model'); const m = Model('a'); m.set('k', 1); m.set('d', null); console.log(typeof Model, m.get('k'), JSON.stringify(m.toJSON()), new Model() instanceof Model)"), 'function 1 {"k":1} true')
  t.equal(cjs("const Emitter = require('grapevine/scuttlebutt/events'); const e = Emitter(); let got; e.on('x', (v) => { got = v }); e.emit('x', 2); console.log(got, e.history().length)"), '2 1')
  t.equal(cjs("const Sb = require('grapevine/scuttlebutt'); console.log(typeof Sb, typeof Sb.createId(), typeof Sb.timestamp(), Sb.filter([0, 2, 'a'], { a: 1 }))"), 'function string number true')
  t.equal(cjs("const u = require('grapevine/scuttlebutt/util'); console.log(typeof u.filter, typeof u.sort, typeof u.createId)"), 'function function function')
  t.equal(cjs("const Value = require('grapevine/r-value'); const v = Value(); const before = v.get(); v.set('x'); console.log(before, v.get())"), 'null x')
  t.equal(cjs("const SB = require('grapevine/scuttlebucket'); const Model = require('grapevine/scuttlebutt/model'); const b = SB('id').add('m', Model()); console.log(b.get('m').id, JSON.stringify(b.toJSON()))"), 'id {"m":{}}')
  t.equal(cjs("const repred = require('grapevine/repred'); const r = repred((c, x) => (c.includes(x) ? [] : (c.push(x), [x])), []); r.update('a').update('a'); console.log(JSON.stringify(r.collection))"), '["a"]')
  t.end()
})

test('import of each compat entry point: the default export is the module, named statics too', (t) => {
  t.equal(esm("import Model from 'grapevine/scuttlebutt/model'; const m = Model('a'); m.set('k', 1); console.log(typeof Model, m.get('k'))"), 'function 1')
  t.equal(esm("import Emitter from 'grapevine/scuttlebutt/events'; console.log(typeof Emitter().emit)"), 'function')
  t.equal(esm("import Sb, { createId, filter, timestamp } from 'grapevine/scuttlebutt'; console.log(typeof Sb, typeof createId(), typeof timestamp(), filter([0, 2, 'a'], { a: 3 }))"), 'function string number false')
  t.equal(esm("import { filter, sort } from 'grapevine/scuttlebutt/util'; console.log(typeof filter, typeof sort)"), 'function function')
  t.equal(esm("import Value from 'grapevine/r-value'; console.log(Value().get())"), 'null')
  t.equal(esm("import SB from 'grapevine/scuttlebucket'; console.log(SB('x').id)"), 'x')
  t.equal(esm("import repred from 'grapevine/repred'; console.log(typeof repred((c) => c, {}).update)"), 'function')
  t.end()
})

test('every compat entry point has types, and the package files cover them', (t) => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { exports: Record<string, { types: string, import: string, require: string }>, files: string[] }
  for (const name of COMPAT) {
    const e = pkg.exports[`./${name}`]
    t.ok(e !== undefined, `exports has ./${name}`)
    if (e === undefined) continue
    for (const f of [e.types, e.import, e.require]) t.ok(existsSync(join(process.cwd(), f)), `${f} is built`)
  }
  const listing = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8', cwd: process.cwd() })
  const packed = new Set((JSON.parse(listing) as Array<{ files: Array<{ path: string }> }>)[0]?.files.map((f) => f.path))
  for (const name of COMPAT) {
    const e = pkg.exports[`./${name}`]
    if (e === undefined) continue
    for (const f of [e.types, e.import, e.require]) t.ok(packed.has(f.replace(/^\.\//, '')), `${f} ships in the package`)
  }
  t.end()
})

test('TypeScript callers get the types of each compat entry point, with node10 and node16 module resolution', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gv-types-'))
  try {
    mkdirSync(join(dir, 'node_modules'))
    symlinkSync(process.cwd(), join(dir, 'node_modules', 'grapevine'), 'dir')
    symlinkSync(join(process.cwd(), 'node_modules', '@types'), join(dir, 'node_modules', '@types'), 'dir')
    writeFileSync(join(dir, 'use.ts'), [
      "import Model = require('grapevine/scuttlebutt/model')",
      "import Emitter = require('grapevine/scuttlebutt/events')",
      "import Scuttlebutt = require('grapevine/scuttlebutt')",
      "import util = require('grapevine/scuttlebutt/util')",
      "import Value = require('grapevine/r-value')",
      "import Scuttlebucket = require('grapevine/scuttlebucket')",
      "import repred = require('grapevine/repred')",
      "import { Model as Main } from 'grapevine'",
      "const m: Main = Model('a').set('k', 1)",
      "const h: unknown[] = m instanceof Model ? Model().history({ a: 1 }) : []",
      "const e: boolean = Emitter().emit('x', 1)",
      "const ts: number = Scuttlebutt.timestamp()",
      "const f: boolean = util.filter([0, ts, 'a'] as never, { a: 1 })",
      "const v: unknown = Value('id').get()",
      "const b = Scuttlebucket('id').add('m', Model())",
      "const r: repred.Instance<string[]> = repred((c: string[], x: unknown) => [x], [] as string[]).update('x')",
      "// @ts-expect-error: get takes no key",
      "Value().get('no')",
      'export { h, e, f, v, b, r }',
      ''
    ].join('\n'))
    const tsc = join(process.cwd(), 'node_modules', 'typescript', 'bin', 'tsc')
    for (const resolution of [['--module', 'commonjs', '--moduleResolution', 'node10'], ['--module', 'node16', '--moduleResolution', 'node16']]) {
      let out = ''
      try {
        execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '--skipLibCheck', '--types', 'node', '--ignoreDeprecations', '5.0', ...resolution, 'use.ts'], { cwd: dir, encoding: 'utf8' })
      } catch (err) {
        out = String((err as { stdout?: string }).stdout ?? err)
      }
      t.equal(out, '', `types resolve with ${resolution.join(' ')}`)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  t.end()
})
