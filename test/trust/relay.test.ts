import test from 'tape'
import { randomBytes } from 'node:crypto'
import { type GrapevineError, Model, VectorClock, generateKeyPair, trust, type Update } from '../../index'
import { overTcp, syncPair, until } from '../helpers/replicas'
import { rawPeer } from './helpers'

const DOC = 'relay-doc'

for (const relayVerifies of [false, true]) {
  test(`A - B - C: C verifies A's signed updates relayed by a B that ${relayVerifies ? 'verifies too' : 'does not verify'}`, async (t) => {
    const a = new Model({ ...trust({ keyPair: generateKeyPair(), docId: DOC }) })
    const b = new Model(relayVerifies ? { ...trust({ docId: DOC }) } : {})
    const c = new Model({ ...trust({ docId: DOC, allow: [a.id] }) })
    for (let i = 0; i < 20; i++) a.set(`before-${i}`, i)
    const ab = await syncPair(a, b)
    const bc = await overTcp(b, c)
    for (let i = 0; i < 20; i++) a.set(`live-${i}`, i)
    await until(() => c.size === 40, 5000, 'C to hold all 40 keys')
    t.equal(c.counters.applied, 40, 'C applied every update from A')
    t.equal(c.counters.rejected, 0, 'C rejected none: signatures survived the relay')
    const atC = [...c.history(new VectorClock())]
    t.ok(atC.every((u) => u[2] === a.id && u.length === 4), 'each update still carries its signature')
    t.deepEqual(atC, [...a.history(new VectorClock())], 'C holds exactly what A signed')
    ab()
    await bc.close()
    for (const r of [a, b, c]) r.dispose()
  })
}

test('a forged update relayed by a B that does not verify is still rejected by C', async (t) => {
  const a = new Model({ ...trust({ keyPair: generateKeyPair(), docId: DOC }) })
  const b = new Model()
  const c = new Model({ ...trust({ docId: DOC }) })
  a.set('k', 'real')
  await syncPair(a, b)
  const bc = await syncPair(b, c)
  await until(() => c.get('k') === 'real')
  const invalidAtC: GrapevineError[] = []
  bc.b.on('invalid', (e: GrapevineError) => invalidAtC.push(e))
  const before = JSON.stringify(c.getClock())
  const [good] = [...a.history(new VectorClock())] as Update[]
  const forged = [['k', 'forged'], (good as Update)[1] + 1, a.id, randomBytes(64).toString('base64url')] as unknown as Update
  rawPeer(b).send(forged)
  await until(() => b.get('k') === 'forged', 5000, 'B (no policy) to take it')
  await until(() => invalidAtC.length === 1, 5000, 'C to reject it')
  t.equal(invalidAtC[0]?.code, 'ERR_BAD_SIGNATURE')
  t.equal(c.get('k'), 'real', 'C kept the signed value')
  t.equal(JSON.stringify(c.getClock()), before, "C's clock unmoved")
  for (const r of [a, b, c]) r.dispose()
})
