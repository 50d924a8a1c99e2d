// Signed-update throughput: `npm run bench:sign`. Figures are for this
// machine only; nothing here is asserted.
import { Model, createSigner, createVerifier, generateKeyPair, keyId, trust, type Update } from '../index'
import { connect } from '../lib/stream/connect'

const DOC = 'bench-doc'
const MS = Number(process.env.BENCH_MS ?? 1000)

function rate (name: string, fn: (i: number) => void): number {
  for (let i = 0; i < 200; i++) fn(i) // warm up
  const start = process.hrtime.bigint()
  let n = 0
  let elapsed = 0
  while (elapsed < MS) {
    for (let k = 0; k < 100; k++) fn(n++)
    elapsed = Number(process.hrtime.bigint() - start) / 1e6
  }
  const perSec = Math.round((n * 1000) / elapsed)
  process.stdout.write(`${name.padEnd(44)} ${String(perSec).padStart(8)} ops/s\n`)
  return perSec
}

async function replicate (n: number, signed: boolean): Promise<number> {
  const keyPair = generateKeyPair()
  const a = new Model(signed ? { ...trust({ keyPair, docId: DOC }) } : {})
  const b = new Model(signed ? { ...trust({ docId: DOC }) } : {})
  for (let i = 0; i < n; i++) a.set(`k${i}`, { i, text: 'some value' })
  const start = process.hrtime.bigint()
  const d = connect(a, b)
  await new Promise<void>((resolve) => d.b.once('synced', () => resolve()))
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (b.size !== n) throw new Error(`replicated ${b.size} of ${n}`)
  d()
  a.dispose()
  b.dispose()
  const perSec = Math.round((n * 1000) / ms)
  process.stdout.write(`${`sync ${n} ${signed ? 'signed' : 'unsigned'} updates A -> B`.padEnd(44)} ${String(perSec).padStart(8)} updates/s\n`)
  return perSec
}

async function main (): Promise<void> {
  const keyPair = generateKeyPair()
  const signer = createSigner({ keyPair, docId: DOC })
  const verify = createVerifier({ docId: DOC })
  const change = ['some-key', { text: 'a typical small value', n: 42 }]
  const ts0 = Date.now()
  rate('sign', (i) => { signer.sign([change, ts0 + i, signer.id] as unknown as Update) })
  const signed: Update[] = []
  for (let i = 0; i < 1000; i++) {
    const u = [change, ts0 + i, signer.id] as unknown as Update
    signed.push([...u, signer.sign(u)] as unknown as Update)
  }
  rate('verify (key cached)', (i) => {
    if (verify(signed[i % signed.length] as Update) !== true) throw new Error('did not verify')
  })
  // Many writers: every update from a key the cache does not hold.
  const cold = createVerifier({ docId: DOC, keyCacheSize: 1 })
  const writers = Array.from({ length: 64 }, () => createSigner({ keyPair: generateKeyPair(), docId: DOC }))
  const many = writers.map((w) => {
    const u = [change, ts0, w.id] as unknown as Update
    return [...u, w.sign(u)] as unknown as Update
  })
  rate('verify (key imported each time)', (i) => {
    if (cold(many[i % many.length] as Update) !== true) throw new Error('did not verify')
  })
  rate('reject forged (wrong signature)', (i) => {
    const u = signed[i % signed.length] as Update
    verify([u[0], u[1] + 0.5, u[2], u[3]] as unknown as Update)
  })
  const notAllowed = createVerifier({ docId: DOC, allow: [keyId(generateKeyPair().publicKey)] })
  rate('reject writer not on allow-list', (i) => { notAllowed(signed[i % signed.length] as Update) })
  await replicate(5000, false)
  await replicate(5000, true)
}

main().catch((err) => {
  process.stderr.write(String(err) + '\n')
  process.exitCode = 1
})
