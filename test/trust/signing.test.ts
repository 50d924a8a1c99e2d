import test from 'tape'
import { randomBytes } from 'node:crypto'
import {
  Model, Value, VectorClock, canonicalJson, createSigner, generateKeyPair, isKeyId, keyId,
  keyPairFromSeed, seedOf, trust, type KeyPair, type Update
} from '../../index'
import { syncPair, until } from '../helpers/replicas'
import { rawPeer } from './helpers'

const DOC = 'doc-1'

test('a key pair gives the replica a 43-character id and signs every update at index 3', async (t) => {
  const keyPair = generateKeyPair()
  const a = new Model({ ...trust({ keyPair, docId: DOC }) })
  t.equal(a.id, keyId(keyPair.publicKey))
  t.equal(a.id.length, 43)
  t.ok(isKeyId(a.id))
  a.set('k', 1)
  const [u] = [...a.history(new VectorClock())]
  t.equal(u?.length, 4)
  t.equal(typeof u?.[3], 'string')
  t.equal((u?.[3] as string).length, 86, '64-byte signature in base64url')
  const b = new Model({ ...trust({ docId: DOC }) })
  await syncPair(a, b)
  t.equal(b.get('k'), 1)
  t.equal(b.counters.rejected, 0)
  a.dispose()
  b.dispose()
})

test('a key pair rebuilt from its seed has the same id', (t) => {
  const kp = generateKeyPair()
  const again = keyPairFromSeed(seedOf(kp))
  t.equal(keyId(again.publicKey), keyId(kp.publicKey))
  t.throws(() => keyPairFromSeed(new Uint8Array(31)), /32 bytes/)
  t.end()
})

test('canonical JSON sorts keys, normalises numbers and drops undefined as JSON does', (t) => {
  t.equal(canonicalJson({ b: 1, a: [1.0, -0, 1e21, 'x'], '10': true, '9': null, c: undefined }),
    '{"10":true,"9":null,"a":[1,0,1e+21,"x"],"b":1}')
  t.equal(canonicalJson(JSON.parse('{"__proto__":1,"d":2}')), '{"__proto__":1,"d":2}', '__proto__ from the wire is a plain key')
  t.equal(canonicalJson([undefined, new Date(0)]), '[null,"1970-01-01T00:00:00.000Z"]')
  const parsed = JSON.parse('{"z":{"y":1,"x":[{"b":2,"a":1}]},"a":"\\u00e9"}')
  const reordered = JSON.parse('{"a":"é","z":{"x":[{"a":1,"b":2}],"y":1}}')
  t.equal(canonicalJson(parsed), canonicalJson(reordered), 'key order and escapes on the wire do not matter')
  t.end()
})

test('a signature survives a relay that re-serialises the change with other key order', (t) => {
  const keyPair = generateKeyPair()
  const a = new Value({ ...trust({ keyPair, docId: DOC }) })
  a.set({ b: 2, a: 1, nested: { z: 1, y: [1.5, 'é'] } })
  const [u] = [...a.history(new VectorClock())] as Update[]
  const rewritten = JSON.parse(JSON.stringify(u).replace('{"b":2,"a":1,', '{"a":1,"b":2,')) as Update
  t.notEqual(JSON.stringify(rewritten), JSON.stringify(u), 'bytes on the wire differ')
  const b = new Value({ ...trust({ docId: DOC }) })
  t.equal(b.receive(rewritten).status, 'applied')
  t.end()
})

test('a signer refuses to sign under another id (a programmer mistake throws)', (t) => {
  const signer = createSigner({ keyPair: generateKeyPair(), docId: DOC })
  t.throws(() => signer.sign([1, 1, keyId(generateKeyPair().publicKey)] as unknown as Update), /ERR_INVALID_ARGUMENT|writes as/)
  t.throws(() => createSigner({ keyPair: generateKeyPair(), docId: '' }), /docId/)
  t.end()
})

/**
 * B verifies and relays to C (which also verifies). A raw peer offers B a
 * bad update followed by one good update signed by A; when C holds the good
 * one, anything B forwarded before it has arrived too.
 */
async function rejectedAndNotForwarded (t: test.Test, makeBad: (good: Update, keyPair: KeyPair) => Update, code: string, onlyA = false): Promise<void> {
  const keyPair = generateKeyPair()
  const a = new Model({ ...trust({ keyPair, docId: DOC }) })
  a.set('seen', 'first')
  a.set('k', 'good')
  const [first, good] = [...a.history(new VectorClock())] as [Update, Update]
  const b = new Model({ ...trust({ docId: DOC, allow: onlyA ? [a.id] : 'any' }) })
  const c = new Model({ ...trust({ docId: DOC }) })
  await syncPair(b, c)
  const peer = rawPeer(b)
  peer.send(first)
  await until(() => c.get('seen') === 'first', 5000, 'first update at C')
  const clockBefore = JSON.stringify(b.getClock())
  const stateBefore = JSON.stringify(b.toJSON())
  const cReceived = c.counters.applied + c.counters.old + c.counters.rejected
  const bad = makeBad(good, keyPair)
  peer.send(bad)
  await until(() => peer.invalid.length > 0, 5000, 'rejection')
  t.equal(peer.invalid[0]?.code, code, `rejected with ${code}`)
  t.equal(JSON.stringify(b.getClock()), clockBefore, 'clock unmoved')
  t.equal(JSON.stringify(b.toJSON()), stateBefore, 'state unchanged')
  if (!onlyA) {
    peer.send(good)
    await until(() => c.get('k') === 'good', 5000, 'barrier update at C')
    t.equal(c.counters.applied + c.counters.old + c.counters.rejected, cReceived + 1, 'C was offered only the good update')
  } else {
    await new Promise((resolve) => setTimeout(resolve, 50))
    t.equal(c.counters.applied + c.counters.old + c.counters.rejected, cReceived, 'C was offered nothing')
  }
  t.equal(c.counters.rejected, 0, 'nothing bad reached C')
  t.notOk(JSON.stringify([...c.history(new VectorClock())]).includes('evil'), 'the bad change is not at C')
  a.dispose()
  b.dispose()
  c.dispose()
}

test('a forged signature is rejected with ERR_BAD_SIGNATURE, the clock unmoved, not forwarded', async (t) => {
  await rejectedAndNotForwarded(t, (good) => [['k', 'evil'], good[1], good[2], randomBytes(64).toString('base64url')] as unknown as Update, 'ERR_BAD_SIGNATURE')
})

test('an update under one id signed with another key is rejected (wrong key)', async (t) => {
  await rejectedAndNotForwarded(t, (good) => {
    const mallory = createSigner({ keyPair: generateKeyPair(), docId: DOC })
    const sig = mallory.sign([['k', 'evil'], good[1], mallory.id] as unknown as Update)
    return [['k', 'evil'], good[1], good[2], sig] as unknown as Update
  }, 'ERR_BAD_SIGNATURE')
})

test('a tampered change, timestamp or source is rejected', async (t) => {
  await rejectedAndNotForwarded(t, (good) => [['k', 'evil'], good[1], good[2], good[3]] as unknown as Update, 'ERR_BAD_SIGNATURE')
  await rejectedAndNotForwarded(t, (good) => [['evil'], good[1] + 1, good[2], good[3]] as unknown as Update, 'ERR_BAD_SIGNATURE')
  await rejectedAndNotForwarded(t, (good) => {
    const other = keyId(generateKeyPair().publicKey)
    return [['evil', 1], good[1], other, good[3]] as unknown as Update
  }, 'ERR_BAD_SIGNATURE')
})

test('a signed update replayed into another document is rejected', async (t) => {
  await rejectedAndNotForwarded(t, (good, keyPair) => {
    // A's own key, A's own id, a fresh timestamp: only the document differs.
    const inDoc2 = createSigner({ keyPair, docId: 'doc-2' })
    const u = [['k', 'evil'], good[1], inDoc2.id] as unknown as Update
    return [...u, inDoc2.sign(u)] as unknown as Update
  }, 'ERR_BAD_SIGNATURE')
})

test('the same key signing for another document does not verify here', (t) => {
  const keyPair = generateKeyPair()
  const elsewhere = new Model({ ...trust({ keyPair, docId: 'doc-2' }) })
  elsewhere.set('k', 'evil')
  const [u] = [...elsewhere.history(new VectorClock())] as Update[]
  const here = new Model({ ...trust({ docId: DOC }) })
  const r = here.receive(u as Update)
  t.equal(r.status === 'rejected' && r.error.code, 'ERR_BAD_SIGNATURE')
  t.deepEqual(here.getClock(), {})
  t.equal(here.get('k'), undefined)
  t.end()
})

test('an unsigned update is rejected where signatures are required', async (t) => {
  await rejectedAndNotForwarded(t, (good) => [['k', 'evil'], good[1], good[2]] as unknown as Update, 'ERR_BAD_SIGNATURE')
})

test('a well-signed update from a key not on the allow-list is rejected with ERR_NOT_ALLOWED', async (t) => {
  const mallory = createSigner({ keyPair: generateKeyPair(), docId: DOC })
  await rejectedAndNotForwarded(t, (good) => {
    const u = [['k', 'evil'], good[1], mallory.id] as unknown as Update
    return [...u, mallory.sign(u)] as unknown as Update
  }, 'ERR_NOT_ALLOWED', true)
})

test('an allow-list admits its writers and nobody else', async (t) => {
  const alice = generateKeyPair()
  const bob = generateKeyPair()
  const allow = [keyId(alice.publicKey)]
  const a = new Model({ ...trust({ keyPair: alice, docId: DOC, allow }) })
  const m = new Model({ ...trust({ keyPair: bob, docId: DOC, allow }) })
  const c = new Model({ ...trust({ docId: DOC, allow: (s) => allow.includes(s) }) })
  a.set('from', 'alice')
  m.set('mallory', 'was here')
  const d1 = await syncPair(a, c)
  t.equal(c.get('from'), 'alice')
  const d2 = await syncPair(m, c)
  t.equal(c.get('mallory'), undefined)
  t.equal(d2.b.stats.rejected, 1)
  t.equal(c.getClock()[m.id], undefined, 'no clock entry for the refused writer')
  d1()
  d2()
  for (const r of [a, m, c]) r.dispose()
})
