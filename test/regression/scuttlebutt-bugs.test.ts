import test from 'tape'
import { Model } from '../../index'
import { HEADER, attack } from '../helpers/attack'
import { syncPair, until } from '../helpers/replicas'

test('equal-timestamp writes from two sources converge on the same winner', async (t) => {
  const frozen = (): number => 1_700_000_000_000
  const a = new Model({ id: 'a', now: frozen })
  const b = new Model({ id: 'b', now: frozen })
  a.set('k', 'from a')
  b.set('k', 'from b')
  t.equal(a.clock.get(a.id), b.clock.get(b.id), 'both writes carry the same timestamp')
  await syncPair(a, b)
  await until(() => a.get('k') === b.get('k'))
  t.equal(a.get('k'), 'from b', 'the higher source id wins a tie, on both sides')
  a.dispose()
  b.dispose()
})

test('a local clock that steps back an hour loses no write', async (t) => {
  const real = Date.now()
  let nowA = real
  const a = new Model({ id: 'a', now: () => nowA })
  const b = new Model({ id: 'b', now: () => real })
  await syncPair(a, b)
  a.set('k', 'before the step')
  nowA -= 3600_000
  a.set('k', 'after the step')
  a.set('other', 'written an hour in the past by the wall clock')
  await until(() => b.get('k') === 'after the step', 2000, 'later write to win on b')
  t.equal(a.get('k'), 'after the step', 'the later write wins locally')
  t.equal(b.get('other'), 'written an hour in the past by the wall clock')
  // b reacts to a's write: its write is causally later and must win on both sides.
  b.set('k', 'b reacts')
  await until(() => a.get('k') === 'b reacts', 2000)
  a.set('k', 'a reacts with its clock still an hour behind')
  await until(() => b.get('k') === 'a reacts with its clock still an hour behind', 2000)
  t.pass('causally later writes win in both directions')
  a.dispose()
  b.dispose()
})

test('an update the verifier rejects never advances the clock', async (t) => {
  const victim = new Model({ id: 'victim', verify: (u) => u[0] !== null && (u[0] as unknown[])[1] !== 'forged' })
  const now = Date.now()
  const r = await attack(async (sock) => {
    sock.write(HEADER + `[["kk","forged"],${now},"mallory"]\n`)
    await new Promise((resolve) => setTimeout(resolve, 20))
    sock.write(`[["kk","genuine"],${now - 10},"mallory"]\n`)
  }, { victim, settleMs: 60 })
  t.equal(r.invalid[0]?.code, 'ERR_BAD_SIGNATURE')
  t.equal(victim.get('kk'), 'genuine', 'an older genuine update is still accepted: the forged one did not move the clock')
})

test('updates are not echoed back to the peer they came from', async (t) => {
  const a = new Model('a')
  const b = new Model('b')
  const link = await syncPair(a, b)
  for (let i = 0; i < 20; i++) a.set(`k${i}`, i)
  await until(() => b.size === 20)
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal(link.a.stats.updatesSent, 20)
  t.equal(link.b.stats.updatesReceived, 20)
  t.equal(link.b.stats.updatesSent, 0, 'b sent none of them back')
  t.equal(link.a.stats.oldDropped, 0)
  a.dispose()
  b.dispose()
})

test('a second header is a protocol error, not a request to resend history', async (t) => {
  const r = await attack((sock) => { sock.write(HEADER + HEADER) }, { expectClose: true })
  t.equal(r.error?.code, 'ERR_PROTOCOL')
  t.ok(r.stream.stats.updatesSent <= 2, 'history (2 updates) sent at most once')
})

test('a header that shows our own clock ahead of ours (restored from a backup) moves us past it', async (t) => {
  const now = 1_700_000_000_000
  const original = new Model({ id: 'me', now: () => now })
  const peer = new Model({ id: 'peer', now: () => now })
  await syncPair(original, peer)
  for (let i = 0; i < 5; i++) original.set('k', i)
  await until(() => peer.get('k') === 4)
  original.dispose()
  // Restored from an old backup: same id, empty state, same wall clock.
  const restored = new Model({ id: 'me', now: () => now })
  const link = await syncPair(restored, peer)
  restored.set('k', 'new write after restore')
  await until(() => peer.get('k') === 'new write after restore', 2000, 'peer to accept the new write')
  t.ok(restored.clock.get(restored.id) > 1_700_000_000_000 + 4 / 1024, 'new timestamps are past the lost ones')
  t.equal(link.b.stats.oldDropped, 0, 'peer did not mistake the new write for an old one')
  restored.dispose()
  peer.dispose()
})
