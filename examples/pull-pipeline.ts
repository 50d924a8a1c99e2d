// A pull-stream pipeline: replica -> logging through -> replica, and back.
import pull from 'pull-stream'
import { Events } from '../index'

const a = new Events('a')
const b = new Events('b')
let lines = 0
const logLines = pull.map((buf: Buffer) => {
  lines += buf.toString().split('\n').length - 1
  return buf
})

const pa = a.createPullStream()
const pb = b.createPullStream()
pull(pa.source, logLines, pb.sink)
pull(pb.source, pa.sink)

b.on('chat', (who: unknown, text: unknown) => {
  console.log(`b heard ${String(who)}: ${String(text)} (${lines} lines crossed the pipeline)`)
  a.dispose()
  b.dispose()
})
a.emit('chat', 'a', 'hello over pull-stream')
