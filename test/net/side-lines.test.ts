import test from 'tape'
import { SideLineScanner, encodeSideLine } from '../../lib/net/side-lines'
import { seeded, testSeed } from '../helpers/fake-timers'
import { FrameEncoder } from '../../lib/wire/binary-frames'

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

test('after the peer switches to binary frames, side lines are found in JSON frames whatever the chunking', (t) => {
  const seed = testSeed()
  const random = seeded(seed)
  const frames = new FrameEncoder()
  const wire = Buffer.concat([
    Buffer.from('{"id":"a","clock":{},"codecs":["gv-bin/1"]}\n'),
    encodeSideLine('gv-mesh', 'tcp://before:1'),
    Buffer.from('"gv-bin/1"\n'),
    // An update whose key holds a newline and a fake side line: not a side line in binary.
    frames.encode([[['\n"gv-mesh evil"\n', 'x'.repeat(300)], 1, 'a'], 'SYNC']),
    encodeSideLine('gv-mesh', 'tcp://after:2', true),
    frames.encode([null, 'gv-meshy no', [['k', { deep: [1] }], 2, 'a']]),
    encodeSideLine('gv-mesh', 'x'.repeat(200), true),
    encodeSideLine('gv-mesh', 'ws://h:3/p\u00e9', true)
  ])
  for (let run = 0; run < 200; run++) {
    const got: string[] = []
    const s = new SideLineScanner('gv-mesh', (x) => got.push(x), 150)
    let pos = 0
    while (pos < wire.length) {
      const n = 1 + Math.floor(random() * 40)
      s.write(wire.subarray(pos, pos + n))
      pos += n
    }
    if (JSON.stringify(got) !== JSON.stringify(['tcp://before:1', 'tcp://after:2', 'ws://h:3/p\u00e9'])) {
      t.fail(`seed ${seed} run ${run}: got ${JSON.stringify(got)}`)
      return t.end()
    }
  }
  t.pass(`200 random chunkings find the line before the switch and the two framed ones after it (seed ${seed})`)
  t.end()
})
