import test from 'tape'
import { KeyIndex, hashString } from '../../lib/models/key-index'
import { Rng, seedFromEnv } from '../helpers/rng'

const seed = seedFromEnv()

/** The store's use: find, and on a miss push the key and add its slot. */
function insert (keys: string[], index: KeyIndex, key: string): number {
  const s = index.find(key)
  if (s >= 0) return s
  keys.push(key)
  index.add(keys.length - 1)
  return keys.length - 1
}

test('a key index finds every key it was given, and nothing else, like a Map', (t) => {
  const rng = new Rng(seed)
  const keys: string[] = []
  const index = new KeyIndex(keys)
  const ref = new Map<string, number>()
  const nasty = ['', '__proto__', 'constructor', 'toString', '\u0000', '\ud800', 'é', 'x'.repeat(5000)]
  for (let i = 0; i < 50_000; i++) {
    const key = rng.chance(0.01) ? rng.pick(nasty) : `k${rng.int(0, 30_000)}${rng.chance(0.1) ? '\u00e9' : ''}`
    const slot = insert(keys, index, key)
    if (!ref.has(key)) ref.set(key, slot)
    if (ref.get(key) !== slot) {
      t.fail(`key ${JSON.stringify(key)} got slot ${slot}, expected ${String(ref.get(key))} (SEED=${seed})`)
      return t.end()
    }
  }
  for (const [k, s] of ref) if (index.find(k) !== s) t.fail(`lost ${k}`)
  t.equal(index.find('never-added'), -1)
  t.equal(keys.length, ref.size)
  t.notOk(index.degraded, 'ordinary keys never fill a long probe run')
  t.pass(`${ref.size} distinct keys found again (seed ${seed})`)
  t.end()
})

test('keys made to collide under one hash seed move that index to a Map; another seed does not even notice', (t) => {
  // What a hostile peer could do if it knew the seed: keys whose hashes
  // share their low 12 bits, so they all land in one probe run.
  const known = 12345
  const colliding: string[] = []
  const target = hashString('k0', known) & 0xfff
  for (let i = 1; colliding.length < 400; i++) {
    const k = `k${i}`
    if ((hashString(k, known) & 0xfff) === target) colliding.push(k)
  }
  const keys: string[] = []
  const index = new KeyIndex(keys, known)
  for (const k of colliding) insert(keys, index, k)
  t.ok(index.degraded, 'the long run moved the index to a Map')
  t.ok(colliding.every((k, i) => index.find(k) === i), 'every key still found at its slot')
  t.equal(index.find('k0-absent'), -1)
  insert(keys, index, 'after')
  t.equal(index.find('after'), 400, 'keys added after the move are found')

  const other: string[] = []
  const fresh = new KeyIndex(other, 777)
  for (const k of colliding) insert(other, fresh, k)
  t.notOk(fresh.degraded, 'under another seed the same keys spread out')
  t.end()
})
