import test from 'tape'
import { execFileSync } from 'node:child_process'

const run = (args: string[]): string => execFileSync(process.execPath, args, { encoding: 'utf8', cwd: process.cwd() })

test('require("grapevine") gives the CommonJS build with named exports', (t) => {
  const out = run(['-e', "const g = require('grapevine'); const m = new g.Model('a'); m.set('k', 1); console.log(typeof g.connect, m.get('k'))"])
  t.equal(out.trim(), 'function 1')
  t.end()
})

test('import { Model } from "grapevine" works as an ES module on this Node', (t) => {
  const out = run(['--input-type=module', '-e', "import { Model, Events, connect } from 'grapevine'; import g from 'grapevine'; const m = new Model('a'); m.set('k', 2); console.log(typeof connect, typeof Events, m.get('k'), g.Model === Model)"])
  t.equal(out.trim(), 'function function 2 true')
  t.end()
})

test('the ES module facade exports every name the CommonJS build does', (t) => {
  const out = run(['--input-type=module', '-e', "import * as esm from 'grapevine'; import { createRequire } from 'node:module'; const cjs = createRequire(import.meta.url)('grapevine'); const a = Object.keys(esm).filter(k => k !== 'default').sort(); const b = Object.keys(cjs).filter(k => k !== '__esModule').sort(); console.log(JSON.stringify(a) === JSON.stringify(b), a.length)"])
  const [same, count] = out.trim().split(' ')
  t.equal(same, 'true')
  t.ok(Number(count) > 20)
  t.end()
})
