import test from 'tape'
import { Liveness } from '../../lib/net/liveness'
import type { GrapevineError } from '../../lib/errors/grapevine-error'
import { FakeTimers } from '../helpers/fake-timers'

function harness (opts: { heartbeatMs: number, idleTimeoutMs: number, handshakeTimeoutMs: number }): { timers: FakeTimers, live: Liveness, beats: number[], fails: Array<{ at: number, err: GrapevineError }> } {
  const timers = new FakeTimers()
  const beats: number[] = []
  const fails: Array<{ at: number, err: GrapevineError }> = []
  const live = new Liveness({
    heartbeat: () => beats.push(timers.now()),
    timeout: (err) => fails.push({ at: timers.now(), err })
  }, { ...opts, timers })
  return { timers, live, beats, fails }
}

test('liveness core: heartbeats start after the first send and come every heartbeatMs of outgoing silence', async (t) => {
  const { timers, live, beats, fails } = harness({ heartbeatMs: 100, idleTimeoutMs: 0, handshakeTimeoutMs: 0 })
  await timers.advance(500)
  t.deepEqual(beats, [], 'no heartbeat before anything (the header) was sent')
  live.sent()
  await timers.advance(250)
  t.deepEqual(beats, [600, 700], 'then one per 100 ms of silence')
  live.sent() // at 750: real traffic pushes the next heartbeat back
  await timers.advance(150)
  t.deepEqual(beats, [600, 700, 850], 'traffic postpones the heartbeat')
  t.deepEqual(fails, [], 'no timeout with the deadlines off')
  live.stop()
  t.equal(timers.pending, 0, 'stop clears the timer')
})

test('liveness core: the idle deadline fires exactly once, idleTimeoutMs after the last byte received', async (t) => {
  const { timers, live, fails } = harness({ heartbeatMs: 50, idleTimeoutMs: 300, handshakeTimeoutMs: 0 })
  live.sent()
  for (let i = 0; i < 10; i++) { await timers.advance(100); live.received() }
  t.deepEqual(fails, [], 'data every 100 ms keeps the link alive')
  const last = timers.now()
  await timers.advance(1000)
  t.equal(fails.length, 1, 'one timeout')
  t.equal(fails[0]?.at, last + 300, 'at the deadline')
  t.equal(fails[0]?.err.code, 'ERR_TIMEOUT', 'coded ERR_TIMEOUT')
  t.equal(fails[0]?.err.details.kind, 'idle', 'kind idle')
})

test('liveness core: the handshake deadline fires unless the header arrives, whatever else arrives', async (t) => {
  const a = harness({ heartbeatMs: 0, idleTimeoutMs: 0, handshakeTimeoutMs: 200 })
  for (let i = 0; i < 5; i++) { await a.timers.advance(50); a.live.received() }
  t.equal(a.fails[0]?.err.details.kind, 'handshake', 'bytes without a header do not count')
  t.equal(a.fails[0]?.at, 200, 'at the handshake deadline')
  const b = harness({ heartbeatMs: 0, idleTimeoutMs: 0, handshakeTimeoutMs: 200 })
  await b.timers.advance(150)
  b.live.handshake()
  await b.timers.advance(1000)
  t.deepEqual(b.fails, [], 'a header in time disarms it')
})

test('liveness core: the idle deadline applies only to a peer that announced heartbeats, widened to twice its interval', async (t) => {
  const quiet = harness({ heartbeatMs: 50, idleTimeoutMs: 300, handshakeTimeoutMs: 0 })
  quiet.live.sent()
  quiet.live.handshake(undefined)
  await quiet.timers.advance(5000)
  t.deepEqual(quiet.fails, [], 'a peer without heartbeats is never cut for silence')
  t.ok(quiet.beats.length > 50, 'we still send ours')

  const slow = harness({ heartbeatMs: 50, idleTimeoutMs: 300, handshakeTimeoutMs: 0 })
  slow.live.handshake(1000)
  await slow.timers.advance(5000)
  t.equal(slow.fails[0]?.at, 2000, 'a peer beating every 1000 ms gets 2000 ms, not 300')
})
