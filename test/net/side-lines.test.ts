import test from 'tape'
import { SideLineScanner, encodeSideLine } from '../../lib/net/side-lines'
import { seeded, testSeed } from '../helpers/fake-timers'

test('side lines are found whatever the chunking, and other lines are left alone', (t) => {
  const seed = testSeed()
  const random = seeded(seed)
  const wire = Buffer.concat([
    Buffer.from('{"id":"a","clock":{}}\n[["k","gv-mesh x"],1,"a"]\n"gv-meshy no"\nnull\n'),
    encodeSideLine('gv-mesh', 'tcp://127.0.0.1:1 tcp://[::1]:2'),
    Buffer.from('"SYNC"\n"gv-mesh"\n'),
    encodeSideLine('gv-mesh', 'ws://h:3/p\u00e9'),
    Buffer.from('\r\n')
  ])
  for (let run = 0; run < 200; run++) {
    const got: string[] = []
    const s = new SideLineScanner('gv-mesh', (x) => got.push(x))
    let pos = 0
    while (pos < wire.length) {
      const n = 1 + Math.floor(random() * 12)
      s.write(wire.subarray(pos, pos + n))
      pos += n
    }
    if (got.length !== 2 || got[0] !== 'tcp://127.0.0.1:1 tcp://[::1]:2' || got[1] !== 'ws://h:3/p\u00e9') {
      t.fail(`seed ${seed} run ${run}: got ${JSON.stringify(got)}`)
      return t.end()
    }
  }
  t.pass(`200 random chunkings find exactly the two side lines (seed ${seed})`)
  t.end()
})

test('an oversized side line is dropped and scanning resumes at the next line', (t) => {
  const got: string[] = []
  const s = new SideLineScanner('gv-mesh', (x) => got.push(x), 100)
  s.write(encodeSideLine('gv-mesh', 'x'.repeat(500)))
  s.write(encodeSideLine('gv-mesh', 'ok'))
  t.deepEqual(got, ['ok'])
  t.end()
})
