import test from 'tape'
import { AddressBook } from '../../lib/net/address-book'
import { DialPacer } from '../../lib/net/dial-pacer'
import { FakeTimers } from '../helpers/fake-timers'

const addrs = (n: number, tag: string): string[] => Array.from({ length: n }, (_, i) => `tcp://127.0.0.1:${tag}${i}`)

test('address book: one peer holds at most its share, and a flood does not crowd out another peer', (t) => {
  const book = new AddressBook({ maxKnown: 64, perPeer: 8 })
  let added = 0
  for (const a of addrs(2000, '1')) if (book.admit(a, 'hostile', 0).added) added++
  t.equal(added, 8, 'the flooding peer got 8 of its 2 000 in')
  t.equal(book.heldBy('hostile'), 8, 'and holds 8')
  t.ok(book.admit('tcp://127.0.0.1:9', 'honest', 0).added, "an honest peer's address still gets in")
  t.end()
})

test('address book: when the unverified share is full, a newcomer displaces the oldest of the peer holding the most', (t) => {
  const book = new AddressBook({ maxKnown: 20, maxUnverified: 10, perPeer: 10 })
  const flood = addrs(10, '2')
  for (const a of flood) book.admit(a, 'hostile', 0)
  t.equal(book.unverifiedCount, 10, 'full')
  const r = book.admit('tcp://127.0.0.1:9', 'honest', 0)
  t.ok(r.added, 'the honest address is admitted')
  t.deepEqual(r.evicted, [flood[0]], "the flood's oldest made room")
  // Two Sybils with one address each cannot evict one another: neither holds more than the other would.
  const fair = new AddressBook({ maxKnown: 4, maxUnverified: 2, perPeer: 4 })
  fair.admit('tcp://a:1', 'p', 0)
  fair.admit('tcp://b:1', 'q', 0)
  t.notOk(fair.admit('tcp://c:1', 'r', 0).added, 'no one holds more than the newcomer would: refused')
  t.end()
})

test('address book: gossip never displaces seeds or verified addresses', (t) => {
  const book = new AddressBook({ maxKnown: 4, maxUnverified: 4, perPeer: 4 })
  book.seed('tcp://seed:1')
  book.admit('tcp://good:1', 'p', 0)
  book.verified('tcp://good:1')
  t.equal(book.kind('tcp://good:1'), 'verified', 'reached once: verified')
  for (const a of addrs(10, '3')) book.admit(a, 'hostile', 0)
  t.equal(book.kind('tcp://seed:1'), 'seed', 'the seed stays')
  t.equal(book.kind('tcp://good:1'), 'verified', 'the verified address stays')
  t.equal(book.size, 4, 'the flood only took the room left')
  t.end()
})

test('address book: an unverified address is forgotten at its first failure and ignored while quarantined; verified ones after forgetAfter; seeds never', (t) => {
  const book = new AddressBook({ forgetAfter: 3, quarantineMs: 1000 })
  book.admit('tcp://x:1', 'p', 0)
  t.ok(book.failed('tcp://x:1', 10), 'one failed dial forgets a gossiped address')
  t.equal(book.kind('tcp://x:1'), undefined, 'gone')
  t.notOk(book.admit('tcp://x:1', 'p', 500).added, 'gossiped again during its quarantine: ignored')
  t.ok(book.admit('tcp://x:1', 'p', 1010).added, 'after it: admitted again')
  book.admit('tcp://v:1', 'p', 0)
  book.verified('tcp://v:1')
  t.notOk(book.failed('tcp://v:1', 0), 'a verified address survives one failure')
  t.notOk(book.failed('tcp://v:1', 0), 'and two')
  t.ok(book.failed('tcp://v:1', 0), 'not three in a row')
  book.seed('tcp://s:1')
  let forgotten = 0
  for (let i = 0; i < 20; i++) if (book.failed('tcp://s:1', 0)) forgotten++
  t.equal(forgotten, 0, 'twenty failures in a row never forget a seed')
  t.equal(book.kind('tcp://s:1'), 'seed', 'the seed is still there')
  book.admit('tcp://w:1', 'p', 0)
  book.verified('tcp://w:1')
  book.failed('tcp://w:1', 0)
  book.failed('tcp://w:1', 0)
  book.verified('tcp://w:1')
  book.failed('tcp://w:1', 0)
  t.equal(book.kind('tcp://w:1'), 'verified', 'a success in between resets the count')
  t.end()
})

test('dial pacer: bursts up to the rate, then one dial per 1/rate s, urgent dials first, cancelled ones free', async (t) => {
  const timers = new FakeTimers()
  const pacer = new DialPacer(4, timers)
  const order: string[] = []
  const go = (name: string, urgent: boolean, cancelled = (): boolean => false): void => {
    void pacer.acquire(urgent, cancelled).then(() => order.push(`${name}@${timers.now()}`))
  }
  for (let i = 0; i < 6; i++) go(`g${i}`, false)
  await timers.advance(0)
  t.deepEqual(order, ['g0@0', 'g1@0', 'g2@0', 'g3@0'], 'a burst of 4 at once')
  go('seed', true)
  let gone = false
  go('dead', false, () => gone)
  gone = true
  await timers.advance(250)
  t.deepEqual(order.slice(4), ['seed@250'], 'the urgent dial jumps the queue at the next token')
  await timers.advance(500)
  t.deepEqual(order.slice(5), ['g4@500', 'g5@750', 'dead@750'], 'then one per 250 ms; the cancelled one is let go at its turn without waiting')
  t.equal(pacer.granted, 7, 'it did not spend a token')
  pacer.close()
  t.equal(timers.pending, 0, 'no timer left after close')
})
