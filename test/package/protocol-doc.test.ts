import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import test from 'tape'

const ROOT = join(__dirname, '../../..')
const SHARED = join(ROOT, '../shared')

/** The contract part of a project doc: everything before its first horizontal rule. */
const contract = (text: string): string => (text.split('\n---\n')[0] ?? '').trim()

for (const [ours, theirs] of [['docs/protocol.md', 'PROTOCOL.md'], ['docs/reliability.md', 'RELIABILITY.md']] as const) {
  test(`${ours} carries the shared ${theirs} word for word`, (t) => {
    const mine = readFileSync(join(ROOT, ours), 'utf8')
    t.ok(mine.length > 1000, `${ours} is in the project`)
    const shared = join(SHARED, theirs)
    if (!existsSync(shared)) {
      t.comment(`no ../shared/${theirs} beside this checkout: nothing to compare against`)
    } else {
      t.equal(contract(mine), readFileSync(shared, 'utf8').trim(), `in step with ../shared/${theirs}`)
    }
    t.end()
  })
}

function markdownFiles (dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue
    if (statSync(p).isDirectory()) out.push(...markdownFiles(p))
    else if (name.endsWith('.md')) out.push(p)
  }
  return out
}

test('every relative link in the docs points at a file inside the repository', (t) => {
  let links = 0
  for (const file of markdownFiles(ROOT)) {
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const href = m[1] as string
      if (/^[a-z]+:/i.test(href) || href.startsWith('#')) continue
      links++
      const target = resolve(dirname(file), href.split('#')[0] as string)
      const where = `${file.slice(ROOT.length + 1)} -> ${href}`
      if (!target.startsWith(ROOT + '/') && target !== ROOT) t.fail(`link leaves the repository: ${where}`)
      else if (!existsSync(target)) t.fail(`link to a missing file: ${where}`)
    }
  }
  t.ok(links > 20, `${links} relative links checked`)
  t.end()
})
