import test from 'tape'
import { seedFromEnv } from '../helpers/rng'
import { fuzzAuth } from './auth'
import { runFuzz } from './engine'

const MiB = 1024 * 1024

test('hostile input to every data type: no crash, every fault coded, state unchanged by rejected input', async (t) => {
  const seed = seedFromEnv()
  const lines = Number(process.env.FUZZ_LINES ?? 30_000)
  const r = await runFuzz({ seed, lines })
  const replay = `(replay with SEED=${seed} FUZZ_LINES=${lines})`
  t.ok(r.lines >= lines, `${r.lines} lines in ${r.sessions} sessions, ${r.acceptedUpdates} updates accepted, seed ${seed}`)
  t.deepEqual(r.crashes, [], `no crash or unhandled rejection ${replay}`)
  t.deepEqual(r.uncoded, [], `every 'error' and 'invalid' carries a GrapevineError code ${replay}`)
  t.deepEqual(r.corruptions, [], `state equals a reference given only the accepted updates ${replay}`)
  t.deepEqual(r.badOutput, [], `the replica only ever sent JSON lines, then binary frames once it switched ${replay}`)
  t.ok(r.binarySessions > r.sessions / 5, `${r.binarySessions} of ${r.sessions} sessions were in binary frames`)
  t.ok(r.peakHeapBytes < 512 * MiB, `peak heap ${(r.peakHeapBytes / MiB).toFixed(0)} MiB stays bounded`)
  for (const code of ['ERR_INVALID_JSON', 'ERR_INVALID_UPDATE', 'ERR_BAD_SIGNATURE', 'ERR_NOT_ALLOWED', 'ERR_PROTOCOL', 'ERR_INVALID_FRAME', 'ERR_LINE_TOO_LONG', 'ERR_TOO_DEEP', 'ERR_INVALID_UTF8']) {
    t.ok((r.codes[code] ?? 0) > 0, `the input reached ${code} (${r.codes[code] ?? 0} times)`)
  }
})

test('hostile handshakes: nobody without the secret gets in, every refusal coded, nothing sent but a hello', async (t) => {
  const seed = seedFromEnv()
  const attempts = Number(process.env.FUZZ_AUTH ?? 1000)
  const r = await fuzzAuth(seed, attempts)
  const replay = `(replay with SEED=${seed} FUZZ_AUTH=${attempts})`
  t.equal(r.attempts, attempts, `${attempts} attempts refused as ${JSON.stringify(r.refused)}`)
  t.deepEqual(r.admitted, [], `nobody admitted ${replay}`)
  t.deepEqual(r.uncoded, [], `every refusal coded ${replay}`)
  t.deepEqual(r.leaks, [], `nothing sent past the hello ${replay}`)
})
