// A pull-stream pipeline: replica -> logging through -> replica, and back.
import pull from 'pull-stream'
import { Events } from '../index'

const a = new Events('a')
const b = new Events('b')
// Counts bytes, not lines: two grapevine streams switch to binary frames after the headers.
let bytes = 0
const countBytes = pull.map((buf: Buffer) => {
  bytes += buf.length
  return buf
})

const pa = a.createPullStream()
const pb = b.createPullStream()
pull(pa.source, countBytes, pb.sink)
pull(pb.source, pa.sink)

b.on('chat', (who: unknown, text: unknown) => {
  console.log(`b heard ${String(who)}: ${String(text)} (${bytes} bytes crossed the pipeline)`)
  a.dispose()
  b.dispose()
})
a.emit('chat', 'a', 'hello over pull-stream')
